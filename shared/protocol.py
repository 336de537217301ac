"""Sync protocol between kiosk and server (SPEC §4), version ``PROTOCOL_VERSION``.

Requests are strict (unknown fields are an error: a typo must not silently drop data);
responses are lenient (an older kiosk ignores fields a newer server adds).

Marking damaged / missing on return: an ``in`` scan may carry ``condition`` (``ok`` |
``damaged`` | ``missing``, see ``ReturnCondition``). ``damaged`` books the item back in and
marks it damaged; ``missing`` is the operator reporting that an item of the project did not
come back (its label is typed or picked from the list, not scanned) and books no return.
A case scan with a condition applies it to every unit in the case; a bulk scan to its qty.
Leaving ``condition`` out means ``ok``, so kiosks that predate it keep working unchanged.

Packing a case at a station: an ``audit`` scan of a unit may carry ``case_code`` (the
case's label as scanned); the server puts the unit into that case (taking it out of any
other case; that is flagged ``conflict`` for review) and moves nothing.

Scans bound to a login (issue 15; additive, optional): a scan carries ``login_session_id``,
the login it was made under — the ``login_session_id`` of an online badge login's answer
(``shared.auth.LoginResponse``) or the ``login_id`` of an offline login the kiosk recorded.
Offline logins travel in the batch's ``logins``, which the server records (idempotently,
by ``login_id``) before it decides the batch's scans; the answer acknowledges each in
``logins``. A kiosk sends its pending offline logins first, in a batch of their own
(``scans`` may be empty when ``logins`` is not). How each scan was attributed is stored
with it (``Attribution``): a scan whose user has no login at the uploading station is
``conflict`` (``no_login_session``/``login_session_mismatch``), never dropped.

Versions and skew (docs/operations.md "Upgrades"): the server accepts requests of its own
protocol version and of the one before (``MIN_PROTOCOL_VERSION``), so kiosks can be
upgraded after the server, one station at a time. Both sides say what they speak in
headers on every request and answer (``PROTOCOL_HEADER``, ``ACCEPTS_HEADER``); a request
without them is protocol 1 (kiosks from before the headers). A server refuses a kiosk that
is too old with 426 ``kiosk_too_old`` and one that is newer than it with 409
``server_too_old``, before it reads the body; the kiosk then shows *update needed* and keeps
its queue. Within one version, changes stay additive: new request fields optional, new
response fields ignored by older kiosks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.ids import is_uuid7
from shared.json_input import JsonInput

# 2: scans name their login (``login_session_id``) and a batch may carry offline ``logins``
# (issue 15); both optional, so protocol-1 kiosks (neither, no headers) keep syncing.
PROTOCOL_VERSION = 2
# The oldest protocol this code still accepts: the current one and the one before.
MIN_PROTOCOL_VERSION = max(1, PROTOCOL_VERSION - 1)
# A request or answer without PROTOCOL_HEADER comes from before the headers: protocol 1.
UNSTATED_PROTOCOL_VERSION = 1

# Sent by the kiosk on every request and by the server on every answer.
PROTOCOL_HEADER = "RentGuy-Protocol"  # "1": the version the sender speaks
ACCEPTS_HEADER = "RentGuy-Protocol-Accepts"  # "1-2": the versions the sender accepts
APP_VERSION_HEADER = "RentGuy-Version"  # the sender's release, e.g. "0.2.0"
# Sent by the kiosk with each sync request (for the server's per-station metrics).
QUEUE_DEPTH_HEADER = "RentGuy-Queue-Depth"
MAX_BATCH_SIZE = 1000
MAX_SCAN_QTY = 100_000
MAX_LOGINS_PER_BATCH = 100


def accepts_value(low: int = MIN_PROTOCOL_VERSION, high: int = PROTOCOL_VERSION) -> str:
    return f"{low}-{high}"


def parse_protocol(value: str | None) -> int:
    """``PROTOCOL_HEADER``'s value (absent: ``UNSTATED_PROTOCOL_VERSION``); ValueError if bad."""
    if value is None:
        return UNSTATED_PROTOCOL_VERSION
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6 or int(text) < 1:
        raise ValueError(f"{PROTOCOL_HEADER} must be a positive integer, not {value!r}")
    return int(text)


