"""Request and response models for customers, invoices and credit notes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VatRate = Literal[21, 9, 0]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerCreate(_Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    vat_number: str | None = Field(default=None, max_length=32)
    address: str = Field(default="", max_length=500)


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    email: str | None
    vat_number: str | None
    address: str


class FreeLineIn(_Strict):
    description: str = Field(min_length=1, max_length=300)
    qty: int = Field(gt=0, le=1_000_000)
    days: int = Field(default=1, gt=0, le=3660)
    unit_price_cents: int = Field(ge=0, le=10**9)
    vat_rate: VatRate


class InvoiceFromProject(_Strict):
    project_id: uuid.UUID
    customer_id: uuid.UUID | None = None
    rental_vat_rate: VatRate = 21
    free_lines: list[FreeLineIn] = Field(default_factory=list, max_length=200)
    issue_date: date | None = None


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
    refunded_cents: int
    charged_back_cents: int
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
