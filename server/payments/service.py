"""Create payments for invoices, apply what a provider says, refund.

The provider is the source of truth. ``apply_snapshot`` merges one read of the provider's
payment into ours under the payment's row lock, with three rules that make any order of
webhooks (and duplicates, and concurrent deliveries) converge:

1. a snapshot fetched before the one we hold is stale and changes nothing;
2. a payment in a final state (paid, canceled, expired) never leaves it;
3. a dispute/chargeback only moves up (none → open/charged_back → won/lost/reversed).

Refunds count in the money returned only once the provider reports them done; the ones
on their way are summed apart (``amount_refund_pending_cents``), failed and canceled ones
count nothing. A new payment asks only what paid and still-open payments do not cover
(``server.payments.coverage``); an invoice the providers still report more money for
becomes ``overpaid`` (audited, counted in ``/metrics``, offered back as refunds).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, lazyload

from server.audit.service import record
from server.config import Settings
from server.db import utcnow
from server.errors import BadRequest, Conflict, NotFound
from server.invoicing import service as invoicing
from server.invoicing.models import Invoice
from server.payments import coverage
from server.payments.models import (
    DISPUTE_RANK,
    FINAL_PAYMENT_STATES,
    Chargeback,
    Payment,
    PaymentStatus,
    Refund,
)
from server.payments.providers import ProviderSet
from server.payments.providers.base import (
    ChargebackInfo,
    CreatePayment,
    PaymentSnapshot,
    RefundInfo,
    refund_stage,
)
from server.sqlutil import insert_ignore
from shared.ids import uuid7

log = logging.getLogger(__name__)
PAYABLE_STATES = ("open", "partially_paid")
# Re-check non-final payments this often until they settle (reconciliation).
CHECK_AFTER = timedelta(minutes=10)
# After this, a payment still not final is left to its webhooks (providers expire them).
GIVE_UP_AFTER = timedelta(days=14)


def next_check(payment: Payment) -> datetime | None:
    """When reconciliation should look at ``payment`` again; None = never."""
    now = utcnow()
    # A refund on its way is followed until it ends (some refund changes reach no webhook,
    # and the money returned counts only once the refund is done). Refunds always end
    # (done, failed or canceled), however old the payment, so there is no giving up.
    if payment.amount_refund_pending_cents:
        return now + CHECK_AFTER
    if payment.status in FINAL_PAYMENT_STATES:
        return None
    if payment.created_at is not None and now - payment.created_at > GIVE_UP_AFTER:
        return None
    return now + CHECK_AFTER


@dataclass(frozen=True)
class ApplyResult:
    outcome: str  # processed | unchanged | stale | mismatch
    detail: str = ""
    became_paid: bool = False


def get_payment(*, session: Session, payment_id: uuid.UUID, lock: bool = False) -> Payment:
    """The payment or NotFound; ``lock`` takes its row lock and re-reads it."""
    stmt = select(Payment).where(Payment.id == payment_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    payment = session.scalar(stmt)
    if payment is None:
        raise NotFound(f"no payment {payment_id}")
    return payment


# Webhook hot-path statements, built once (building and cache-keying them per call cost
# more CPU than running them).
_FIND = select(Payment).where(
    Payment.provider == bindparam("provider"),
    Payment.provider_payment_id == bindparam("provider_payment_id"),
)
_FIND_LOCKED = _FIND.with_for_update().execution_options(populate_existing=True)
_LOCK_INVOICE = (
    select(Invoice)
    .where(Invoice.id == bindparam("invoice_id"))
    .options(lazyload(Invoice.lines))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_INVOICE_SUMS = select(
    func.coalesce(func.sum(Payment.amount_cents).filter(Payment.status == PaymentStatus.PAID), 0),
    func.coalesce(func.sum(Payment.amount_refunded_cents), 0),
    func.coalesce(func.sum(Payment.amount_refund_pending_cents), 0),
    func.coalesce(func.sum(Payment.amount_charged_back_cents), 0),
).where(Payment.invoice_id == bindparam("invoice_id"))
_REFUNDS_OF = select(Refund.provider_refund_id, Refund.status).where(
    Refund.payment_id == bindparam("payment_id")
)
_CHARGEBACKS_OF = select(Chargeback.provider_chargeback_id, Chargeback.reversed).where(
    Chargeback.payment_id == bindparam("payment_id")
)


def find_payment(
    *, session: Session, provider: str, provider_payment_id: str, lock: bool = False
) -> Payment | None:
    params = {"provider": provider, "provider_payment_id": provider_payment_id}
    return session.scalar(_FIND_LOCKED if lock else _FIND, params)


def idempotency_key(
    invoice_id: uuid.UUID, attempt: int, provider: str, amount_cents: int, method: str | None
) -> str:
    """Same request → same key, so a retried create finds the first object; a different
    request (other amount, provider or method) gets another key instead of the provider's
    "key reused with other parameters" error."""
    what = hashlib.sha256(f"{provider}|{amount_cents}|{method or ''}".encode()).hexdigest()[:12]
    return f"rentguy-{invoice_id}-a{attempt}-{what}"


def create_payment(
    *,
    session: Session,
    providers: ProviderSet,
    settings: Settings,
    invoice_id: uuid.UUID,
    provider: str,
    method: str | None = None,
    amount_cents: int | None = None,
) -> Payment:
    """Start a payment of (part of) what an open invoice still owes: what neither its paid
    nor its still-open payments cover (409 ``invoice_covered`` naming those otherwise)."""
    adapter = providers.get(provider)
    if method is not None and method not in adapter.methods:
        raise BadRequest(f"{provider} supports methods {', '.join(adapter.methods)}")
    # The invoice row lock (SQLite: the write lock) serializes payment starts for one
    # invoice until the request commits, so a second start sees the first one's payment
    # and asks only what is left (or is refused), and two clicks are not both attempt N.
    invoice = invoicing.get_invoice(session=session, invoice_id=invoice_id, lock=True)
    if invoice.state not in PAYABLE_STATES:
        raise Conflict(
            f"invoice {invoice.number} is {invoice.state}; it cannot be paid now",
            code="invoice_not_payable",
            details={"invoice_id": str(invoice.id), "state": invoice.state},
        )
    cover = coverage.of_invoice(session=session, invoice=invoice)
    due = cover.due_cents
    amount = due if amount_cents is None else amount_cents
    if amount <= 0 or amount > due:
        _refuse_amount(invoice, cover, amount_cents)
    attempt = (
        session.scalar(select(func.count()).where(Payment.invoice_id == invoice.id)) or 0
    ) + 1
    webhook_url = None
    if provider == "mollie" and settings.public_base_url:
        webhook_url = settings.public_base_url.rstrip("/") + "/api/v1/webhooks/mollie"
    key = idempotency_key(invoice.id, attempt, provider, amount, method)
    snapshot = adapter.create_payment(
        CreatePayment(
            invoice_id=str(invoice.id),
            invoice_number=invoice.number,
            amount_cents=amount,
            currency=invoice.currency,
            description=f"Invoice {invoice.number}",
            idempotency_key=key,
            return_url=settings.payments_return_url,
            webhook_url=webhook_url,
            method=method,
        )
    )
    now = utcnow()
    payment = Payment(
        invoice_id=invoice.id,
        provider=provider,
        provider_payment_id=snapshot.provider_payment_id,
        idempotency_key=key,
        method=method,
        amount_cents=amount,
        currency=invoice.currency,
        status=snapshot.status,
        provider_status=snapshot.provider_status,
        checkout_url=snapshot.checkout_url,
        synced_at=now,
        next_check_at=now + CHECK_AFTER,
    )
    session.add(payment)
    session.flush()
    return payment


def _refuse_amount(invoice: Invoice, cover: coverage.Coverage, asked: int | None) -> None:
    """Why a payment (of ``asked`` cents, or of what is due) cannot start: 409 when open
    payments cover it, else 400."""
    params = {
        "invoice_id": str(invoice.id),
        "due_cents": cover.due_cents,
        "open_payments": coverage.describe(cover.in_flight),
    }
    unpaid = invoice.total_cents - invoice.paid_cents
    if cover.in_flight and (asked is None or 0 < asked <= unpaid):
        named = ", ".join(
            f"{p.id} ({p.provider} {p.provider_payment_id}, {p.amount_cents} cents, {p.status})"
            for p in cover.in_flight
        )
        what = "covered" if cover.due_cents == 0 else f"covered but {cover.due_cents} cents"
        raise Conflict(
            f"invoice {invoice.number} is {what} by open payment(s) {named}; let them "
            "end at the provider or cancel them (POST /api/v1/payments/{id}/cancel)",
            code="invoice_covered",
            details=params,
        )
    raise BadRequest(
        f"amount must be between 1 and {cover.due_cents} cents (what no payment covers)",
        code="payment_amount_out_of_range",
        details=params,
    )


def _mismatch(payment: Payment, snap: PaymentSnapshot) -> str | None:
    if snap.invoice_id != str(payment.invoice_id):
        return f"provider says invoice {snap.invoice_id!r}, ours is {payment.invoice_id}"
    if snap.amount_cents != payment.amount_cents or snap.currency != payment.currency:
        return (
            f"provider says {snap.amount_cents} {snap.currency}, "
            f"ours is {payment.amount_cents} {payment.currency}"
        )
    return None


def _changes(
    session: Session, payment: Payment, snapshot: PaymentSnapshot
) -> tuple[list[RefundInfo], list[ChargebackInfo]]:
    """The snapshot's refunds new or with a new status, and its chargebacks new or newly
    reversed (most reads carry none of either: then no query)."""
    refund_changes: list[RefundInfo] = []
    chargeback_changes: list[ChargebackInfo] = []
    if snapshot.refunds:
        known = dict(session.execute(_REFUNDS_OF, {"payment_id": payment.id}).all())
        refund_changes = [
            r for r in snapshot.refunds if known.get(r.provider_refund_id) != r.status
        ]
    if snapshot.chargebacks:
        taken = dict(session.execute(_CHARGEBACKS_OF, {"payment_id": payment.id}).all())
        chargeback_changes = [
            c
            for c in snapshot.chargebacks
            if c.provider_chargeback_id not in taken
            or (c.reversed and not taken[c.provider_chargeback_id])
        ]
    return refund_changes, chargeback_changes


def apply_snapshot(
    *, session: Session, payment: Payment, snapshot: PaymentSnapshot, fetched_at: datetime
) -> ApplyResult:
    """Merge one provider read into ``payment`` (row-locked by the caller) and its invoice."""
    problem = _mismatch(payment, snapshot)
    if problem:
        return ApplyResult("mismatch", problem)
    if payment.synced_at is not None and fetched_at < payment.synced_at:
        return ApplyResult("stale", "an earlier read than the one we hold")
    before = (
        payment.status,
        payment.amount_refunded_cents,
        payment.amount_refund_pending_cents,
        payment.amount_charged_back_cents,
        payment.dispute_status,
    )
    status = payment.status
    if status not in FINAL_PAYMENT_STATES:
        status = snapshot.status
    dispute, charged_back = payment.dispute_status, payment.amount_charged_back_cents
    if DISPUTE_RANK[snapshot.dispute_status] >= DISPUTE_RANK[dispute]:
        dispute, charged_back = snapshot.dispute_status, snapshot.amount_charged_back_cents
    became_paid = status == PaymentStatus.PAID and payment.status != PaymentStatus.PAID
    # Refunded = refunds done; the provider's own total counts pending ones too.
    refunded, pending = snapshot.refunded_cents, snapshot.refund_pending_cents
    after = (status, refunded, pending, charged_back, dispute)
    # Refunds new or with a new status, chargebacks new or newly reversed (most reads
    # carry none of either: skip the queries). Bookkeeping exports them one by one.
    refund_changes, chargeback_changes = _changes(session, payment, snapshot)
    payment.synced_at = fetched_at
    payment.provider_status = snapshot.provider_status
    payment.next_check_at = next_check(payment)
    if after == before and not refund_changes and not chargeback_changes:
        # Nothing moved (a duplicate, or a late event): the invoice needs no recompute.
        session.flush()
        return ApplyResult("unchanged")
    payment.status = status
    payment.amount_refunded_cents, payment.amount_refund_pending_cents = refunded, pending
    payment.dispute_status, payment.amount_charged_back_cents = dispute, charged_back
    payment.next_check_at = next_check(payment)
    if became_paid:
        payment.paid_at = utcnow()
    for info in refund_changes:  # the provider's latest word on each (amounts above count)
        _upsert_refund(session, payment, info.provider_refund_id, info.amount_cents, info.status)
    for chargeback in chargeback_changes:
        _upsert_chargeback(session, payment, chargeback)
    session.flush()
    recompute_invoice(session=session, invoice_id=payment.invoice_id)
    return ApplyResult("processed" if after != before else "unchanged", became_paid=became_paid)


def _upsert_refund(
    session: Session,
    payment: Payment,
    refund_id: str,
    amount: int,
    status: str,
    initiated_by: str = "provider",
) -> None:
    now = utcnow()
    stage = refund_stage(status)
    values = {
        "id": uuid7(),
        "payment_id": payment.id,
        "provider": payment.provider,
        "provider_refund_id": refund_id,
        "amount_cents": amount,
        "status": status,
        "initiated_by": initiated_by,
        "done_at": now if stage == "done" else None,
        "created_at": now,
        "updated_at": now,
    }
    if not insert_ignore(session, Refund, values, ["provider", "provider_refund_id"]):
        existing = session.scalar(
            select(Refund).where(
                Refund.provider == payment.provider, Refund.provider_refund_id == refund_id
            )
        )
        if existing is not None and existing.status != status:
            existing.status = status
            if stage == "done" and existing.done_at is None:
                existing.done_at = now
            elif stage == "void" and existing.done_at is not None and not existing.reversed_at:
                existing.reversed_at = now  # it went back to the customer, then came back


def _upsert_chargeback(session: Session, payment: Payment, info: ChargebackInfo) -> None:
    now = utcnow()
    values = {
        "id": uuid7(),
        "payment_id": payment.id,
        "provider": payment.provider,
        "provider_chargeback_id": info.provider_chargeback_id,
        "amount_cents": info.amount_cents,
        "reversed": info.reversed,
        "reversed_at": now if info.reversed else None,
        "created_at": now,
        "updated_at": now,
    }
    if insert_ignore(session, Chargeback, values, ["provider", "provider_chargeback_id"]):
        return
    existing = session.execute(  # the row insert_ignore found in the way
        select(Chargeback).where(
            Chargeback.provider == payment.provider,
            Chargeback.provider_chargeback_id == info.provider_chargeback_id,
        )
    ).scalar_one()
    if info.reversed and not existing.reversed:  # only ever false -> true
        existing.reversed, existing.reversed_at = True, now


def recompute_invoice(*, session: Session, invoice_id: uuid.UUID) -> Invoice:
    """Sum the invoice's payments and derive its state (row-locked)."""
    invoice = session.scalar(_LOCK_INVOICE, {"invoice_id": invoice_id})
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    sums = session.execute(_INVOICE_SUMS, {"invoice_id": invoice_id}).one()
    paid, refunded, pending, charged_back = (int(v) for v in sums)
    was = invoice.state
    invoicing.apply_payment_totals(
        session=session,
        invoice=invoice,
        paid=paid,
        refunded=refunded,
        refund_pending=pending,
        charged_back=charged_back,
    )
    if invoice.state == "overpaid" and was != "overpaid":
        # Nobody asked for this money: the bookkeeper must see it and send it back.
        log.warning(
            "invoice overpaid",
            extra={"invoice": invoice.number, "overpaid_cents": invoice.overpaid_cents},
        )
        record(
            session=session,
            action="invoice.overpaid",
            outcome="alert",
            target_type="invoice",
            target_id=invoice.id,
            details={
                "number": invoice.number,
                "total_cents": invoice.total_cents,
                "paid_cents": paid,
                "refunded_cents": refunded,
                "charged_back_cents": charged_back,
                "overpaid_cents": invoice.overpaid_cents,
            },
        )
    return invoice


