"""Webhook deliveries: verify, look, re-fetch, then store and apply in one transaction.

This module owns its transactions (unlike request services) because a delivery must be
stored even when processing it fails, and because the provider is called while *no*
database lock is held:

    1. verify the delivery (Stripe signature) — a rejected one is stored as ``rejected``
    2. a read-only look: an event we already finished, or a payment we do not know, is
       stored as ``duplicate``/``ignored`` without calling the provider
    3. fetch the payment from the provider (the body is only a hint); failure → stored
       as ``failed`` (reconciliation retries it) and 503 so the provider retries too
    4. one write transaction: store the delivery, claim its event id (unique key, row
       lock), lock the payment, merge the provider's state, mark the claim done

Concurrent duplicates can all reach step 4; the claim's row lock lets exactly one apply,
the others see it done and end as ``duplicate``.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.payments import service
from server.payments.errors import PaymentProviderError, WebhookRejected
from server.payments.models import EventClaim, Payment, ProviderEvent
from server.payments.providers import ProviderSet
from server.payments.providers.base import PaymentSnapshot, WebhookRef
from shared.ids import uuid7

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


class SeenCache:
    """Facts that never become false, remembered per app to skip database look-ups:
    an event id whose claim is done stays done; a payment that exists stays (we never
    delete payments). Anything not remembered is simply looked up."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._done: dict[tuple[str, str], None] = {}
        self._payments: dict[tuple[str, str], None] = {}

    def _add(self, store: dict, key: tuple[str, str]) -> None:
        with self._lock:
            store[key] = None
            if len(store) > self._size:
                del store[next(iter(store))]  # oldest first: insertion order

    def event_done(self, provider: str, event_id: str | None) -> bool:
        return event_id is not None and (provider, event_id) in self._done

    def mark_done(self, provider: str, event_id: str | None) -> None:
        if event_id is not None:
            self._add(self._done, (provider, event_id))

    def payment_known(self, provider: str, payment_id: str | None) -> bool:
        return payment_id is not None and (provider, payment_id) in self._payments

    def mark_known(self, provider: str, payment_id: str) -> None:
        self._add(self._payments, (provider, payment_id))


@dataclass(frozen=True)
class _Received:
    provider: str
    headers: dict
    body: str
    ref: WebhookRef | None


def _store(session: Session, rec: _Received, outcome: str, detail: str = "", **extra) -> uuid.UUID:
    """Insert the delivery row once, with its outcome (a Core insert: this is the hot path)."""
    delivery_id = uuid7()
    now = utcnow()
    ref = rec.ref
    session.execute(
        insert(ProviderEvent).values(
            id=delivery_id,
            provider=rec.provider,
            received_at=now,
            headers=rec.headers,
            body=rec.body,
            event_id=ref.event_id if ref else None,
            event_type=ref.event_type if ref else None,
            object_id=ref.payment_id if ref else None,
            outcome=outcome,
            detail=detail[:2000],
            attempts=1,
            processed_at=None if outcome == "failed" else now,
            next_attempt_at=extra.get("next_attempt_at"),
            lease_until=None,
        )
    )
    return delivery_id


def receive(
    *,
    factory: sessionmaker[Session],
    providers: ProviderSet,
    provider: str,
    body: bytes,
    headers: Mapping[str, str],
    seen: SeenCache | None = None,
) -> DeliveryResult:
    """Handle one delivery. Raises WebhookRejected (400) or ProviderUnavailable (503)."""
    seen = seen or SeenCache()
    adapter = providers.get(provider)
    kept = {k: headers[k] for k in _KEEP_HEADERS if k in headers}
    text = body[:MAX_BODY_STORED].decode("utf-8", errors="replace")
    try:
        ref = adapter.parse_webhook(body=body, headers=headers)
    except WebhookRejected as exc:
        with transaction(factory) as session:
            _store(session, _Received(provider, kept, text, None), "rejected", exc.message)
        log.warning("webhook rejected", extra={"provider": provider, "reason": exc.message})
        raise
    rec = _Received(provider, kept, text, ref)

    done = seen.event_done(provider, ref.event_id)
    known = seen.payment_known(provider, ref.payment_id)
    if not done and not known:
        with factory() as session:  # read-only look, no locks kept
            done = ref.event_id is not None and bool(
                session.scalar(
                    select(EventClaim.done).where(
                        EventClaim.provider == provider, EventClaim.event_id == ref.event_id
                    )
                )
            )
            known = (
                ref.payment_id is not None
                and session.scalar(
                    select(Payment.id).where(
                        Payment.provider == provider, Payment.provider_payment_id == ref.payment_id
                    )
                )
                is not None
            )
        if known:
            seen.mark_known(provider, ref.payment_id)
    if done:
        with transaction(factory) as session:
            delivery_id = _store(session, rec, "duplicate", f"event {ref.event_id} done")
        seen.mark_done(provider, ref.event_id)
        return DeliveryResult(delivery_id, "duplicate")
    if not known:
        detail = f"unknown payment {ref.payment_id}" if ref.payment_id else "not a payment"
        with transaction(factory) as session:
            _claim(session, provider, ref.event_id, done=True)
            delivery_id = _store(session, rec, "ignored", detail)
        seen.mark_done(provider, ref.event_id)
        return DeliveryResult(delivery_id, "ignored", detail)

    fetched_at = utcnow()
    try:
        snapshot = adapter.fetch_payment(ref.payment_id)
    except PaymentProviderError as exc:
        with transaction(factory) as session:
            _store(session, rec, "failed", exc.message, next_attempt_at=utcnow() + RETRY_BACKOFF)
        raise
    with transaction(factory) as session:
        delivery_id = _store(session, rec, "received")
        result = _apply(
            session, provider, delivery_id, ref.event_id, ref.payment_id, snapshot, fetched_at
        )
    seen.mark_done(provider, ref.event_id)  # committed: from now on a replay is a duplicate
    return result


