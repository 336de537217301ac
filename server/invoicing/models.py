"""Customers, invoices, their lines, credit notes and the per-year number counters.

Money is integer cents. VAT is rounded once per rate and spread over the lines; document
totals are the sums of the line amounts (see ``server.invoicing.totals``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow
from shared.ids import uuid7

INVOICE_STATES = (
    "draft",
    "open",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "cancelled",
    "overpaid",  # the providers report more money than the invoice asks (and not refunded)
)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    vat_number: Mapped[str | None] = mapped_column(String(32))
    # The invoice address (EN 16931 BG-8) and Chamber of Commerce number, which SI-UBL 2.0
    # needs for a Dutch business customer (BR-NL-4, BR-NL-10). Shapes and normal forms:
    # ``server.invoicing.customer_details``. ``street`` is street and house number in one
    # line (UBL StreetName, Moneybird address1, Exact AddressLine1); 500 long because
    # migration 0011 moved an old free-text address it could not split into it whole.
    street: Mapped[str | None] = mapped_column(String(500))
    zipcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="NL", server_default="NL")
    kvk: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentCounter(Base):
    """The last number used per series and year; its row is locked while a number is taken."""

    __tablename__ = "document_counters"

    series: Mapped[str] = mapped_column(String(16), primary_key=True)  # invoice | credit_note
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(f"state IN {INVOICE_STATES!r}", name="state"),
        CheckConstraint("total_cents >= 0", name="total_nonnegative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # 2026-00042
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    issue_date: Mapped[date] = mapped_column(Date)
    subtotal_cents: Mapped[int] = mapped_column(Integer, default=0)
    vat_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Follow the payments (recomputed from them, never edited by hand).
    paid_cents: Mapped[int] = mapped_column(Integer, default=0)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)  # refunds done
    # Refunds asked for that the provider has not yet paid out (not in refunded_cents).
    refund_pending_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    charged_back_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def overpaid_cents(self) -> int:
        """Money held beyond the total: paid, less refunds done and standing chargebacks."""
        held = self.paid_cents - self.refunded_cents - self.charged_back_cents
        return max(0, held - self.total_cents)

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="InvoiceLine.position",
    )


def _dutch_vat_category(context: DefaultExecutionContext) -> str:
    # A line inserted without a category is Dutch VAT: S, or Z at 0 % (as migration 0014).
    return "S" if context.get_current_parameters()["vat_rate"] > 0 else "Z"


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        CheckConstraint("vat_rate IN (0, 9, 21)", name="vat_rate"),
        CheckConstraint("qty > 0 AND days > 0", name="qty_days_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # rental | free
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str] = mapped_column(String(300))
    qty: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer, default=1)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    vat_rate: Mapped[int] = mapped_column(Integer)  # percent: 21, 9 or 0
    # Why the line has the VAT it has (UNCL5305: S, Z, E, AE, K, G, O; only S above 0 %) and,
    # for the untaxed ones but Z, the exemption reason: ``server.invoicing.vat``.
    vat_category: Mapped[str] = mapped_column(
        String(2), default=_dutch_vat_category, server_default="S"
    )
    vat_exemption_reason: Mapped[str | None] = mapped_column(String(300))
    net_cents: Mapped[int] = mapped_column(Integer)
    # This line's share of its rate's VAT (largest remainder); before migration 0007 an
    # issued invoice's line VAT was rounded per line, and stays as issued.
    vat_cents: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class CreditNote(Base):
    """A credit against one invoice; its own gapless series (``C2026-00001``)."""

    __tablename__ = "credit_notes"
    __table_args__ = (CheckConstraint("total_cents > 0", name="total_positive"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    # Computed like invoice lines, with their ``vat_category`` and ``vat_exemption_reason``
    # (a note from before migration 0014 has neither: S or Z by the rate).
    lines: Mapped[list[dict]] = mapped_column(JSON, default=list)
    issue_date: Mapped[date] = mapped_column(Date)
    subtotal_cents: Mapped[int] = mapped_column(Integer)
    vat_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
