"""Request and response models for customers, invoices and credit notes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from server.invoicing import customer_details as details
from server.patch import PatchBody
from shared.json_input import JsonInput

VatRate = Literal[21, 9, 0]
# UNCL5305 as EN 16931 uses it; what each means and when it applies: server.invoicing.vat.
VatCategoryCode = Literal["S", "Z", "E", "AE", "K", "G", "O"]


def _agree(rate: int, category: str | None, field: str) -> None:
    if category is not None and (category == "S") != (rate > 0):
        wanted = "above 0 %" if category == "S" else "0 %"
        raise ValueError(f"{field} {category} goes with a VAT rate {wanted}, not {rate} %")


class _Strict(JsonInput):
    model_config = ConfigDict(extra="forbid")


class CustomerCreate(_Strict):
    """A customer; ``country`` comes before the fields whose shape depends on it."""

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    country: str = Field(default="NL", max_length=60)  # ISO 3166-1 alpha-2 (validator says)
    # Street and house number; 500 as the column (an old address migrated whole).
    street: str | None = Field(default=None, max_length=500)
    zipcode: str | None = Field(default=None, max_length=40)
    city: str | None = Field(default=None, max_length=100)
    kvk: str | None = Field(default=None, max_length=40)  # Chamber of Commerce, 8 digits
    vat_number: str | None = Field(default=None, max_length=40)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a customer needs a name")
        return value.strip()

    @field_validator("street", "city")
    @classmethod
    def _line(cls, value: str | None) -> str | None:
        return " ".join((value or "").split()) or None  # one line; blank is none

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return details.country(value)

    @field_validator("zipcode")
    @classmethod
    def _zipcode(cls, value: str | None, info: ValidationInfo) -> str | None:
        return details.postcode(value, info.data.get("country"))

    @field_validator("kvk")
    @classmethod
    def _kvk(cls, value: str | None) -> str | None:
        return details.kvk(value)

    @field_validator("vat_number")
    @classmethod
    def _vat(cls, value: str | None, info: ValidationInfo) -> str | None:
        return details.vat_number(value, info.data.get("country"))


class CustomerUpdate(PatchBody):
    """Only the fields sent change; ``null`` clears an optional one. The customer as it
    would be is then checked as a whole (``CustomerCreate``): a new country can make the
    stored postcode or VAT number wrong."""

    clearable = frozenset({"email", "street", "zipcode", "city", "kvk", "vat_number"})

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    country: str | None = Field(default=None, max_length=60)
    street: str | None = Field(default=None, max_length=500)
    zipcode: str | None = Field(default=None, max_length=40)
    city: str | None = Field(default=None, max_length=100)
    kvk: str | None = Field(default=None, max_length=40)
    vat_number: str | None = Field(default=None, max_length=40)


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    email: str | None
    street: str | None
    zipcode: str | None
    city: str | None
    country: str
    kvk: str | None
    vat_number: str | None


class FreeLineIn(_Strict):
    description: str = Field(min_length=1, max_length=300)
    qty: int = Field(gt=0, le=1_000_000)
    days: int = Field(default=1, gt=0, le=3660)
    unit_price_cents: int = Field(ge=0, le=10**9)
    vat_rate: VatRate
    # Overrides the customer's category; must agree with ``vat_rate`` (only S is above 0 %).
    vat_category: VatCategoryCode | None = None
    vat_exemption_reason: str | None = Field(default=None, min_length=1, max_length=300)

    @model_validator(mode="after")
    def _category_agrees(self):
        _agree(self.vat_rate, self.vat_category, "vat_category")
        return self


class InvoiceFromProject(_Strict):
    project_id: uuid.UUID
    customer_id: uuid.UUID | None = None
    # 21 unless a category other than S is given without a rate (then 0).
    rental_vat_rate: VatRate = 21
    rental_vat_category: VatCategoryCode | None = None
    rental_vat_exemption_reason: str | None = Field(default=None, min_length=1, max_length=300)
    free_lines: list[FreeLineIn] = Field(default_factory=list, max_length=200)
    issue_date: date | None = None

    @model_validator(mode="after")
    def _category_agrees(self):
        category = self.rental_vat_category
        if category not in (None, "S") and "rental_vat_rate" not in self.model_fields_set:
            self.rental_vat_rate = 0
        _agree(self.rental_vat_rate, category, "rental_vat_category")
        return self


class InvoiceLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    position: int
    kind: str
    product_id: uuid.UUID | None
    description: str
    qty: int
    days: int
    unit_price_cents: int
    vat_rate: int
    vat_category: str
    vat_exemption_reason: str | None
    net_cents: int
    vat_cents: int


class InvoiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    project_id: uuid.UUID | None
    state: str
    currency: str
    issue_date: date
    subtotal_cents: int
    vat_cents: int
    total_cents: int
    paid_cents: int
    refunded_cents: int  # refunds the provider reports done
    refund_pending_cents: int  # refunds on their way (not in refunded_cents)
    charged_back_cents: int
    overpaid_cents: int  # held beyond the total; see GET …/coverage for refunds to send
    created_at: datetime
    lines: list[InvoiceLineRead]


class CreditNoteCreate(_Strict):
    reason: str = Field(default="", max_length=300)
    # None credits the whole invoice.
    lines: list[FreeLineIn] | None = Field(default=None, max_length=200)


class CreditNoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    number: str
    invoice_id: uuid.UUID
    reason: str
    issue_date: date
    subtotal_cents: int
    vat_cents: int
    total_cents: int
    lines: list[dict]
