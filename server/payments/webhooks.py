"""Webhook deliveries: store, verify, dedupe, re-fetch, apply.

This module owns its transactions (unlike request services) because a delivery must be
stored even when processing it fails, and because the provider is called *between* two
short transactions, never while a database lock is held:

    1. store the delivery; claim its event id (unique key) or see it is a duplicate
    2. fetch the payment from the provider (the body is only a hint)
    3. lock the claim and the payment, merge the provider's state, mark done

Concurrent duplicates both pass step 1 (the claim exists but is not done), and step 3's
claim lock lets exactly one apply; the other ends as ``duplicate``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.payments import service
from server.payments.errors import PaymentProviderError, WebhookRejected
from server.payments.models import EventClaim, ProviderEvent
from server.payments.providers import ProviderSet
from server.sqlutil import insert_ignore

log = logging.getLogger(__name__)

# Headers worth keeping with a delivery; cookies and auth never are.
_KEEP_HEADERS = (
    "content-type",
    "user-agent",
    "stripe-signature",
    "x-request-id",
    "x-forwarded-for",
)
MAX_BODY_STORED = 256 * 1024
RETRY_BACKOFF = timedelta(minutes=2)
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class DeliveryResult:
    delivery_id: uuid.UUID
    outcome: str
    detail: str = ""


def _headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: headers[k] for k in _KEEP_HEADERS if k in headers}


def _finish(
    session: Session, delivery: ProviderEvent, outcome: str, detail: str = ""
) -> DeliveryResult:
    delivery.outcome = outcome
    delivery.detail = detail[:2000]
    delivery.processed_at = utcnow()
    delivery.next_attempt_at = None
    session.flush()
    return DeliveryResult(delivery.id, outcome, detail)


def receive(
    *,
    factory: sessionmaker[Session],
    providers: ProviderSet,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
) -> DeliveryResult:
    """Handle one delivery. Raises WebhookRejected (400) or ProviderUnavailable (503)."""
    adapter = providers.get(provider)
    stored_body = body[:MAX_BODY_STORED].decode("utf-8", errors="replace")
    try:
        ref = adapter.parse_webhook(body=body, headers=headers)
    except WebhookRejected as exc:
        with transaction(factory) as session:
            delivery = ProviderEvent(
                provider=provider,
                headers=_headers(headers),
                body=stored_body,
                outcome="rejected",
                detail=exc.message,
                processed_at=utcnow(),
            )
            session.add(delivery)
        log.warning("webhook rejected", extra={"provider": provider, "reason": exc.message})
        raise

    with transaction(factory) as session:
        delivery = ProviderEvent(
            provider=provider,
            headers=_headers(headers),
            body=stored_body,
            event_id=ref.event_id,
            event_type=ref.event_type,
            object_id=ref.payment_id,
            attempts=1,
        )
        session.add(delivery)
        session.flush()
        if ref.event_id is not None:
            insert_ignore(
                session,
                EventClaim,
                {
                    "provider": provider,
                    "event_id": ref.event_id,
                    "first_delivery_id": delivery.id,
                    "done": False,
                    "created_at": utcnow(),
                },
                ["provider", "event_id"],
            )
            claim = session.get(EventClaim, (provider, ref.event_id))
            if claim.done:
                return _finish(session, delivery, "duplicate", f"event {ref.event_id} done")
        if ref.payment_id is None:
            _mark_claim_done(session, provider, ref.event_id)
            return _finish(session, delivery, "ignored", "not about a payment")
        if (
            service.find_payment(
                session=session, provider=provider, provider_payment_id=ref.payment_id
            )
            is None
        ):
            _mark_claim_done(session, provider, ref.event_id)
            return _finish(session, delivery, "ignored", f"unknown payment {ref.payment_id}")
        delivery_id = delivery.id

    return process(
        factory=factory,
        providers=providers,
        provider=provider,
        delivery_id=delivery_id,
        event_id=ref.event_id,
        payment_id=ref.payment_id,
    )


def _mark_claim_done(session: Session, provider: str, event_id: str | None) -> None:
    if event_id is None:
        return
    claim = session.get(EventClaim, (provider, event_id), with_for_update=True)
    if claim is not None:
        claim.done = True


def process(
    *,
    factory: sessionmaker[Session],
    providers: ProviderSet,
    provider: str,
    delivery_id: uuid.UUID,
    event_id: str | None,
    payment_id: str,
) -> DeliveryResult:
    """Steps 2 and 3 for a stored delivery (also what reconciliation re-runs)."""
    adapter = providers.get(provider)
    fetched_at = utcnow()
    try:
        snapshot = adapter.fetch_payment(payment_id)
    except PaymentProviderError as exc:
        with transaction(factory) as session:
            delivery = session.get(ProviderEvent, delivery_id, with_for_update=True)
            delivery.outcome = "failed"
            delivery.detail = exc.message[:2000]
            delivery.next_attempt_at = utcnow() + RETRY_BACKOFF * min(delivery.attempts, 8)
        raise

    with transaction(factory) as session:
        delivery = session.get(ProviderEvent, delivery_id, with_for_update=True)
        if event_id is not None:
            claim = session.get(
                EventClaim, (provider, event_id), with_for_update=True, populate_existing=True
            )
            if claim.done:
                return _finish(session, delivery, "duplicate", f"event {event_id} done")
            claim.done = True
        if snapshot is None:
            return _finish(session, delivery, "ignored", f"{provider} does not know {payment_id}")
        payment = service.find_payment(
            session=session, provider=provider, provider_payment_id=payment_id, lock=True
        )
        result = service.apply_snapshot(
            session=session, payment=payment, snapshot=snapshot, fetched_at=fetched_at
        )
        if result.outcome == "mismatch":
            log.error(
                "webhook payment mismatch", extra={"payment": payment_id, "detail": result.detail}
            )
        return _finish(session, delivery, result.outcome, result.detail)


def retry_candidates(*, session: Session, limit: int) -> list[ProviderEvent]:
    """Failed deliveries due for another try, claimed with a lease (SKIP LOCKED)."""
    now = utcnow()
    rows = session.scalars(
        select(ProviderEvent)
        .where(
            ProviderEvent.outcome == "failed",
            ProviderEvent.next_attempt_at <= now,
            ProviderEvent.attempts < MAX_ATTEMPTS,
            (ProviderEvent.lease_until.is_(None)) | (ProviderEvent.lease_until < now),
        )
        .order_by(ProviderEvent.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.lease_until = now + timedelta(minutes=5)
        row.attempts += 1
    session.flush()
    return list(rows)
