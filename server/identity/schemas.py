"""Admin and self-service API shapes for identity (the kiosk contracts are in shared.auth).

Requests forbid unknown fields and bound every string and list, so bad input is a 422
with a message, never a 500 or a half-stored row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.edge import UtcDatetime
from server.identity.models import Role
from server.patch import PatchBody

T = TypeVar("T")

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


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


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
    def of(cls, user) -> UserOut:
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
    code: Annotated[str, Field(min_length=1, max_length=256)]
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class BadgeOut(_Out):
    id: uuid.UUID
    user_id: uuid.UUID
    label: str
    active: bool
    issued_at: datetime
    revoked_at: datetime | None


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


# crew assignments

CrewRole = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Notes = Annotated[str, Field(max_length=2000)]


class AssignmentCreate(_In):
    user_id: uuid.UUID
    project_id: uuid.UUID
    role: CrewRole
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    notes: Notes = ""


class AssignmentUpdate(PatchBody):
    role: CrewRole | None = None
    starts_at: UtcDatetime | None = None
    ends_at: UtcDatetime | None = None
    notes: Notes | None = None


class AssignmentOut(_Out):
    id: uuid.UUID
    user_id: uuid.UUID
    project_id: uuid.UUID
    role: str
    starts_at: datetime
    ends_at: datetime
    notes: str


# self-service


class LogoutRequest(_In):
    refresh_token: Annotated[str, Field(min_length=10, max_length=512)] | None = None
    everywhere: bool = False


class LogoutResponse(BaseModel):
    revoked: int


class MeResponse(BaseModel):
    user: UserOut
    roles: list[str]
    permissions: list[str]
    station_id: uuid.UUID | None  # set when this session began with a badge at a kiosk
    assignments_today: list[AssignmentOut]


class Paging(BaseModel):
    """``?limit=&offset=`` on every list route (a dependency: ``Annotated[Paging, Query()]``).

    Not ``extra="forbid"``: as a query model that would refuse the route's other filters.
    """

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
