"""Logins and sessions: password and badge login, rotating refresh tokens, logout (SPEC §2).

Every failure answers the same 401 message whether or not the account or badge exists, and
burns one argon2 verify either way, so neither the answer nor its timing tells them apart.
Failures are counted (``throttle``) and audited in the same transaction, which commits even
though the request fails (``keep_work``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.service import Actor, record
from server.config import Settings
from server.db import utcnow
from server.errors import Forbidden, TooManyRequests, Unauthorized
from server.identity import throttle
from server.identity.login_sessions import open_badge_session
from server.identity.models import Badge, RefreshToken, Station, User
from server.identity.security import (
    dummy_verify_pin,
    hash_password,
    hash_pin,
    needs_rehash,
    new_refresh_token,
    pin_needs_rehash,
    token_hash,
    verify_password,
    verify_pin,
)
from server.identity.service import revoke_refresh_tokens
from server.identity.tokens import ACCESS_TOKEN_TTL, issue_access_token
from shared.badges import badge_hash, pin_join
from shared.ids import uuid7

LOGIN_FAILED = "invalid credentials"
REFRESH_FAILED = "invalid or expired refresh token"
# A refresh family lives this long from its login; rotation does not extend it.
REFRESH_TTL = {"password": timedelta(days=14), "badge": timedelta(hours=12)}


@dataclass(frozen=True, slots=True)
class LoginGrant:
    """What a successful login or refresh hands out."""

    user: User
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID  # the login session (refresh family; ``sid``); scans name it


def _issue(
    *,
    session: Session,
    settings: Settings,
    user: User,
    method: str,
    station_id: uuid.UUID | None,
    family_id: uuid.UUID | None = None,
    family_expires_at: datetime | None = None,
) -> LoginGrant:
    now = utcnow()
    if family_id is None and station_id is not None:
        # A new login at a kiosk: its scans will name this session (issue 15).
        family_id = uuid7()
        open_badge_session(
            session=session, session_id=family_id, user_id=user.id, station_id=station_id, now=now
        )
    family_id = family_id or uuid7()
    access, _claims = issue_access_token(
        settings=settings,
        user_id=user.id,
        session_id=family_id,
        roles=user.role_names,
        station_id=station_id,
        now=now,
    )
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            family_id=family_id,
            user_id=user.id,
            station_id=station_id,
            method=method,
            token_hash=token_hash(refresh),
            issued_at=now,
            expires_at=family_expires_at or now + REFRESH_TTL[method],
        )
    )
    session.flush()
    return LoginGrant(
        user=user,
        access_token=access,
        refresh_token=refresh,
        expires_in=int(ACCESS_TOKEN_TTL.total_seconds()),
        session_id=family_id,
    )


def open_session(
    *,
    session: Session,
    settings: Settings,
    user: User,
    method: str = "password",
    station_id: uuid.UUID | None = None,
) -> LoginGrant:
    """A new login session for ``user`` without checking a secret (the caller already has:
    the CLI, the demo seed, tests)."""
    return _issue(
        session=session, settings=settings, user=user, method=method, station_id=station_id
    )


def session_live(*, session: Session, session_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether the login session (refresh family) still has an unrevoked token of this user.

    Revocation marks every token of a family at once, so one indexed look-up
    (``ix_refresh_tokens_family_id``) answers; the database is shared by every worker."""
    return (
        session.scalar(
            select(RefreshToken.id)
            .where(
                RefreshToken.family_id == session_id,
                RefreshToken.user_id == user_id,
                RefreshToken.revoked_at.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def _refuse(
    *,
    session: Session,
    keys: list[tuple[str, throttle.Policy]],
    actor: Actor,
    method: str,
    user: User | None,
    reason: str,
) -> Unauthorized:
    """Count and audit a failed login; returns the one error every failure answers."""
    throttle.record_failure(session, keys)
    record(
        session=session,
        action="auth.login",
        outcome="failed",
        actor=actor,
        target_type="user" if user else None,
        target_id=user.id if user else None,
        details={"method": method, "reason": reason},
    )
    return Unauthorized(LOGIN_FAILED, keep_work=True)


def _check_locked(
    session: Session, keys: list[tuple[str, throttle.Policy]], actor: Actor, method: str
) -> None:
    try:
        throttle.ensure_not_locked(session, keys)
    except TooManyRequests:
        record(
            session=session,
            action="auth.login",
            outcome="denied",
            actor=actor,
            details={"method": method, "reason": "locked"},
        )
        raise


def password_login(
    *, session: Session, settings: Settings, email: str, password: str, ip: str | None
) -> LoginGrant:
    """Email + password → tokens, or one 401 for every failure, or 429 while locked."""
    email = email.strip().lower()
    actor = Actor(ip=ip)
    keys = [(f"account:{email}", throttle.ACCOUNT), (f"ip:{ip}", throttle.SOURCE)]
    _check_locked(session, keys, actor, "password")
    user = session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        reason = "unknown account" if user is None else "bad password" if not ok else "inactive"
        raise _refuse(
            session=session, keys=keys, actor=actor, method="password", user=user, reason=reason
        )
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # upgrade older argon2 parameters
    throttle.record_success(session, [keys[0][0]])
    record(
        session=session,
        action="auth.login",
        actor=Actor(user_id=user.id, ip=ip),
        target_type="user",
        target_id=user.id,
        details={"method": "password"},
    )
    return _issue(session=session, settings=settings, user=user, method="password", station_id=None)


PIN_REQUIRED = "enter the PIN for this badge"
WEAK_BADGE_NEEDS_PIN = (
    "this badge is an imported (weak) code of an admin or planner: it needs a PIN to log in"
)
# Roles whose weak badges need a PIN (and whose badges stay out of offline caches without).
PIN_ROLES = frozenset({"admin", "planner"})


def badge_login(
    *,
    session: Session,
    settings: Settings,
    station: Station,
    badge_code: str,
    pin: str | None,
    ip: str | None,
) -> LoginGrant:
    """A badge scanned at a station (+ PIN where the user has one) → tokens.

    Without a PIN, a badge whose user has one and a badge nobody holds get the same answer:
    401 ``pin_required`` (no enumeration; the kiosk then asks for a PIN either way). Only
    the unknown one counts as a failure: a PIN user's first step is not a mistake.
    """
    code_hash = badge_hash(settings.badge_hash_key, badge_code)
    actor = Actor(station_id=station.id, ip=ip)
    keys = [(f"badge:{code_hash}", throttle.ACCOUNT), (f"station:{station.id}", throttle.SOURCE)]
    _check_locked(session, keys, actor, "badge")
    row = session.execute(
        select(Badge, User)
        .join(User, Badge.user_id == User.id)
        .where(Badge.code_hash == code_hash, Badge.active.is_(True))
    ).first()
    badge, user = row if row else (None, None)
    if badge is None or user is None or not user.active:  # both or neither: one row
        if pin is None:
            _refuse(
                session=session,
                keys=keys,
                actor=actor,
                method="badge",
                user=user,
                reason="unknown badge" if user is None else "inactive",
            )
            raise Unauthorized(PIN_REQUIRED, code="pin_required", keep_work=True)
        dummy_verify_pin(pin)
        reason = "unknown badge" if user is None else "inactive"
        raise _refuse(
            session=session, keys=keys, actor=actor, method="badge", user=user, reason=reason
        )
    if user.pin_hash is None:
        if badge.weak and PIN_ROLES & set(user.role_names):
            record(
                session=session,
                action="auth.login",
                outcome="denied",
                actor=actor,
                target_type="user",
                target_id=user.id,
                details={"method": "badge", "reason": "weak badge without PIN"},
            )
            raise Forbidden(WEAK_BADGE_NEEDS_PIN, code="badge_needs_pin", keep_work=True)
    elif pin is None:
        raise Unauthorized(PIN_REQUIRED, code="pin_required")
    elif not verify_pin(user.pin_hash, pin):
        raise _refuse(
            session=session, keys=keys, actor=actor, method="badge", user=user, reason="bad pin"
        )
    else:
        if pin_needs_rehash(user.pin_hash):
            user.pin_hash = hash_pin(pin)  # a PIN hashed with the password parameters
        if user.pin_join is None:
            # A PIN set before offline verifiers joined it: now the server knows it again.
            user.pin_join = pin_join(settings.badge_pin_key, pin)
    throttle.record_success(session, [keys[0][0]])
    record(
        session=session,
        action="auth.login",
        actor=Actor(user_id=user.id, station_id=station.id, ip=ip),
        target_type="user",
        target_id=user.id,
        details={"method": "badge", "badge_id": str(badge.id), "pin": user.pin_hash is not None},
    )
    return _issue(
        session=session, settings=settings, user=user, method="badge", station_id=station.id
    )


def refresh(*, session: Session, settings: Settings, token: str, ip: str | None) -> LoginGrant:
    """Rotate a refresh token. Presenting one already rotated revokes its whole family."""
    now = utcnow()
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)).with_for_update()
    )
    if row is None:
        raise Unauthorized(REFRESH_FAILED)
    if row.used_at is not None:
        # Either the client replayed or someone stole it: nobody in this family is trusted.
        revoked = revoke_refresh_tokens(session=session, family_id=row.family_id)
        record(
            session=session,
            action="auth.token_reuse",
            outcome="denied",
            actor=Actor(ip=ip),
            target_type="user",
            target_id=row.user_id,
            details={"family_id": str(row.family_id), "revoked": revoked},
        )
        raise Unauthorized(REFRESH_FAILED, keep_work=True)
    if row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized(REFRESH_FAILED)
    user = session.get(User, row.user_id)
    station = session.get(Station, row.station_id) if row.station_id else None
    if user is None or not user.active or (row.station_id and not (station and station.active)):
        revoke_refresh_tokens(session=session, family_id=row.family_id)
        raise Unauthorized(REFRESH_FAILED, keep_work=True)
    row.used_at = now
    return _issue(
        session=session,
        settings=settings,
        user=user,
        method=row.method,
        station_id=row.station_id,
        family_id=row.family_id,
        family_expires_at=row.expires_at,
    )


def logout(
    *,
    session: Session,
    user: User,
    refresh_token: str | None,
    everywhere: bool,
    actor: Actor,
) -> int:
    """End one session (its refresh family) or all of the user's; returns tokens revoked."""
    if everywhere:
        revoked = revoke_refresh_tokens(session=session, user_id=user.id)
    elif refresh_token:
        row = session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
        )
        # Someone else's token is treated like an unknown one: nothing to revoke.
        if row is None or row.user_id != user.id:
            revoked = 0
        else:
            revoked = revoke_refresh_tokens(session=session, family_id=row.family_id)
    else:
        revoked = 0
    record(
        session=session,
        action="auth.logout",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"everywhere": everywhere, "revoked": revoked},
    )
    return revoked
