"""Identity services: users (with crew details), roles, passwords, PINs, badges, station
tokens. Services flush; the request's session dependency commits."""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session

from server.audit.service import Actor, record, record_update
from server.db import get_or_404, utcnow
from server.errors import BadRequest, Conflict, Unauthorized
from server.identity.models import (
    Badge,
    BadgeKind,
    RefreshToken,
    Role,
    Station,
    User,
    UserRole,
)
from server.identity.security import hash_password, hash_pin, new_station_token, token_hash
from server.sqlutil import flush_unique
from shared.badges import SignedBadge, badge_hash, new_badge_code, pin_join, sign_badge
from shared.ids import uuid7

STATION_REVOKED = "station_revoked"
STATION_REVOKED_MESSAGE = "this station has been revoked: its queued scans are not accepted"

# Fields an admin may change with a plain update (roles and active have their own paths).
_PROFILE_FIELDS = ("name", "email", "phone", "skills", "day_rate_cents")


def _normalize_email(email: str | None) -> str | None:
    if email is None:
        return None
    email = email.strip().lower()
    return email or None


def create_user(
    *,
    session: Session,
    name: str,
    email: str | None = None,
    password: str | None = None,
    pin: str | None = None,
    roles: list[Role] | tuple[Role, ...] = (),
    phone: str | None = None,
    skills: list[str] | None = None,
    day_rate_cents: int | None = None,
    active: bool = True,
    actor: Actor | None = None,
    pin_key: bytes | None = None,
) -> User:
    """Create one person's identity (staff and crew alike). With ``pin_key`` (the
    settings' ``badge_pin_key``) a PIN also gets its offline join (shared.badges)."""
    email = _normalize_email(email)
    if email is not None:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(f"a user with email {email} already exists")
    user = User(
        name=name,
        email=email,
        password_hash=hash_password(password) if password else None,
        pin_hash=hash_pin(pin) if pin else None,
        pin_join=pin_join(pin_key, pin) if pin and pin_key else None,
        roles=[UserRole(role=Role(role).value) for role in sorted(set(roles))],
        phone=phone,
        skills=list(skills or []),
        day_rate_cents=day_rate_cents,
        active=active,
        deactivated_at=None if active else utcnow(),
    )
    session.add(user)
    flush_unique(session, f"a user with email {email}")
    record(
        session=session,
        action="user.created",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"roles": user.role_names, "active": active},
    )
    return user


def get_user(*, session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def require_user(*, session: Session, user_id: uuid.UUID) -> User:
    """The user, or NotFound."""
    return get_or_404(session, User, user_id, f"no user with id {user_id}")


def users_query(
    *,
    q: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
) -> Select[User]:
    """Users matching the filters, by name (``server.paging`` pages it)."""
    conditions = []
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        pattern += "%"
        conditions.append(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    if role is not None:
        conditions.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == role.value)))
    if active is not None:
        conditions.append(User.active.is_(active))
    stmt = select(User).where(*conditions).order_by(User.name, User.id)
    return stmt


def update_profile(
    *, session: Session, user: User, changes: dict[str, Any], actor: Actor | None = None
) -> User:
    """Apply name/email/crew-detail changes (only the keys present in ``changes``)."""
    unknown = set(changes) - set(_PROFILE_FIELDS)
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))} here")
    if "name" in changes and not changes["name"]:
        raise BadRequest("name: must not be empty")
    if "email" in changes:
        changes["email"] = _normalize_email(changes["email"])
        email = changes["email"]
        if email is not None and email != user.email:
            taken = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
            if taken is not None:
                raise Conflict(f"a user with email {email} already exists")
        lost = email is None and user.email is not None and user.password_hash is not None
        if lost and not _other_way_in(session, user):
            raise Conflict(
                "the e-mail is this account's only way in (password login needs it, and "
                "it has no active badge): give it a badge first",
                code="last_way_in",
            )
    if "skills" in changes and changes["skills"] is None:
        changes["skills"] = []
    record_update(
        session=session,
        row=user,
        values=changes,
        action="user.updated",
        actor=actor,
        target_type="user",
        unique_what=f"a user with email {changes.get('email')}",
    )
    return user


def _other_way_in(session: Session, user: User) -> bool:
    """Whether ``user`` can still log in without an e-mail address: by an active badge."""
    return (
        session.scalar(select(Badge.id).where(Badge.user_id == user.id, Badge.active.is_(True)))
        is not None
    )


