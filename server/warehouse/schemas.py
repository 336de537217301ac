"""Request and response bodies of the warehouse admin API (strict in, lenient out)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from server.edge import UtcDatetime
from server.identity.schemas import UserOut
from server.patch import PatchBody
from shared.json_input import JsonInput
from shared.protocol import ScanReason

Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Code = Annotated[str, Field(min_length=1, max_length=256)]
# INTEGER columns are 32-bit on PostgreSQL: a larger value would be a 500, not a 422.
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
ProjectStatus = Literal["planned", "active", "returned", "closed", "cancelled"]
SettableUnitStatus = Literal["available", "damaged", "missing", "maintenance"]


class _In(JsonInput):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- products ------------------------------------------------------------------------------


class ProductCreate(_In):
    sku: Annotated[str, Field(min_length=1, max_length=64)]
    name: Text200
    category: Annotated[str, Field(max_length=100)] = ""
    tracking: Literal["serialized", "bulk"]
    barcode: Code | None = None
    day_price_cents: Count = 0
    stock_qty: Count = 0

    @model_validator(mode="after")
    def _bulk_needs_code(self) -> ProductCreate:
        if self.tracking == "bulk" and not self.barcode:
            raise ValueError("a bulk product needs a barcode (it is scanned by it)")
        if self.tracking == "serialized" and self.stock_qty:
            raise ValueError("stock_qty is for bulk products; serialized stock is its units")
        return self


class ProductUpdate(PatchBody):
    clearable = frozenset({"barcode"})

    name: Text200 | None = None
    category: Annotated[str, Field(max_length=100)] | None = None
    barcode: Code | None = None
    day_price_cents: Count | None = None
    stock_qty: Count | None = None


class ProductOut(_Out):
    id: uuid.UUID
    sku: str
    name: str
    category: str
    tracking: str
    barcode: str | None
    day_price_cents: int
    stock_qty: int
    # Derived from the ledger: serialized -> units per status; bulk -> quantities.
    stock: dict[str, int] = Field(default_factory=dict)


# -- units ---------------------------------------------------------------------------------


class UnitCreate(_In):
    product_id: uuid.UUID
    barcode: Code
    serial: Annotated[str, Field(max_length=100)] = ""


class UnitUpdate(PatchBody):
    barcode: Code | None = None
    serial: Annotated[str, Field(max_length=100)] | None = None


class UnitStatusChange(_In):
    status: SettableUnitStatus
    note: Annotated[str, Field(max_length=500)] = ""


class UnitOut(_Out):
    id: uuid.UUID
    product_id: uuid.UUID
    barcode: str
    serial: str
    status: str
    project_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None


class MovementRow(_Out):
    id: uuid.UUID
    scan_id: uuid.UUID | None
    user_id: uuid.UUID | None
    kind: str
    product_id: uuid.UUID
    unit_id: uuid.UUID | None
    project_id: uuid.UUID | None
    qty: int
    note: str | None
    created_at: datetime
    # False for an undone scan's movement and for the undo's own (ledger.counted).
    counted: bool = True


class UnitDetail(UnitOut):
    movements: list[MovementRow] = Field(default_factory=list)


# -- cases ---------------------------------------------------------------------------------


class CaseCreate(_In):
    barcode: Code
    name: Text200
    kind: Literal["fixed", "kit"]
    unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class CaseUpdate(PatchBody):
    barcode: Code | None = None
    name: Text200 | None = None


class CaseContents(_In):
    unit_ids: list[uuid.UUID] = Field(max_length=500)


class CaseOut(_Out):
    id: uuid.UUID
    barcode: str
    name: str
    kind: str
    unit_ids: list[uuid.UUID]


# -- projects ------------------------------------------------------------------------------


class PickLineIn(_In):
    product_id: uuid.UUID
    qty: Annotated[int, Field(ge=1, le=1_000_000)]


class PickList(_In):
    lines: list[PickLineIn] = Field(default_factory=list, max_length=2000)
    unit_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5000)


class ProjectCreate(_In):
    name: Text200
    customer: Annotated[str, Field(max_length=200)] = ""
    starts_on: date | None = None
    ends_on: date | None = None
    status: ProjectStatus = "planned"
    pick_list: PickList | None = None

    @model_validator(mode="after")
    def _dates(self) -> ProjectCreate:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class ProjectUpdate(PatchBody):
    clearable = frozenset({"starts_on", "ends_on"})

    name: Text200 | None = None
    customer: Annotated[str, Field(max_length=200)] | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    status: ProjectStatus | None = None


class PickLineOut(_Out):
    product_id: uuid.UUID
    qty: int


class ProjectOut(_Out):
    id: uuid.UUID
    name: str
    customer: str
    starts_on: date | None
    ends_on: date | None
    status: str
    pick_lines: list[PickLineOut]
    unit_ids: list[uuid.UUID] = Field(default_factory=list)


class ProductStatus(_Out):
    product_id: uuid.UUID
    sku: str
    name: str
    expected: int
    out: int
    returned: int
    on_site: int
    damaged: int
    missing: int


class ProjectStatusOut(_Out):
    project_id: uuid.UUID
    status: str
    lines: list[ProductStatus]  # counts leave undone scans out (ledger.counted)
    units_out: list[UnitOut]
    complete: bool  # everything that went out is back or accounted for
    undone_scans: list[ScanRow] = Field(default_factory=list)  # annulled: they count nothing


class ReturnReport(ProjectStatusOut):
    not_returned: list[UnitOut]
    damaged_units: list[UnitOut]
    missing_units: list[UnitOut]
    flagged_scans: list[ScanRow]


# -- scans ---------------------------------------------------------------------------------


class ScanRow(_Out):
    scan_id: uuid.UUID
    station_id: uuid.UUID
    seq: int
    user_id: uuid.UUID
    project_id: uuid.UUID | None
    mode: str
    code: str
    normalized_code: str | None
    qty: int
    condition: str | None
    case_code: str | None = None
    scanned_at: datetime
    received_at: datetime
    status: str
    reason: str | None  # English, for API users
    reasons: list[ScanReason] = Field(default_factory=list)  # the same as codes
    annulled_by: uuid.UUID | None = None  # the annul scan that undid this one
    # The login it was made under and how it was attributed (shared.protocol.Attribution:
    # "offline" and "unbound" are applied but listed for review; NULL before 0019).
    login_session_id: uuid.UUID | None = None
    attribution: str | None = None

    @field_validator("reasons", mode="before")
    @classmethod
    def _stored_json(cls, value: object) -> object:
        # The scans table keeps them as JSON text; rows from before codes have none.
        if value is None:
            return []
        return orjson.loads(value) if isinstance(value, str) else value


ProjectStatusOut.model_rebuild()
ReturnReport.model_rebuild()


# -- crew assignments (and /me, which lists today's) ----------------------------------

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


class MeResponse(BaseModel):
    user: UserOut
    roles: list[str]
    permissions: list[str]
    station_id: uuid.UUID | None  # set when this session began with a badge at a kiosk
    assignments_today: list[AssignmentOut]
