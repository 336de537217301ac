"""The real ``DocumentSource``: invoices, credit notes and payments from ``server.invoicing``
and ``server.payments``, mapped to the export DTOs (``server.exports.documents``).

Decisions (kept here, next to the code they govern):

- **Which invoices**: every numbered invoice past draft — open, partially_paid, paid,
  overpaid, partially_refunded, refunded. Drafts are not bookkeeping yet. **Cancelled** invoices are
  not exported either: invoicing only cancels while nothing is paid, so nothing is owed and
  nothing was received; posting them would put a receivable in the books that must then be
  cleared by hand. (Their number stays unused in the target; the gap is explained by the
  invoice's ``cancelled`` state here. One exported *before* it was cancelled stays in the
  target and needs a credit note, like any issued invoice.) Credit notes on a cancelled
  invoice are left out with it.
- **Credit notes**: kind ``credit_note``, ``credited_number`` = the invoice's number, lines as
  stored on the note (they carry their own VAT), customer = the invoice's customer.
- **Customer ref** (Moneybird ``customer_id``, Exact ``Account.Code``, <= 18 chars): ``R`` +
  16 base32 characters of the SHA-256 of our customer id. Customers have no number of their
  own; this is stable for the customer's life, independent of its (editable) name.
- **VAT categories**: each line carries its category and exemption reason as invoiced
  (``server.invoicing.vat``); the UBL breakdown and the target's tax code follow them.
- **VAT**: each line carries the invoice's own per-line VAT (``ExportLine.vat_cents``), so
  ``ExportDocument.vat_by_rate`` — the local side of the reconciliation report and the UBL
  totals — equals the invoice the customer got, cent for cent.
- **Money movements** (``ExportPayment``, each exported once under its own id):
  ``paid`` payments, for the full amount received, dated on ``paid_at``; **refunds** once
  the provider reports them done (Stripe ``succeeded``, Mollie ``refunded``), dated when
  we learned that (a pending one is not money moved yet; a failed one never is, and one
  that fails after it was done gets a **reversal** ``<refund id>-reversal``);
  **chargebacks** (Mollie chargebacks, Stripe disputes) when they take the money, and
  their **reversal** (``<chargeback id>-reversal``) when it comes back. Refunds
  and chargebacks are booked on the invoice the payment paid, never subtracted from a
  payment that may already be in the books. A credit note for the same money is a
  document of its own; matching it to the refund is the bookkeeper's (docs/exports.md).
- **since**: invoices by ``invoices.updated_at`` (changes with every state move, including
  a payment or refund landing on it), credit notes by ``created_at`` (immutable), payments,
  refunds and chargebacks by their ``updated_at``.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction
from server.exports.documents import (
    DocumentKind,
    ExportCustomer,
    ExportDocument,
    ExportLine,
    ExportPayment,
    MovementKind,
)
from server.invoicing.models import CreditNote, Customer, Invoice
from server.payments.models import Chargeback, Payment, PaymentStatus, Refund
from server.payments.providers.base import REFUND_DONE as PROVIDER_REFUND_DONE
from server.warehouse.models import Product

EXPORTED_STATES = (
    "open",
    "partially_paid",
    "paid",
    "overpaid",
    "partially_refunded",
    "refunded",
)
# Stripe's and Mollie's word for money sent back (one list: providers/base.py).
REFUND_DONE = tuple(sorted(PROVIDER_REFUND_DONE))
REVERSAL_SUFFIX = "-reversal"
PAYMENT_TERM = timedelta(days=14)
RENTAL_CATEGORY = "rental"  # a rental line whose product has no category
FREE_CATEGORY = "other"  # free lines (transport, crew, ...): mapped by the "*" fallback


def customer_ref(customer_id: uuid.UUID | str) -> str:
    digest = hashlib.sha256(str(customer_id).encode()).digest()
    return "R" + base64.b32encode(digest).decode()[:16]


class InvoicingSource:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        rental_category: str = RENTAL_CATEGORY,
        free_category: str = FREE_CATEGORY,
    ) -> None:
        self.sf = session_factory
        self.rental_category = rental_category
        self.free_category = free_category

    # -- DocumentSource -------------------------------------------------------------
    def documents(self, *, since: datetime | None) -> Iterable[ExportDocument]:
        with transaction(self.sf) as session:
            inv_q = select(Invoice).where(Invoice.state.in_(EXPORTED_STATES))
            note_q = (
                select(CreditNote)
                .join(Invoice, Invoice.id == CreditNote.invoice_id)
                .where(Invoice.state.in_(EXPORTED_STATES))  # never against a void invoice
            )
            if since is not None:
                inv_q = inv_q.where(Invoice.updated_at >= since)
                note_q = note_q.where(CreditNote.created_at >= since)
            invoices = list(session.scalars(inv_q.order_by(Invoice.number)))
            notes = list(session.scalars(note_q.order_by(CreditNote.number)))
            return self._map(session, invoices, notes)

    def document(self, document_id: str) -> ExportDocument | None:
        try:
            key = uuid.UUID(str(document_id))
        except ValueError:
            return None
        with transaction(self.sf) as session:
            invoice = session.get(Invoice, key)
            if invoice is not None:
                if invoice.state not in EXPORTED_STATES:
                    return None
                return self._map(session, [invoice], [])[0]
            note = session.get(CreditNote, key)
            if note is None:
                return None
            if session.get_one(Invoice, note.invoice_id).state not in EXPORTED_STATES:
                return None
            return self._map(session, [], [note])[0]

    def customers(self, ids: Iterable[str]) -> Iterable[ExportCustomer]:
        keys = []
        for text in ids:
            try:
                keys.append(uuid.UUID(str(text)))
            except ValueError:
                continue
        out = []
        with transaction(self.sf) as session:
            for start in range(0, len(keys), 500):  # bound the IN list
                chunk = keys[start : start + 500]
                out += [
                    _customer(c)
                    for c in session.scalars(select(Customer).where(Customer.id.in_(chunk)))
                ]
        return out

    def payments(self, *, since: datetime | None) -> Iterable[ExportPayment]:
        with transaction(self.sf) as session:
            return self._movements(
                session,
                payments=[Payment.updated_at >= since] if since else [],
                refunds=[Refund.updated_at >= since] if since else [],
                chargebacks=[Chargeback.updated_at >= since] if since else [],
            )

    def movements(self, ids: Iterable[str]) -> Iterable[ExportPayment]:
        wanted = set(ids)
        keys = set()
        for text in wanted:
            try:
                keys.add(uuid.UUID(text.removesuffix(REVERSAL_SUFFIX)))
            except ValueError:
                continue
        if not keys:
            return []
        with transaction(self.sf) as session:
            found = self._movements(
                session,
                payments=[Payment.id.in_(keys)],
                refunds=[Refund.id.in_(keys)],
                chargebacks=[Chargeback.id.in_(keys)],
            )
        return [move for move in found if move.id in wanted]

    def _movements(
        self,
        session: Session,
        *,
        payments: list[ColumnElement[bool]],
        refunds: list[ColumnElement[bool]],
        chargebacks: list[ColumnElement[bool]],
    ) -> list[ExportPayment]:
        live = Invoice.state.in_(EXPORTED_STATES)
        out = [
            self._payment(p)
            for p in session.scalars(
                select(Payment)
                .join(Invoice, Invoice.id == Payment.invoice_id)
                .where(Payment.status == PaymentStatus.PAID, live, *payments)
                .order_by(Payment.id)
            )
        ]
        for refund, payment in session.execute(
            select(Refund, Payment)
            .join(Payment, Payment.id == Refund.payment_id)
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .where(
                or_(Refund.done_at.is_not(None), Refund.status.in_(REFUND_DONE)),
                live,
                *refunds,
            )
            .order_by(Refund.id)
        ):
            common: dict[str, Any] = {
                "document_id": str(payment.invoice_id),
                "amount_cents": refund.amount_cents,
                "method": refund.provider,
                "extra": {
                    "payment_id": str(payment.id),
                    "provider_refund_id": refund.provider_refund_id,
                    "initiated_by": refund.initiated_by,
                },
            }
            out.append(
                ExportPayment(
                    id=str(refund.id),
                    date=(refund.done_at or refund.updated_at).date(),
                    kind=MovementKind.REFUND,
                    **common,
                )
            )
            if refund.reversed_at is not None:  # done, then failed: the money came back
                out.append(
                    ExportPayment(
                        id=f"{refund.id}{REVERSAL_SUFFIX}",
                        date=refund.reversed_at.date(),
                        kind=MovementKind.REVERSAL,
                        **common,
                    )
                )
        for chargeback, payment in session.execute(
            select(Chargeback, Payment)
            .join(Payment, Payment.id == Chargeback.payment_id)
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .where(live, *chargebacks)
            .order_by(Chargeback.id)
        ):
            common = {
                "document_id": str(payment.invoice_id),
                "amount_cents": chargeback.amount_cents,
                "method": chargeback.provider,
                "extra": {
                    "payment_id": str(payment.id),
                    "provider_chargeback_id": chargeback.provider_chargeback_id,
                },
            }
            out.append(
                ExportPayment(
                    id=str(chargeback.id),
                    date=chargeback.created_at.date(),
                    kind=MovementKind.CHARGEBACK,
                    **common,
                )
            )
            if chargeback.reversed:
                out.append(
                    ExportPayment(
                        id=f"{chargeback.id}{REVERSAL_SUFFIX}",
                        date=(chargeback.reversed_at or chargeback.updated_at).date(),
                        kind=MovementKind.REVERSAL,
                        **common,
                    )
                )
        return out

    # -- mapping ----------------------------------------------------------------------
    def _map(
        self, session: Session, invoices: list[Invoice], notes: list[CreditNote]
    ) -> list[ExportDocument]:
        credited = {n.invoice_id for n in notes} - {i.id for i in invoices}
        by_id = {i.id: i for i in invoices}
        if credited:
            by_id.update(
                (i.id, i) for i in session.scalars(select(Invoice).where(Invoice.id.in_(credited)))
            )
        customer_ids = {i.customer_id for i in by_id.values()}
        customers = {
            c.id: _customer(c)
            for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
        }
        product_ids = {ln.product_id for i in by_id.values() for ln in i.lines if ln.product_id}
        categories = dict(
            session.execute(
                select(Product.id, Product.category).where(Product.id.in_(product_ids))
            ).all()
        )
        out = [self._invoice(i, customers[i.customer_id], categories) for i in invoices]
        for note in notes:
            invoice = by_id[note.invoice_id]
            out.append(self._credit_note(note, invoice, customers[invoice.customer_id], categories))
        return out

    def _category(
        self, kind: str, product_id: uuid.UUID | None, categories: dict[uuid.UUID | None, str]
    ) -> str:
        if kind == "rental":
            return categories.get(product_id) or self.rental_category
        return self.free_category

    def _invoice(
        self, invoice: Invoice, customer: ExportCustomer, categories: dict
    ) -> ExportDocument:
        lines = tuple(
            ExportLine(
                description=ln.description,
                amount_cents=ln.net_cents,
                vat_rate=ln.vat_rate,
                category=self._category(ln.kind, ln.product_id, categories),
                vat_cents=ln.vat_cents,
                vat_category=ln.vat_category,
                vat_exemption_reason=ln.vat_exemption_reason,
            )
            for ln in invoice.lines
        )
        return ExportDocument(
            id=str(invoice.id),
            kind=DocumentKind.INVOICE,
            number=invoice.number,
            date=invoice.issue_date,
            due_date=invoice.issue_date + PAYMENT_TERM,
            customer=customer,
            lines=lines,
            currency=invoice.currency,
            updated_at=invoice.updated_at,
        )

    def _payment(self, payment: Payment) -> ExportPayment:
        when = payment.paid_at or payment.updated_at
        return ExportPayment(
            id=str(payment.id),
            document_id=str(payment.invoice_id),
            date=when.date(),
            amount_cents=payment.amount_cents,
            method=payment.provider,
            extra={
                "provider_payment_id": payment.provider_payment_id,
                "method": payment.method,
                "refunded_cents": payment.amount_refunded_cents,
                "charged_back_cents": payment.amount_charged_back_cents,
                "dispute_status": payment.dispute_status,
            },
        )

    def _credit_note(
        self, note: CreditNote, invoice: Invoice, customer: ExportCustomer, categories: dict
    ) -> ExportDocument:
        # Credit note lines keep no product: a line copied from the invoice (same
        # description) books to that line's category, any other to the free category.
        by_text = {
            ln.description: self._category(ln.kind, ln.product_id, categories)
            for ln in invoice.lines
        }
        lines = tuple(
            ExportLine(
                description=ln["description"],
                amount_cents=int(ln["net_cents"]),
                vat_rate=int(ln["vat_rate"]),
                category=by_text.get(ln["description"], self.free_category),
                vat_cents=int(ln["vat_cents"]),
                # A note from before migration 0014 has none: S or Z by the rate.
                vat_category=ln.get("vat_category") or "",
                vat_exemption_reason=ln.get("vat_exemption_reason"),
            )
            for ln in note.lines
        )
        return ExportDocument(
            id=str(note.id),
            kind=DocumentKind.CREDIT_NOTE,
            number=note.number,
            date=note.issue_date,
            customer=customer,
            lines=lines,
            currency=invoice.currency,
            credited_number=invoice.number,
            updated_at=note.created_at,
        )


def _customer(customer: Customer) -> ExportCustomer:
    return ExportCustomer(
        id=str(customer.id),
        ref=customer_ref(customer.id),
        name=customer.name,
        email=customer.email,
        vat_number=customer.vat_number,
        street=customer.street,
        zipcode=customer.zipcode,
        city=customer.city,
        country=customer.country,
        kvk=customer.kvk,
    )
