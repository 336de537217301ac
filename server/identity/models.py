"""One user record per person; badges and stations hang off it (SPEC §1–2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow
from shared.ids import uuid7


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    WAREHOUSE = "warehouse"
    CREW = "crew"


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    # J = HMAC(PIN key, PIN) (shared.badges.pin_join): joined into the stations' offline
    # verifiers. Known only when the PIN is set or used online (NULL for older PINs).
    pin_join: Mapped[str | None] = mapped_column(String(64))
    # Crew details live on the same identity (SPEC §1): no second table of people.
    phone: Mapped[str | None] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    day_rate_cents: Mapped[int | None] = mapped_column(Integer)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    badges: Mapped[list[Badge]] = relationship(back_populates="user")

    @property
    def role_names(self) -> list[str]:
        return sorted(role.role for role in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class BadgeKind(StrEnum):
    ISSUED = "issued"  # generated here: 80 random bits + check character
    IMPORTED = "imported"  # a code from an existing card: weak (no strength rule)
    SIGNED = "signed"  # an Ed25519-signed QR payload (shared.badges.sign_badge)


class Badge(Base):
    """A crew badge. Only the keyed hash of its code is stored (shared.badges)."""

    __tablename__ = "badges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(
        String(16), default=BadgeKind.IMPORTED.value, server_default=BadgeKind.IMPORTED.value
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="badges")

    @property
    def weak(self) -> bool:
        return self.kind == BadgeKind.IMPORTED.value


class StationBadgeVerifier(Base):
    """A station's offline verifier of one badge, kept because each one costs ~20 ms of
    scrypt (shared.badges.offline_verifier). ``fingerprint`` names its inputs (code hash,
    PIN join, recipe version): a changed PIN or recipe makes the row stale."""

    __tablename__ = "station_badge_verifiers"

    station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True
    )
    badge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("badges.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
    verifier: Mapped[str] = mapped_column(String(64))


class Station(Base):
    """A registered kiosk. Its bearer token is stored as a SHA-256 hash (it is random)."""

    __tablename__ = "stations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The revoked token's hash, kept so its next call is told "revoked" (a distinct 401)
    # instead of "invalid": the kiosk then wipes itself (docs/identity.md).
    revoked_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # When the station last proved it holds the current reference data (its cursor named
    # the current version): a badge revoked after this is still in its offline cache.
    reference_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the kiosk said on its last sync request (shared.protocol headers; /metrics).
    reported_queue_depth: Mapped[int | None] = mapped_column(Integer)
    app_version: Mapped[str | None] = mapped_column(String(32))


class LoginSession(Base):
    """Someone logged in at a station; every scan names one (``scans.login_session_id``).

    ``badge``: an online badge login; its id is the login's refresh-token family (the
    access token's ``sid``). ``offline``: a login the kiosk checked against its mirror,
    recorded there with a UUIDv7 of its own and uploaded ahead of its scans (idempotent by
    that id); ``started_at`` is then the kiosk's clock, for people only.
    """

    __tablename__ = "login_sessions"
    __table_args__ = (
        Index("ix_login_sessions_station_user", "station_id", "user_id"),
        CheckConstraint("method IN ('badge', 'offline')", name="method"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"))
    method: Mapped[str] = mapped_column(String(16))
    verifier: Mapped[str | None] = mapped_column(String(32))  # offline: how the kiosk checked
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StationEnrollment(Base):
    """A one-time enrolment code (stored as a SHA-256 hash) an admin hands to a new kiosk."""

    __tablename__ = "station_enrollments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stations.id"))


class RefreshToken(Base):
    """One refresh token of a login "family"; rotation chains tokens within the family.

    Only a SHA-256 of the (random, 256-bit) token is stored. A token presented after it was
    rotated is a reuse: the whole family is revoked (RFC 9700 §4.14.2).
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_user", "user_id", "revoked_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    station_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stations.id"))
    method: Mapped[str] = mapped_column(String(16))  # password | badge
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed-login counter for one key ("account:<email>", "station:<id>", "ip:<addr>")."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