@dataclass
class _Claim:
    provider: str
    event_id: str
    done: bool


def _claim(session: Session, provider: str, event_id: str | None, *, done: bool = False):
    """Insert-or-find the event's claim and lock its row, in one statement
    (``INSERT … ON CONFLICT DO UPDATE … RETURNING``: the conflicting row is locked on
    PostgreSQL; SQLite's write lock is already ours). None without an event id.
    ``done`` reports the state *before* this call; with ``done=True`` it is set."""
    if event_id is None:
        return None
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = make(EventClaim).values(
        provider=provider,
        event_id=event_id,
        first_delivery_id=uuid7(),
        done=False,
        created_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["provider", "event_id"], set_={"event_id": stmt.excluded.event_id}
    ).returning(EventClaim.done)
    claim = _Claim(provider, event_id, bool(session.execute(stmt).scalar_one()))
    if done:
        _set_done(session, claim)
    return claim


def _set_done(session: Session, claim: _Claim) -> None:
    session.execute(
        update(EventClaim)
        .where(EventClaim.provider == claim.provider, EventClaim.event_id == claim.event_id)
        .values(done=True)
    )


def _finish(
    session: Session, delivery_id: uuid.UUID, outcome: str, detail: str = ""
) -> DeliveryResult:
    session.execute(
        update(ProviderEvent)
        .where(ProviderEvent.id == delivery_id)
        .values(outcome=outcome, detail=detail[:2000], processed_at=utcnow(), next_attempt_at=None)
    )
    return DeliveryResult(delivery_id, outcome, detail)


def _apply(
    session: Session,
    provider: str,
    delivery_id: uuid.UUID,
    event_id: str | None,
    payment_id: str,
    snapshot: PaymentSnapshot | None,
    fetched_at,
) -> DeliveryResult:
    claim = _claim(session, provider, event_id)
    if claim is not None and claim.done:
        return _finish(session, delivery_id, "duplicate", f"event {event_id} done")
    if claim is not None:
        _set_done(session, claim)
    if snapshot is None:
        return _finish(session, delivery_id, "ignored", f"{provider} does not know {payment_id}")
    payment = service.find_payment(
        session=session, provider=provider, provider_payment_id=payment_id, lock=True
    )
    if payment is None:  # pragma: no cover - payments are never deleted
        return _finish(session, delivery_id, "ignored", f"unknown payment {payment_id}")
    result = service.apply_snapshot(
        session=session, payment=payment, snapshot=snapshot, fetched_at=fetched_at
    )
    if result.outcome == "mismatch":
        log.error(
            "webhook payment mismatch", extra={"payment": payment_id, "detail": result.detail}
        )
    return _finish(session, delivery_id, result.outcome, result.detail)


def process(
    *,
    factory: sessionmaker[Session],
    providers: ProviderSet,
    provider: str,
    delivery_id: uuid.UUID,
    event_id: str | None,
    payment_id: str,
) -> DeliveryResult:
    """Re-run steps 3 and 4 for a stored, failed delivery (reconciliation)."""
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
        return _apply(session, provider, delivery_id, event_id, payment_id, snapshot, fetched_at)


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