def parse_accepts(value: str | None) -> tuple[int, int]:
    """``ACCEPTS_HEADER``'s ``low-high`` (absent: only protocol 1); ValueError if bad."""
    if value is None:
        return (UNSTATED_PROTOCOL_VERSION, UNSTATED_PROTOCOL_VERSION)
    low, sep, high = value.strip().partition("-")
    if not sep:
        raise ValueError(f"{ACCEPTS_HEADER} must be 'low-high', not {value!r}")
    first, last = parse_protocol(low), parse_protocol(high)
    if first > last:
        raise ValueError(f"{ACCEPTS_HEADER} must be 'low-high' with low <= high, not {value!r}")
    return (first, last)


def version_headers(app_version: str) -> dict[str, str]:
    """What either side states about itself on every request or answer."""
    return {
        PROTOCOL_HEADER: str(PROTOCOL_VERSION),
        ACCEPTS_HEADER: accepts_value(),
        APP_VERSION_HEADER: app_version,
    }


class ScanMode(StrEnum):
    OUT = "out"
    IN = "in"
    AUDIT = "audit"
    ANNUL = "annul"


class ScanSource(StrEnum):
    WEDGE = "wedge"
    SERIAL = "serial"
    CAMERA = "camera"
    MANUAL = "manual"


class ScanStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class MovementKind(StrEnum):
    OUT = "out"
    IN = "in"
    DAMAGED = "damaged"
    MISSING = "missing"
    MAINTENANCE = "maintenance"


class Attribution(StrEnum):
    """How the server tied a scan to a login (stored with the scan, for review).

    ``online``: it names this user's online badge login at this station. ``offline``: it
    names an uploaded offline login (applied; listed for review). ``unbound``: it names no
    login (a kiosk older than login sessions) but its user has one at this station (applied;
    listed for review). ``none``: no login of its user at this station backs it: the scan is
    a ``conflict`` (still applied, as every conflict is).
    """

    ONLINE = "online"
    OFFLINE = "offline"
    UNBOUND = "unbound"
    NONE = "none"


class ReturnCondition(StrEnum):
    """How an item came back (optional on ``in`` scans; protocol 1 addition).

    ``ok`` is the same as leaving it out. ``damaged``: the item is back in the warehouse
    and marked damaged (movements ``in`` + ``damaged``). ``missing``: the operator reports
    that the item did not come back (movement ``missing`` only; it stays off the shelf).
    """

    OK = "ok"
    DAMAGED = "damaged"
    MISSING = "missing"


class _Request(JsonInput):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ScanIn(_Request):
    """One scan as the kiosk recorded it. ``scanned_at`` is the kiosk's clock, for people only."""

    scan_id: uuid.UUID
    station_id: uuid.UUID
    seq: Annotated[int, Field(ge=1, le=2**62)]
    user_id: uuid.UUID
    project_id: uuid.UUID | None = None
    mode: ScanMode
    code: Annotated[str, Field(min_length=1, max_length=256)]
    symbology: Annotated[str, Field(max_length=32)] = ""
    source: ScanSource
    qty: Annotated[int, Field(ge=1, le=MAX_SCAN_QTY)] = 1
    scanned_at: AwareDatetime
    annuls_scan_id: uuid.UUID | None = None
    # Added backward-compatibly: older kiosks never send it; only valid with mode "in".
    condition: ReturnCondition | None = None
    # Added backward-compatibly: only valid with mode "audit" (pack the unit into a case).
    case_code: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    # Added backward-compatibly (issue 15): the login this scan was made under.
    login_session_id: uuid.UUID | None = None

    @field_validator("scan_id")
    @classmethod
    def _scan_id_is_v7(cls, value: uuid.UUID) -> uuid.UUID:
        if not is_uuid7(value):
            raise ValueError("scan_id must be a UUIDv7")
        return value

    @model_validator(mode="after")
    def _mode_fields(self) -> ScanIn:
        if self.mode is ScanMode.ANNUL and self.annuls_scan_id is None:
            raise ValueError("an annul scan needs annuls_scan_id")
        if self.mode is not ScanMode.ANNUL and self.annuls_scan_id is not None:
            raise ValueError("annuls_scan_id is only allowed with mode 'annul'")
        if self.case_code is not None and self.mode is not ScanMode.AUDIT:
            raise ValueError("case_code is only allowed with mode 'audit'")
        if self.condition is not None and self.mode is not ScanMode.IN:
            raise ValueError("condition is only allowed with mode 'in'")
        if self.mode in (ScanMode.OUT, ScanMode.IN) and self.project_id is None:
            raise ValueError(f"mode '{self.mode}' needs a project_id")
        return self


