"""Kiosk ↔ server identity messages (SPEC §2): station enrolment and badge login.

- ``POST /api/v1/stations/enroll`` (no auth; the one-time code is the credential):
  ``EnrollRequest`` → ``EnrollResponse``. The token is shown once; the server keeps a hash.
- ``POST /api/v1/auth/badge`` (``Authorization: Bearer <station token>``):
  ``BadgeLoginRequest`` → ``LoginResponse``. No ``pin`` for a badge whose user has a PIN,
  or for a badge nobody holds → 401 ``pin_required`` (the same answer: ask for a PIN, then
  send both). Wrong badge or PIN → 401 with one message whether or not the badge exists. A
  weak (imported) badge of an admin or planner without a PIN → 403 ``badge_needs_pin``.
  Too many failures → 429 with ``Retry-After``.
- ``POST /api/v1/auth/login`` (email + password) → ``LoginResponse`` for admins/planners.
- ``POST /api/v1/auth/refresh`` ``RefreshRequest`` → ``LoginResponse`` (rotates; reusing an
  old refresh token revokes the whole family).

A kiosk that cannot reach the server logs the crew member in from its mirror (per-station
slow verifiers and signed badges in the reference data: shared.badges, docs/identity.md)
and marks the session offline.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.json_input import JsonInput


class _Request(JsonInput):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EnrollRequest(_Request):
    code: Annotated[str, Field(min_length=6, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class EnrollResponse(_Response):
    station_id: uuid.UUID
    name: str
    token: str


class BadgeLoginRequest(_Request):
    badge_code: Annotated[str, Field(min_length=1, max_length=256)]
    pin: Annotated[str, Field(min_length=4, max_length=12, pattern=r"^[0-9]+$")] | None = None


class PasswordLoginRequest(_Request):
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshRequest(_Request):
    refresh_token: Annotated[str, Field(min_length=10, max_length=512)]


class UserInfo(_Response):
    id: uuid.UUID
    name: str
    email: str | None = None
    roles: list[str]


class LoginResponse(_Response):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds
    refresh_token: str
    user: UserInfo
    # The login session (issue 15): a kiosk puts it on every scan made under this login.
    # Optional so a kiosk still reads an older server's answer.
    login_session_id: uuid.UUID | None = None