def set_roles(
    *, session: Session, user: User, roles: list[Role], actor: Actor | None = None
) -> User:
    """Replace a user's roles; a change is audited with before and after."""
    before = user.role_names
    after = sorted({Role(role).value for role in roles})
    if before == after:
        return user
    if actor is not None and actor.user_id == user.id and Role.ADMIN.value not in after:
        raise BadRequest("you cannot remove your own admin role")
    user.roles = [UserRole(role=role) for role in after]
    session.flush()
    # Its sessions end: tokens and kiosk screens were issued for the old roles.
    revoked = revoke_refresh_tokens(session=session, user_id=user.id)
    record(
        session=session,
        action="user.roles_changed",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"before": before, "after": after, "refresh_tokens_revoked": revoked},
    )
    return user


def revoke_refresh_tokens(
    *,
    session: Session,
    user_id: uuid.UUID | None = None,
    family_id: uuid.UUID | None = None,
    station_id: uuid.UUID | None = None,
) -> int:
    """Revoke the live refresh tokens of a user, a family or a station; returns the count."""
    conditions: list[ColumnElement[bool]] = [RefreshToken.revoked_at.is_(None)]
    if user_id is not None:
        conditions.append(RefreshToken.user_id == user_id)
    if family_id is not None:
        conditions.append(RefreshToken.family_id == family_id)
    if station_id is not None:
        conditions.append(RefreshToken.station_id == station_id)
    if len(conditions) == 1:
        raise ValueError("refusing to revoke every refresh token of every user")
    result = session.execute(
        update(RefreshToken).where(*conditions).values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    session.flush()
    return result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE answers a CursorResult


def set_active(*, session: Session, user: User, active: bool, actor: Actor | None = None) -> User:
    """(De)activate a user. Deactivation revokes its refresh tokens and badges at once."""
    if user.active == active:
        return user
    if not active and actor is not None and actor.user_id == user.id:
        raise BadRequest("you cannot deactivate yourself")
    details: dict[str, Any] = {}
    user.active = active
    user.deactivated_at = None if active else utcnow()
    if not active:
        details["refresh_tokens_revoked"] = revoke_refresh_tokens(session=session, user_id=user.id)
        revoked = [badge for badge in live_badges(session=session, user_id=user.id)]
        for badge in revoked:
            revoke_badge(session=session, badge=badge, actor=actor, reason="user deactivated")
        details["badges_revoked"] = len(revoked)
    session.flush()
    record(
        session=session,
        action="user.activated" if active else "user.deactivated",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details=details,
    )
    return user


def set_password(
    *, session: Session, user: User, password: str | None, actor: Actor | None = None
) -> None:
    """Replace (or clear) a user's password; an admin reset also ends its sessions."""
    user.password_hash = hash_password(password) if password else None
    session.flush()
    if actor is not None:
        revoked = revoke_refresh_tokens(session=session, user_id=user.id)
        record(
            session=session,
            action="user.password_reset",
            actor=actor,
            target_type="user",
            target_id=user.id,
            details={"cleared": password is None, "refresh_tokens_revoked": revoked},
        )


def set_pin(
    *,
    session: Session,
    user: User,
    pin: str | None,
    actor: Actor | None = None,
    pin_key: bytes | None = None,
) -> None:
    """Set or clear the PIN asked after a badge scan (online and, via its join, offline)."""
    user.pin_hash = hash_pin(pin) if pin else None
    user.pin_join = pin_join(pin_key, pin) if pin and pin_key else None
    session.flush()
    record(
        session=session,
        action="user.pin_set" if pin else "user.pin_cleared",
        actor=actor,
        target_type="user",
        target_id=user.id,
    )


def issue_badge(
    *,
    session: Session,
    user: User,
    code: str,
    key: bytes,
    label: str = "",
    actor: Actor | None = None,
    kind: BadgeKind = BadgeKind.IMPORTED,
    badge_id: uuid.UUID | None = None,
) -> Badge:
    """Attach a badge to a user; only its keyed hash is stored. A code given by a person
    (read from an existing card) is ``imported``: weak, whatever it looks like."""
    if not code.strip():
        raise BadRequest("badge code: must not be blank")
    if not user.active:
        raise Conflict("cannot issue a badge to a deactivated user")
    code_hash = badge_hash(key, code)
    if session.scalar(select(Badge.id).where(Badge.code_hash == code_hash)) is not None:
        raise Conflict("this badge is already issued")
    badge = Badge(
        id=badge_id or uuid7(), user_id=user.id, code_hash=code_hash, label=label, kind=kind
    )
    session.add(badge)
    flush_unique(session, "this badge")
    record(
        session=session,
        action="badge.issued",
        actor=actor,
        target_type="badge",
        target_id=badge.id,
        details={"user_id": str(user.id), "label": label, "kind": str(kind)},
    )
    return badge


def issue_generated_badge(
    *,
    session: Session,
    user: User,
    key: bytes,
    label: str = "",
    actor: Actor | None = None,
    signing_key: Ed25519PrivateKey | None = None,
) -> tuple[Badge, str]:
    """A badge whose code this server makes: 80 random bits + check character, or (with
    ``signing_key``) a signed QR payload. The code is returned once and never stored."""
    if signing_key is None:
        code = new_badge_code()
        return (
            issue_badge(
                session=session,
                user=user,
                code=code,
                key=key,
                label=label,
                actor=actor,
                kind=BadgeKind.ISSUED,
            ),
            code,
        )
    badge_id = uuid7()
    code = sign_badge(signing_key, SignedBadge(badge_id, user.id, utcnow().date()))
    badge = issue_badge(
        session=session,
        user=user,
        code=code,
        key=key,
        label=label,
        actor=actor,
        kind=BadgeKind.SIGNED,
        badge_id=badge_id,
    )
    return badge, code


def live_badges(*, session: Session, user_id: uuid.UUID) -> list[Badge]:
    return list(
        session.scalars(select(Badge).where(Badge.user_id == user_id, Badge.active.is_(True)))
    )


def badges_query(
    *,
    user_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> Select[Badge]:
    conditions = []
    if user_id is not None:
        conditions.append(Badge.user_id == user_id)
    if active is not None:
        conditions.append(Badge.active.is_(active))
    return select(Badge).where(*conditions).order_by(Badge.issued_at, Badge.id)


def require_badge(*, session: Session, badge_id: uuid.UUID) -> Badge:
    return get_or_404(session, Badge, badge_id, f"no badge with id {badge_id}")


def revoke_badge(
    *, session: Session, badge: Badge, actor: Actor | None = None, reason: str = ""
) -> Badge:
    """Revoke a badge for good (it drops out of the kiosks' offline list on next sync)."""
    if not badge.active:
        return badge
    badge.active = False
    badge.revoked_at = utcnow()
    session.flush()
    record(
        session=session,
        action="badge.revoked",
        actor=actor,
        target_type="badge",
        target_id=badge.id,
        details={"user_id": str(badge.user_id), "reason": reason},
    )
    return badge


def create_station(*, session: Session, name: str) -> tuple[Station, str]:
    """Register a station and return it with its bearer token (shown once)."""
    token = new_station_token()
    station = Station(name=name, token_hash=token_hash(token))
    session.add(station)
    flush_unique(session, f"a station named {name!r}")
    return station, token


def rotate_station_token(*, session: Session, station: Station) -> str:
    """Issue a new token for a station; the old one stops working."""
    token = new_station_token()
    station.token_hash = token_hash(token)
    station.active = True
    station.revoked_at = None
    session.flush()
    return token


def authenticate_station(*, session: Session, token: str) -> Station:
    """The active station holding ``token``, or ``Unauthorized``."""
    digest = token_hash(token)
    station = session.scalar(select(Station).where(Station.token_hash == digest))
    if station is None or not station.active:
        if session.scalar(select(Station.id).where(Station.revoked_token_hash == digest)):
            # A distinct code, so the kiosk knows to wipe itself (docs/identity.md); only
            # the holder of the token learns it, so it tells an outsider nothing.
            raise Unauthorized(STATION_REVOKED_MESSAGE, code=STATION_REVOKED)
        raise Unauthorized("invalid or revoked station token")
    station.last_seen_at = utcnow()
    return station


def all_badges(*, session: Session) -> list[tuple[Badge, User]]:
    """Every badge with its user, revoked ones too (the protocol-1 reference lists both)."""
    rows = session.execute(
        select(Badge, User).join(User, Badge.user_id == User.id).order_by(Badge.issued_at)
    )
    return [(badge, user) for badge, user in rows]


def active_badges(*, session: Session) -> list[tuple[Badge, User]]:
    """Badges that may log in: active badge, active user."""
    rows = session.execute(
        select(Badge, User)
        .join(User, Badge.user_id == User.id)
        .where(Badge.active.is_(True), User.active.is_(True))
        .order_by(Badge.issued_at)
    )
    return [(badge, user) for badge, user in rows]
