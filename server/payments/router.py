"""Payment routes: start a payment, read it, refund it, and the two provider webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from server.deps import (
    ClientAddress,
    InvoicesReader,
    InvoicesWriter,
    PagingDep,
    PaymentsRefunder,
    SessionDep,
    SettingsDep,
)
from server.errors import AppError, TooManyRequests
from server.invoicing import service as invoicing
from server.paging import Page, paged
from server.payments import coverage, service, webhooks
from server.payments.errors import WebhookRejected
from server.payments.models import Payment, Refund
from server.payments.providers import ProviderSet
from server.payments.ratelimit import retry_after_seconds
from server.payments.schemas import (
    CoverageRead,
    PaymentCreate,
    PaymentRead,
    RefundCreate,
    RefundRead,
    WebhookAnswer,
)

router = APIRouter(prefix="/api/v1", tags=["payments"])


def _providers(request: Request) -> ProviderSet:
    return request.app.state.payment_providers


ProvidersDep = Annotated[ProviderSet, Depends(_providers)]


@router.post("/invoices/{invoice_id}/payments", response_model=PaymentRead, status_code=201)
def start_payment(
    invoice_id: uuid.UUID,
    body: PaymentCreate,
    session: SessionDep,
    settings: SettingsDep,
    providers: ProvidersDep,
    _: InvoicesWriter,
) -> Payment:
    """Create a payment at the provider for what the invoice still owes (or part of it)."""
    return service.create_payment(
        session=session,
        providers=providers,
        settings=settings,
        invoice_id=invoice_id,
        provider=body.provider,
        method=body.method,
        amount_cents=body.amount_cents,
    )


@router.get("/invoices/{invoice_id}/payments", response_model=Page[PaymentRead])
def list_payments(
    invoice_id: uuid.UUID, session: SessionDep, paging: PagingDep, _: InvoicesReader
) -> Page[PaymentRead]:
    """An invoice's payments, oldest first."""
    return paged(session, service.payments_query(invoice_id), paging, PaymentRead.model_validate)


@router.get("/invoices/{invoice_id}/coverage", response_model=CoverageRead)
def invoice_coverage(
    invoice_id: uuid.UUID, session: SessionDep, _: InvoicesReader
) -> coverage.Coverage:
    """What the invoice's payments cover: what a new payment may ask (``due_cents``), the
    open payments, and for an overpaid invoice the refunds that return the excess."""
    invoice = invoicing.get_invoice(session=session, invoice_id=invoice_id, lines=False)
    return coverage.of_invoice(session=session, invoice=invoice)


@router.get("/payments/{payment_id}", response_model=PaymentRead)
def read_payment(payment_id: uuid.UUID, session: SessionDep, _: InvoicesReader) -> Payment:
    """One payment as we last read it from its provider."""
    return service.get_payment(session=session, payment_id=payment_id)


@router.post("/payments/{payment_id}/cancel", response_model=PaymentRead)
def cancel_payment(
    payment_id: uuid.UUID,
    session: SessionDep,
    providers: ProvidersDep,
    actor: InvoicesWriter,
) -> Payment:
    """Cancel an open (or failed) payment at its provider, so its amount can be asked
    again; 409 ``payment_not_cancelable`` when the provider will not (audited)."""
    return service.cancel_payment(
        session=session,
        providers=providers,
        payment_id=payment_id,
        actor_user_id=actor.user_id,
        ip=actor.ip,
    )


@router.get("/payments/{payment_id}/refunds", response_model=Page[RefundRead])
def list_refunds(
    payment_id: uuid.UUID, session: SessionDep, paging: PagingDep, _: InvoicesReader
) -> Page[RefundRead]:
    """A payment's refunds (ours and those made at the provider), oldest first."""
    return paged(session, service.refunds_query(payment_id), paging, RefundRead.model_validate)


@router.post("/payments/{payment_id}/refunds", response_model=RefundRead, status_code=201)
def refund_payment(
    payment_id: uuid.UUID,
    body: RefundCreate,
    session: SessionDep,
    providers: ProvidersDep,
    actor: PaymentsRefunder,
) -> Refund:
    """Refund part or all of a paid payment (audited; same request_key → refunded once)."""
    return service.refund_payment(
        session=session,
        providers=providers,
        payment_id=payment_id,
        amount_cents=body.amount_cents,
        request_key=body.request_key,
        actor_user_id=actor.user_id,
        ip=actor.ip,
        reason=body.reason,
    )


def _rate_limit(request: Request, source: str) -> None:
    """429 for a source past its delivery rate, or out of rejected deliveries (which then
    are not even read, let alone stored)."""
    limits = request.app.state.webhook_limits
    wait = limits.rejected.wait(source) or limits.deliveries.take(source)
    if wait > 0:
        raise TooManyRequests(
            "too many webhook requests from this address", retry_after=retry_after_seconds(wait)
        )


async def _webhook(request: Request, address: str | None, provider: str) -> WebhookAnswer:
    """One delivery, counted by what it came to (``rentguy_webhook_deliveries_total``)."""
    deliveries = request.app.state.metrics.webhooks
    try:
        answer = await _receive_webhook(request, address, provider)
    except TooManyRequests:
        deliveries.labels(provider, "rate_limited").inc()
        raise
    except AppError as exc:
        deliveries.labels(provider, "rejected" if exc.status_code < 500 else "failed").inc()
        raise
    except Exception:
        deliveries.labels(provider, "failed").inc()
        raise
    deliveries.labels(provider, answer.outcome).inc()
    return answer


async def _receive_webhook(request: Request, address: str | None, provider: str) -> WebhookAnswer:
    # The throttle's source: the sender's address (no address: one shared "unknown" bucket).
    source = address or "unknown"
    _rate_limit(request, source)
    # The raw body, exactly as signed: parsing it first would break Stripe's signature.
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        result = await run_in_threadpool(
            webhooks.receive,
            factory=request.app.state.session_factory,
            providers=request.app.state.payment_providers,
            provider=provider,
            body=body,
            headers=headers,
            seen=request.app.state.webhook_seen,
        )
    except WebhookRejected:
        request.app.state.webhook_limits.rejected.take(source)
        raise
    return WebhookAnswer(delivery_id=result.delivery_id, outcome=result.outcome)


@router.post("/webhooks/stripe", response_model=WebhookAnswer)
async def stripe_webhook(request: Request, address: ClientAddress) -> WebhookAnswer:
    """Stripe events: 400 on a missing/bad/stale signature, 503 when Stripe cannot be read."""
    return await _webhook(request, address, "stripe")


@router.post("/webhooks/mollie", response_model=WebhookAnswer)
async def mollie_webhook(request: Request, address: ClientAddress) -> WebhookAnswer:
    """Mollie's ``id=tr_…``: 200 for unknown ids, 503 when Mollie cannot be read."""
    return await _webhook(request, address, "mollie")