class OfflineLoginIn(_Request):
    """A badge login the kiosk checked against its mirror while the server was away.

    ``logged_in_at`` is the kiosk's clock (for people); ``verifier`` names how the kiosk
    checked the badge (e.g. ``scrypt-station-pin-v1``), so a review knows what it trusted."""

    login_id: uuid.UUID
    station_id: uuid.UUID
    user_id: uuid.UUID
    logged_in_at: AwareDatetime
    verifier: Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9.-]+$")]

    @field_validator("login_id")
    @classmethod
    def _login_id_is_v7(cls, value: uuid.UUID) -> uuid.UUID:
        if not is_uuid7(value):
            raise ValueError("login_id must be a UUIDv7")
        return value


class ScanBatch(_Request):
    scans: Annotated[list[ScanIn], Field(max_length=MAX_BATCH_SIZE)]
    # Recorded before the scans are decided (issue 15; optional, additive).
    logins: Annotated[list[OfflineLoginIn], Field(max_length=MAX_LOGINS_PER_BATCH)] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> ScanBatch:
        if not self.scans and not self.logins:
            raise ValueError("a batch needs at least one scan or login")
        ids = [scan.scan_id for scan in self.scans]
        if len(set(ids)) != len(ids):
            raise ValueError("a batch must not contain the same scan_id twice")
        logins = [login.login_id for login in self.logins]
        if len(set(logins)) != len(logins):
            raise ValueError("a batch must not contain the same login_id twice")
        return self


class MovementOut(_Response):
    id: uuid.UUID
    kind: MovementKind
    product_id: uuid.UUID
    unit_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None
    qty: int


class ScanReason(_Response):
    """One reason as a code plus parameters (``shared.reasons``; SPEC §10).

    ``code`` is a plain string, not the enum: a kiosk older than a server that added a
    code still reads the answer (and shows the English ``reason``)."""

    code: str
    params: dict[str, str | int] = Field(default_factory=dict)


class ScanResult(_Response):
    """The server's answer for one scan. A ``duplicate`` carries the first answer's status.

    ``reason`` is English, for API users. ``reasons`` (protocol 1 addition) says the same
    as codes with parameters, which the kiosk translates; ``reason_code``/``reason_params``
    repeat the first of them for clients that show one. Answers stored before codes existed
    carry only ``reason``."""

    scan_id: uuid.UUID
    status: ScanStatus
    reason: str | None = None
    reason_code: str | None = None
    reason_params: dict[str, str | int] = Field(default_factory=dict)
    reasons: list[ScanReason] = Field(default_factory=list)
    original_status: ScanStatus | None = None
    movements: list[MovementOut] = Field(default_factory=list)


class LoginStatus(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # recorded by an earlier upload: nothing changed
    REJECTED = "rejected"  # e.g. an unknown user: kept on the kiosk with the reason


class LoginAck(_Response):
    login_id: uuid.UUID
    status: LoginStatus
    reason: str | None = None


class ScanBatchResponse(_Response):
    protocol_version: int = PROTOCOL_VERSION
    received_at: datetime | None = None
    results: list[ScanResult]
    logins: list[LoginAck] = Field(default_factory=list)