# Payments an admin may cancel: open ones, and a failed Stripe attempt, which the
# customer could otherwise still complete (and so pay twice).
CANCELABLE_STATES = (*coverage.IN_FLIGHT_STATES, PaymentStatus.FAILED.value)


def cancel_payment(
    *,
    session: Session,
    providers: ProviderSet,
    payment_id: uuid.UUID,
    actor_user_id: uuid.UUID | None,
    ip: str | None = None,
) -> Payment:
    """Cancel an open payment at its provider, so what it covered can be asked again
    (audited); 409 when it is no longer open or the provider will not cancel it."""
    payment = get_payment(session=session, payment_id=payment_id, lock=True)
    if payment.status not in CANCELABLE_STATES:
        raise Conflict(
            f"payment is {payment.status}; only open or failed payments can be canceled",
            code="payment_not_open",
            details={"payment_id": str(payment.id), "status": payment.status},
        )
    fetched_at = utcnow()
    snapshot = providers.get(payment.provider).cancel_payment(payment.provider_payment_id)
    result = apply_snapshot(
        session=session, payment=payment, snapshot=snapshot, fetched_at=fetched_at
    )
    record(
        session=session,
        action="payment.canceled",
        actor_user_id=actor_user_id,
        ip=ip,
        target_type="payment",
        target_id=payment.id,
        details={
            "provider": payment.provider,
            "provider_payment_id": payment.provider_payment_id,
            "amount_cents": payment.amount_cents,
            "status": payment.status,
            "outcome": result.outcome,
        },
    )
    session.flush()
    return payment


