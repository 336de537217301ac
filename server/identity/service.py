"""Identity services: users, badges, station tokens. Services flush; callers commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import Conflict, Unauthorized
from server.identity.models import Badge, Role, Station, User, UserRole
from server.identity.security import hash_password, new_station_token, token_hash
from shared.badges import badge_hash


def create_user(
    *,
    session: Session,
    name: str,
    email: str | None = None,
    password: str | None = None,
    roles: list[Role] | tuple[Role, ...] = (),
) -> User:
    """Create one person's identity."""
    if email is not None:
        email = email.strip().lower()
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(f"a user with email {email} already exists")
    user = User(
        name=name,
        email=email,
        password_hash=hash_password(password) if password else None,
        roles=[UserRole(role=Role(role).value) for role in roles],
    )
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user: User, password: str) -> None:
    """Replace a user's password hash."""
    user.password_hash = hash_password(password)
    session.flush()


def issue_badge(*, session: Session, user: User, code: str, key: bytes, label: str = "") -> Badge:
    """Attach a badge to a user; only its keyed hash is stored."""
    code_hash = badge_hash(key, code)
    if session.scalar(select(Badge.id).where(Badge.code_hash == code_hash)) is not None:
        raise Conflict("this badge is already issued")
    badge = Badge(user_id=user.id, code_hash=code_hash, label=label)
    session.add(badge)
    session.flush()
    return badge


def create_station(*, session: Session, name: str) -> tuple[Station, str]:
    """Register a station and return it with its bearer token (shown once)."""
    token = new_station_token()
    station = Station(name=name, token_hash=token_hash(token))
    session.add(station)
    session.flush()
    return station, token


def rotate_station_token(*, session: Session, station: Station) -> str:
    """Issue a new token for a station; the old one stops working."""
    token = new_station_token()
    station.token_hash = token_hash(token)
    station.active = True
    session.flush()
    return token


def authenticate_station(*, session: Session, token: str) -> Station:
    """The active station holding ``token``, or ``Unauthorized``."""
    station = session.scalar(select(Station).where(Station.token_hash == token_hash(token)))
    if station is None or not station.active:
        raise Unauthorized("invalid or revoked station token")
    station.last_seen_at = utcnow()
    return station


def active_badges(*, session: Session) -> list[tuple[Badge, User]]:
    """Badges that may log in: active badge, active user."""
    rows = session.execute(
        select(Badge, User)
        .join(User, Badge.user_id == User.id)
        .where(Badge.active.is_(True), User.active.is_(True))
        .order_by(Badge.issued_at)
    )
    return [(badge, user) for badge, user in rows]


def get_user(*, session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)
