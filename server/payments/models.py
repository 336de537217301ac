"""Payments, their refunds, and every webhook delivery as received.

A ``Payment`` mirrors one provider object (Stripe PaymentIntent, Mollie payment): the
provider is the source of truth, we keep the last state we read from it. ``ProviderEvent``
holds each delivery verbatim; ``EventClaim`` is the one row per provider event id that makes
processing exactly-once under concurrent duplicate deliveries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow
from server.payments.providers.base import refund_stage
from shared.ids import uuid7


class PaymentStatus(StrEnum):
    """Our payment states (stored, and on the wire). Provider states map onto these (see
    providers/*.py)."""

    OPEN = "open"
    PENDING = "pending"
    PROCESSING = "processing"
    FAILED = "failed"
    PAID = "paid"
    CANCELED = "canceled"
    EXPIRED = "expired"


# Plain strings: the CHECK constraint is written from their repr.
PAYMENT_STATES = tuple(status.value for status in PaymentStatus)
# Final: no provider moves a payment out of these, so neither do we (a late "processing"
# never un-pays an invoice).
FINAL_PAYMENT_STATES = frozenset(
    {PaymentStatus.PAID.value, PaymentStatus.CANCELED.value, PaymentStatus.EXPIRED.value}
)
# none → open (Stripe dispute under way) / charged_back (Mollie) → won | lost | reversed.
DISPUTE_STATES = ("none", "open", "won", "lost", "charged_back", "reversed")
DISPUTE_RANK = {"none": 0, "open": 1, "charged_back": 1, "won": 2, "lost": 2, "reversed": 2}


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id"),
        CheckConstraint(f"status IN {PAYMENT_STATES!r}", name="status"),
        CheckConstraint(f"dispute_status IN {DISPUTE_STATES!r}", name="dispute_status"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        Index("ix_payments_reconcile", "status", "next_check_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_payment_id: Mapped[str] = mapped_column(String(64))
    # Deterministic (invoice, attempt): a retried create reuses it and gets the same object.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    method: Mapped[str | None] = mapped_column(String(20))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="open")
    provider_status: Mapped[str] = mapped_column(String(40), default="")
    # Refunds the provider reports done; those still on their way are counted apart.
    amount_refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    amount_refund_pending_cents: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )
    amount_charged_back_cents: Mapped[int] = mapped_column(Integer, default=0)
    dispute_status: Mapped[str] = mapped_column(String(20), default="none")
    checkout_url: Mapped[str | None] = mapped_column(String(500))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the provider state we hold was fetched; an older fetch never overwrites it.
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reconciliation: next time to re-fetch, and a lease so two processes never share one.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Refund(Base):
    """One provider refund (ours or made in the provider's dashboard)."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("provider", "provider_refund_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_refund_id: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # provider's own word
    initiated_by: Mapped[str] = mapped_column(String(20), default="provider")  # admin | provider
    # The provider idempotency key of an admin refund, so a resend is recognised as one.
    request_key: Mapped[str | None] = mapped_column(String(160))
    # When we first read it done (the money went back), and when a done refund turned
    # failed or canceled after all (a Stripe refund the bank returned: the money came
    # back). Each moment is money moved, exported once (docs/exports.md).
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def stage(self) -> str:
        """pending, done or void: whether (and when) this refund counts as money returned."""
        return refund_stage(self.status)


class Chargeback(Base):
    """One provider chargeback (Mollie) or dispute (Stripe) on a payment: the money it took,
    and whether it came back. ``reversed`` only moves false → true (like disputes). Kept so
    each is exported once to bookkeeping, keyed by its own id."""

    __tablename__ = "chargebacks"
    __table_args__ = (
        UniqueConstraint("provider", "provider_chargeback_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_chargeback_id: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Integer)
    reversed: Mapped[bool] = mapped_column(default=False)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProviderEvent(Base):
    """One webhook delivery, stored as received (headers, raw body) with what we did.

    A *rejected* delivery (bad signature: anyone can send one) keeps only its metadata, the
    body's size and SHA-256 and a short prefix, so nobody can grow the database with them.
    """

    __tablename__ = "provider_events"
    __table_args__ = (
        Index("ix_provider_events_event", "provider", "event_id"),
        Index("ix_provider_events_retry", "outcome", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    provider: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)  # all of it, or a prefix (see body_bytes)
    body_bytes: Mapped[int | None] = mapped_column(Integer)  # the size as received
    body_sha256: Mapped[str | None] = mapped_column(String(64))  # hex, of all bytes received
    event_id: Mapped[str | None] = mapped_column(String(100))  # Stripe evt_…; Mollie: none
    event_type: Mapped[str | None] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(100))  # pi_… / tr_…
    # received | processed | duplicate | ignored | mismatch | rejected | failed
    outcome: Mapped[str] = mapped_column(String(20), default="received")
    detail: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventClaim(Base):
    """Exactly one per provider event id: the unique key concurrent duplicates collide on."""

    __tablename__ = "provider_event_claims"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