def refund_payment(
    *,
    session: Session,
    providers: ProviderSet,
    payment_id: uuid.UUID,
    amount_cents: int,
    request_key: str,
    actor_user_id: uuid.UUID | None,
    ip: str | None = None,
    reason: str = "",
) -> Refund:
    """Refund part or all of a paid payment at the provider (audited).

    ``request_key`` is the caller's id for this refund: sending the same one again (a
    double click, a retry after a lost answer) refunds once.
    """
    payment = get_payment(session=session, payment_id=payment_id, lock=True)
    adapter = providers.get(payment.provider)
    key = f"rentguy-refund-{payment.id}-{request_key}"
    if payment.status != PaymentStatus.PAID:
        raise Conflict(f"payment is {payment.status}; only paid payments can be refunded")
    # A retry with the same key must reach the provider even if the first one was stored.
    known = session.scalar(
        select(Refund).where(Refund.payment_id == payment.id, Refund.request_key == key)
    )
    # Refunds still on their way have taken their share too (the provider refuses more).
    remaining = coverage.refundable_cents(payment)
    if known is None and not 0 < amount_cents <= remaining:
        raise Conflict(
            f"refund must be between 1 and {remaining} cents (not yet refunded or on its way)",
            code="refund_amount_out_of_range",
            details={"payment_id": str(payment.id), "refundable_cents": remaining},
        )
    fetched_at = utcnow()
    info = adapter.refund(
        provider_payment_id=payment.provider_payment_id,
        amount_cents=amount_cents,
        currency=payment.currency,
        idempotency_key=key,
    )
    _upsert_refund(
        session,
        payment,
        info.provider_refund_id,
        info.amount_cents,
        info.status,
        initiated_by="admin",
    )
    refund = session.execute(  # just upserted
        select(Refund).where(
            Refund.provider == payment.provider,
            Refund.provider_refund_id == info.provider_refund_id,
        )
    ).scalar_one()
    refund.request_key = key
    snapshot = adapter.fetch_payment(payment.provider_payment_id)
    if snapshot is not None:
        apply_snapshot(session=session, payment=payment, snapshot=snapshot, fetched_at=fetched_at)
    record(
        session=session,
        action="payment.refunded",
        actor_user_id=actor_user_id,
        ip=ip,
        target_type="payment",
        target_id=payment.id,
        details={
            "provider": payment.provider,
            "provider_refund_id": info.provider_refund_id,
            "amount_cents": info.amount_cents,
            "replayed": known is not None,
            "reason": reason[:200],
        },
    )
    session.flush()
    return refund


def payments_query(invoice_id: uuid.UUID) -> Select[Payment]:
    """An invoice's payments, oldest first (id breaks a tie, so pages never overlap)."""
    return (
        select(Payment)
        .where(Payment.invoice_id == invoice_id)
        .order_by(Payment.created_at, Payment.id)
    )


def refunds_query(payment_id: uuid.UUID) -> Select[Refund]:
    """A payment's refunds (ours and those made at the provider), oldest first."""
    return (
        select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.created_at, Refund.id)
    )


def payments_of_invoice(*, session: Session, invoice_id: uuid.UUID) -> list[Payment]:
    """All of an invoice's payments, oldest first."""
    return list(session.scalars(payments_query(invoice_id)))


def refunds_of_payment(*, session: Session, payment_id: uuid.UUID) -> list[Refund]:
    """All of a payment's refunds, oldest first."""
    return list(session.scalars(refunds_query(payment_id)))
