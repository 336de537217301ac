"""Money: invoices with their payments, refunds, chargebacks and the provider events
behind them; create a payment link; refund. A thin view over ``server.invoicing`` and
``server.payments`` (the same services, checks and audit as the API)."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy import select

from server.console.web import (
    Ctx,
    InvoicesReader,
    InvoicesWriter,
    PaymentsRefunder,
    form_data,
    page_number,
    redirect,
    render,
    schema_errors,
    service_error,
    text_fields,
)
from server.errors import AppError
from server.invoicing import service as invoicing
from server.invoicing.models import INVOICE_STATES
from server.ops.proxies import client_ip
from server.payments import coverage
from server.payments import service as payments
from server.payments.models import Chargeback, ProviderEvent
from server.payments.schemas import PaymentCreate, RefundCreate
from shared.ids import uuid7

router = APIRouter(prefix="/money")
STATES = INVOICE_STATES
DONE = {"refund": "Refund requested."}


def euros_to_cents(raw: str) -> int | None:
    """ "12,50" / "12.50" / "1.234,50" → 1250 / 123450; None when it is not an amount."""
    text = raw.replace(" ", "").replace("€", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


@router.get("", include_in_schema=False)
def invoices(ctx: InvoicesReader):
    asked = ctx.request.query_params.get("state", "")
    state = asked if asked in STATES else None
    page = page_number(ctx.request.query_params.get("page"))
    # One more than a page: its presence says there is a next page.
    newest_first = invoicing.invoices_query(state=state).limit(51).offset((page - 1) * 50)
    rows = list(ctx.db.scalars(newest_first))
    return render(
        ctx,
        "money.html",
        invoices=rows[:50],
        more=len(rows) > 50,
        page=page,
        state=state,
        states=STATES,
    )


def _invoice_page(ctx: Ctx, invoice_id: uuid.UUID, *, status: int = 200, **values):
    invoice = invoicing.get_invoice(session=ctx.db, invoice_id=invoice_id)
    cover = coverage.of_invoice(session=ctx.db, invoice=invoice)
    pays = payments.payments_of_invoice(session=ctx.db, invoice_id=invoice.id)
    refunds = {p.id: payments.refunds_of_payment(session=ctx.db, payment_id=p.id) for p in pays}
    pay_ids = [p.id for p in pays]
    chargebacks = (
        list(
            ctx.db.scalars(
                select(Chargeback)
                .where(Chargeback.payment_id.in_(pay_ids))
                .order_by(Chargeback.created_at)
            )
        )
        if pay_ids
        else []
    )
    object_ids = [p.provider_payment_id for p in pays]
    events = (
        list(
            ctx.db.scalars(
                select(ProviderEvent)
                .where(ProviderEvent.object_id.in_(object_ids))
                .order_by(ProviderEvent.received_at.desc())
                .limit(50)
            )
        )
        if object_ids
        else []
    )
    link_id = ctx.request.query_params.get("link")
    done = DONE.get(ctx.request.query_params.get("done", ""))
    values.setdefault("errors", {})
    values.setdefault("refund_errors", {})
    values.setdefault("refund_values", {})
    return render(
        ctx,
        "invoice.html",
        status=status,
        invoice=invoice,
        cover=cover,
        payments=pays,
        refunds=refunds,
        chargebacks=chargebacks,
        events=events,
        providers=ctx.request.app.state.payment_providers.configured(),
        new_link=next((p for p in pays if str(p.id) == link_id), None),
        request_key=uuid7().hex,
        notice=ctx._(done) if done else None,
        **values,
    )


@router.get("/invoices/{invoice_id}", include_in_schema=False)
def invoice(invoice_id: uuid.UUID, ctx: InvoicesReader):
    return _invoice_page(ctx, invoice_id)


@router.post("/invoices/{invoice_id}/payments", include_in_schema=False)
def payment_link(invoice_id: uuid.UUID, ctx: InvoicesWriter):
    values, errors = text_fields(ctx.form, "provider", "amount")
    amount = None
    if values["amount"]:
        amount = euros_to_cents(values["amount"])
        if amount is None:
            errors["amount"] = "12,50"
    if not errors:
        try:
            body = PaymentCreate.model_validate(
                form_data(PaymentCreate, {"provider": values["provider"], "amount_cents": amount})
            )
        except ValidationError as exc:
            errors = schema_errors(exc)
            if "amount_cents" in errors:
                errors["amount"] = errors.pop("amount_cents")
    if errors:
        return _invoice_page(ctx, invoice_id, status=400, errors=errors, form=values)
    try:
        payment = payments.create_payment(
            session=ctx.db,
            providers=ctx.request.app.state.payment_providers,
            settings=ctx.settings,
            invoice_id=invoice_id,
            provider=body.provider,
            amount_cents=body.amount_cents,
        )
    except AppError as exc:
        message = service_error(ctx, exc)
        return _invoice_page(
            ctx, invoice_id, status=exc.status_code, errors={"provider": message}, form=values
        )
    return redirect(f"/console/money/invoices/{invoice_id}", link=str(payment.id))


@router.post("/payments/{payment_id}/refunds", include_in_schema=False)
def refund(payment_id: uuid.UUID, ctx: PaymentsRefunder):
    values, errors = text_fields(ctx.form, "amount", "reason", "request_key")
    payment = payments.get_payment(session=ctx.db, payment_id=payment_id)
    key = str(payment_id)
    amount = euros_to_cents(values["amount"]) if values["amount"] else None
    if amount is None and "amount" not in errors:
        errors["amount"] = "12,50"
    if not errors:
        try:
            body = RefundCreate.model_validate(
                form_data(
                    RefundCreate,
                    {
                        "amount_cents": amount,
                        "request_key": values["request_key"],
                        "reason": values["reason"],
                    },
                )
            )
        except ValidationError as exc:
            errors = schema_errors(exc)
            if "amount_cents" in errors:
                errors["amount"] = errors.pop("amount_cents")
    if not errors:
        try:
            payments.refund_payment(
                session=ctx.db,
                providers=ctx.request.app.state.payment_providers,
                payment_id=payment_id,
                amount_cents=body.amount_cents,
                request_key=body.request_key,
                actor_user_id=ctx.user.id,
                ip=client_ip(ctx.request),
                reason=body.reason,
            )
        except AppError as exc:
            errors = {"amount": service_error(ctx, exc)}
            return _invoice_page(
                ctx,
                payment.invoice_id,
                status=exc.status_code,
                refund_errors={key: errors},
                refund_values={key: values},
            )
    if errors:
        return _invoice_page(
            ctx,
            payment.invoice_id,
            status=400,
            refund_errors={key: errors},
            refund_values={key: values},
        )
    return redirect(f"/console/money/invoices/{payment.invoice_id}", done="refund")
