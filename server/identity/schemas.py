"""Admin and self-service API shapes for identity (the kiosk contracts are in shared.auth).

Requests forbid unknown fields and bound every string and list, so bad input is a 422
with a message, never a 500 or a half-stored row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.identity.models import Role, User
from server.patch import PatchBody
from shared.json_input import JsonInput

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
    ),
]
Password = Annotated[str, Field(min_length=10, max_length=1024)]
Pin = Annotated[str, Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=32, pattern=r"^[0-9+() .-]*$")
]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]
StationName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class _In(JsonInput):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# users


class UserCreate(_In):
    name: Name
    email: Email | None = None
    password: Password | None = None
    pin: Pin | None = None
    roles: Annotated[list[Role], Field(max_length=4)] = []
    active: bool = True
    phone: Phone | None = None
    skills: Annotated[list[Skill], Field(max_length=50)] = []
    day_rate_cents: Cents | None = None


class UserUpdate(PatchBody):
    """Only the fields sent change; ``null`` clears an optional one."""

    clearable = frozenset({"email", "phone", "day_rate_cents", "skills"})  # skills: null = []

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    skills: Annotated[list[Skill], Field(max_length=50)] | None = None
    day_rate_cents: Cents | None = None
    roles: Annotated[list[Role], Field(max_length=4)] | None = None
    active: bool | None = None


class PasswordReset(_In):
    password: Password | None  # null clears it (badge-only user)


class PinSet(_In):
    pin: Pin | None


class UserOut(_Out):
    id: uuid.UUID
    name: str
    email: str | None
    active: bool
    roles: list[str]
    phone: str | None
    skills: list[str]
    day_rate_cents: int | None
    has_password: bool
    has_pin: bool
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            name=user.name,
            email=user.email,
            active=user.active,
            roles=user.role_names,
            phone=user.phone,
            skills=list(user.skills or []),
            day_rate_cents=user.day_rate_cents,
            has_password=user.password_hash is not None,
            has_pin=user.pin_hash is not None,
            created_at=user.created_at,
            updated_at=user.updated_at,
            deactivated_at=user.deactivated_at,
        )


# badges


class BadgeIssue(_In):
    """No ``code``: the server makes a strong one (or, with ``signed``, a signed QR code)
    and answers it once. A given ``code`` (an existing card) is stored as weak."""

    code: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    signed: bool = False
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class BadgeOut(_Out):
    id: uuid.UUID
    user_id: uuid.UUID
    label: str
    kind: str  # issued | imported | signed
    weak: bool  # imported: an admin's or planner's weak badge needs a PIN to log in
    active: bool
    issued_at: datetime
    revoked_at: datetime | None


class BadgeIssued(BadgeOut):
    code: str | None = None  # a code the server made: shown this once, never stored


class StationSyncOut(_Out):
    id: uuid.UUID
    name: str
    last_seen_at: datetime | None
    reference_synced_at: datetime | None


class BadgeDetail(BadgeOut):
    """A badge; once revoked, the active stations that have not synced their reference
    data since, so still hold it in their offline cache (issue 15, lost badge)."""

    stations_not_synced: list[StationSyncOut] = Field(default_factory=list)


# stations


class EnrollmentCreate(_In):
    name: StationName
    ttl_minutes: Annotated[int, Field(ge=5, le=7 * 24 * 60)] = 24 * 60


class EnrollmentOut(BaseModel):
    id: uuid.UUID
    name: str
    code: str  # shown once
    expires_at: datetime


class StationRename(_In):
    name: StationName


class StationOut(_Out):
    id: uuid.UUID
    name: str
    active: bool
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    # When it last proved it holds the current reference data (its offline badge cache).
    reference_synced_at: datetime | None = None


# self-service


class LogoutRequest(_In):
    refresh_token: Annotated[str, Field(min_length=10, max_length=512)] | None = None
    everywhere: bool = False


class LogoutResponse(BaseModel):
    revoked: int
