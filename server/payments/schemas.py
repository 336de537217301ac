"""Request and response models for payments and refunds."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.json_input import JsonInput

# The amount columns are INTEGER (PostgreSQL: 4 bytes): larger is a 422, not a database error.
MAX_AMOUNT_CENTS = 2**31 - 1


class PaymentCreate(JsonInput):
    model_config = ConfigDict(extra="forbid")
    provider: str = Field(min_length=1, max_length=20)
    method: str | None = Field(default=None, max_length=20)
    amount_cents: int | None = Field(default=None, gt=0, le=MAX_AMOUNT_CENTS)


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    invoice_id: uuid.UUID
    provider: str
    provider_payment_id: str
    method: str | None
    amount_cents: int
    currency: str
    status: str
    provider_status: str
    amount_refunded_cents: int  # refunds the provider reports done
    amount_refund_pending_cents: int  # refunds on their way (not in amount_refunded_cents)
    amount_charged_back_cents: int
    dispute_status: str
    checkout_url: str | None
    paid_at: datetime | None
    created_at: datetime


class RefundCreate(JsonInput):
    model_config = ConfigDict(extra="forbid")
    amount_cents: int = Field(gt=0, le=MAX_AMOUNT_CENTS)
    # The caller's id for this refund; resending the same one refunds once.
    request_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    reason: str = Field(default="", max_length=200)


class RefundRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    payment_id: uuid.UUID
    provider: str
    provider_refund_id: str
    amount_cents: int
    status: str  # the provider's word
    stage: str  # pending | done | void (failed, canceled): what it means for the money
    initiated_by: str
    created_at: datetime


class OpenPaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    provider: str
    provider_payment_id: str
    amount_cents: int
    status: str
    checkout_url: str | None


class SuggestedRefundRead(BaseModel):
    """A refund that returns (part of) an over-payment: POST it to
    ``/api/v1/payments/{payment_id}/refunds`` with this ``amount_cents``."""

    model_config = ConfigDict(from_attributes=True)
    payment_id: uuid.UUID
    provider: str
    provider_payment_id: str
    amount_cents: int


class CoverageRead(BaseModel):
    """What an invoice's payments cover; ``due_cents`` is what a new payment may ask."""

    model_config = ConfigDict(from_attributes=True)
    invoice_id: uuid.UUID
    total_cents: int
    paid_cents: int
    in_flight_cents: int
    refunded_cents: int
    refund_pending_cents: int
    charged_back_cents: int
    due_cents: int
    overpaid_cents: int
    in_flight: list[OpenPaymentRead]
    suggested_refunds: list[SuggestedRefundRead]


class WebhookAnswer(BaseModel):
    delivery_id: uuid.UUID
    outcome: str
