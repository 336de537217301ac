"""What an invoice's payments cover: the amount a new payment may ask, and any excess.

A payment still open at its provider (open, pending, processing) can become paid at any
moment, so it covers its amount just as a paid one does: a new payment asks only what
neither covers. A ``failed`` payment covers nothing. (At Mollie that is final; a Stripe
PaymentIntent could still be completed with another card, and should that happen the
invoice shows up ``overpaid`` below, like any other excess the providers report.)

Over-payment is not refused (the money has already moved at the provider): the invoice
becomes ``overpaid`` and the excess is offered as refunds of its paid payments, newest
first, which the refund endpoint can make exactly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.invoicing.models import Invoice
from server.payments.models import Payment, PaymentStatus

# Payments whose money may still arrive: they cover their amount until they end.
IN_FLIGHT_STATES = (
    PaymentStatus.OPEN.value,
    PaymentStatus.PENDING.value,
    PaymentStatus.PROCESSING.value,
)


@dataclass(frozen=True)
class SuggestedRefund:
    payment_id: uuid.UUID
    provider: str
    provider_payment_id: str
    amount_cents: int


@dataclass(frozen=True)
class Coverage:
    invoice_id: uuid.UUID
    total_cents: int
    paid_cents: int
    in_flight_cents: int
    refunded_cents: int
    refund_pending_cents: int
    charged_back_cents: int
    due_cents: int  # what a new payment may still ask
    overpaid_cents: int
    in_flight: tuple[Payment, ...]
    suggested_refunds: tuple[SuggestedRefund, ...]


def in_flight(*, session: Session, invoice_id: uuid.UUID) -> list[Payment]:
    """The invoice's payments that may still be paid, oldest first."""
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.invoice_id == invoice_id, Payment.status.in_(IN_FLIGHT_STATES))
            .order_by(Payment.created_at, Payment.id)
        )
    )


def refundable_cents(payment: Payment) -> int:
    """What a refund of ``payment`` can still take (pending refunds are already taken)."""
    if payment.status != PaymentStatus.PAID:
        return 0
    return max(
        0,
        payment.amount_cents
        - payment.amount_refunded_cents
        - payment.amount_refund_pending_cents
        - payment.amount_charged_back_cents,
    )


def suggest_refunds(*, session: Session, invoice: Invoice) -> list[SuggestedRefund]:
    """Refunds that return the invoice's excess (less refunds already on their way),
    taken from its paid payments newest first."""
    left = invoice.overpaid_cents - invoice.refund_pending_cents
    out: list[SuggestedRefund] = []
    if left <= 0:
        return out
    paid = session.scalars(
        select(Payment)
        .where(Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.PAID)
        .order_by(Payment.paid_at.desc().nulls_last(), Payment.id.desc())
    )
    for payment in paid:
        take = min(left, refundable_cents(payment))
        if take > 0:
            out.append(
                SuggestedRefund(payment.id, payment.provider, payment.provider_payment_id, take)
            )
            left -= take
        if left == 0:
            break
    return out


def of_invoice(*, session: Session, invoice: Invoice) -> Coverage:
    """The invoice's coverage as its stored sums and open payments say now."""
    flying = in_flight(session=session, invoice_id=invoice.id)
    flying_cents = sum(p.amount_cents for p in flying)
    return Coverage(
        invoice_id=invoice.id,
        total_cents=invoice.total_cents,
        paid_cents=invoice.paid_cents,
        in_flight_cents=flying_cents,
        refunded_cents=invoice.refunded_cents,
        refund_pending_cents=invoice.refund_pending_cents,
        charged_back_cents=invoice.charged_back_cents,
        due_cents=max(0, invoice.total_cents - invoice.paid_cents - flying_cents),
        overpaid_cents=invoice.overpaid_cents,
        in_flight=tuple(flying),
        suggested_refunds=tuple(suggest_refunds(session=session, invoice=invoice)),
    )


def overpaid_report(*, session: Session) -> list[dict]:
    """Every invoice now ``overpaid``, with the refunds that would return its excess: the
    section of the export run's reconciliation report the bookkeeper acts on."""
    rows = []
    for invoice in session.scalars(
        select(Invoice).where(Invoice.state == "overpaid").order_by(Invoice.number)
    ):
        rows.append(
            {
                "invoice_id": str(invoice.id),
                "number": invoice.number,
                "total": invoice.total_cents,
                "paid": invoice.paid_cents,
                "refunded": invoice.refunded_cents,
                "refund_pending": invoice.refund_pending_cents,
                "overpaid": invoice.overpaid_cents,
                "suggested_refunds": [
                    {
                        "payment_id": str(s.payment_id),
                        "provider": s.provider,
                        "provider_payment_id": s.provider_payment_id,
                        "amount": s.amount_cents,
                    }
                    for s in suggest_refunds(session=session, invoice=invoice)
                ],
            }
        )
    return rows


def describe(payments: tuple[Payment, ...] | list[Payment]) -> list[dict]:
    """The open payments as an error's parameters name them."""
    return [
        {
            "payment_id": str(p.id),
            "provider": p.provider,
            "provider_payment_id": p.provider_payment_id,
            "amount_cents": p.amount_cents,
            "status": p.status,
            "checkout_url": p.checkout_url,
        }
        for p in payments
    ]
