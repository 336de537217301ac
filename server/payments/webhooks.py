"""Webhook deliveries: verify, look, re-fetch, then store and apply in one transaction.

This module owns its transactions (unlike request services) because a delivery must be
stored even when processing it fails, and because the provider is called while *no*
database lock is held:

    1. verify the delivery (Stripe signature) — a rejected one is stored as ``rejected``
    2. a read-only look: an event we already finished, or a payment we do not know, is
       stored as ``duplicate``/``ignored`` without calling the provider
    3. fetch the payment from the provider (the body is only a hint); failure → stored
       as ``failed`` (reconciliation retries it) and 503 so the provider retries too
    4. one write transaction: claim its event id (inserted done; unique key, row lock),
       lock the payment, merge the provider's state, store the delivery with its outcome

Concurrent duplicates can all reach step 4; the claim's row lock lets exactly one apply,
the others see it done and end as ``duplicate``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from server.db import table_of, transaction, utcnow
from server.edge import storable, text_problem
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
# A rejected delivery keeps this much of its body (enough to see what was sent), plus its
# size and digest: anyone can send one, so it must not cost more than a small row.
MAX_REJECTED_BODY_STORED = 1024
MAX_HEADER_STORED = 1024  # per header value (a Stripe-Signature during rotation is ~300)
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
    body_bytes: int | None = None
    body_sha256: str | None = None


def _received(
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
    limit: int,
    ref: WebhookRef | None = None,
) -> _Received:
    """What is kept of a delivery: chosen headers (each capped), the first ``limit`` bytes
    of the body, and the size and digest of all of it."""
    # Kept for the record only, so made storable (a raw 0x00 in a body is still a body).
    kept = {k: storable(headers[k][:MAX_HEADER_STORED]) for k in _KEEP_HEADERS if k in headers}
    text = storable(body[:limit].decode("utf-8", errors="replace"))
    digest = hashlib.sha256(body).hexdigest()
    return _Received(provider, kept, text, ref, len(body), digest)


# Statements built once: building and cache-keying a fresh SQL expression per call was a
# large share of the server's CPU per delivery. Core statements on the tables (not the ORM
# bulk path) with bound parameters; the column types still convert UTC times and JSON.
_EVENTS = table_of(ProviderEvent)
_CLAIMS = table_of(EventClaim)
_INSERT_DELIVERY = _EVENTS.insert()
_FINISH_DELIVERY = (
    _EVENTS.update()
    .where(_EVENTS.c.id == bindparam("b_id"))
    .values(
        outcome=bindparam("b_outcome"),
        detail=bindparam("b_detail"),
        processed_at=bindparam("b_processed_at"),
        next_attempt_at=None,
    )
)
_CLAIM_DONE = select(_CLAIMS.c.done).where(
    _CLAIMS.c.provider == bindparam("provider"), _CLAIMS.c.event_id == bindparam("event_id")
)
_PAYMENT_KNOWN = select(table_of(Payment).c.id).where(
    table_of(Payment).c.provider == bindparam("provider"),
    table_of(Payment).c.provider_payment_id == bindparam("payment_id"),
)
_LOCK_CLAIM = _CLAIM_DONE.with_for_update()
_SET_DONE = (
    _CLAIMS.update()
    .where(
        _CLAIMS.c.provider == bindparam("b_provider"),
        _CLAIMS.c.event_id == bindparam("b_event_id"),
    )
    .values(done=True)
)
_NEW_CLAIM: dict[str, object] = {}


def _new_claim_stmt(dialect: str):
    """``INSERT … ON CONFLICT DO NOTHING RETURNING`` for a claim, built once per dialect."""
    stmt = _NEW_CLAIM.get(dialect)
    if stmt is None:
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = (
            make(_CLAIMS)
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(_CLAIMS.c.done)
        )
        _NEW_CLAIM[dialect] = stmt
    return stmt


def _store(
    session: Session,
    rec: _Received,
    outcome: str,
    detail: str = "",
    *,
    delivery_id: uuid.UUID | None = None,
    next_attempt_at: datetime | None = None,
) -> uuid.UUID:
    """Insert the delivery row once, with its outcome (a Core insert: this is the hot path)."""
    delivery_id = delivery_id or uuid7()
    now = utcnow()
    ref = rec.ref
    session.connection().execute(
        _INSERT_DELIVERY,
        {
            "id": delivery_id,
            "provider": rec.provider,
            "received_at": now,
            "headers": rec.headers,
            "body": rec.body,
            "body_bytes": rec.body_bytes,
            "body_sha256": rec.body_sha256,
            "event_id": ref.event_id if ref else None,
            "event_type": ref.event_type if ref else None,
            "object_id": ref.payment_id if ref else None,
            "outcome": outcome,
            "detail": detail[:2000],
            "attempts": 1,
            "processed_at": None if outcome == "failed" else now,
            "next_attempt_at": next_attempt_at,
            "lease_until": None,
        },
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
    try:
        ref = _checked(adapter.parse_webhook(body=body, headers=headers))
    except WebhookRejected as exc:
        rejected = _received(provider, headers, body, MAX_REJECTED_BODY_STORED)
        with transaction(factory) as session:
            _store(session, rejected, "rejected", exc.message)
        log.warning("webhook rejected", extra={"provider": provider, "reason": exc.message})
        raise
    rec = _received(provider, headers, body, MAX_BODY_STORED, ref)

    done = seen.event_done(provider, ref.event_id)
    known = seen.payment_known(provider, ref.payment_id)
    if not done and not known:
        with factory() as session:  # read-only look, no locks kept
            conn = session.connection()
            done = ref.event_id is not None and bool(
                conn.execute(_CLAIM_DONE, {"provider": provider, "event_id": ref.event_id}).scalar()
            )
            known = (
                ref.payment_id is not None
                and conn.execute(
                    _PAYMENT_KNOWN, {"provider": provider, "payment_id": ref.payment_id}
                ).scalar()
                is not None
            )
        if known and ref.payment_id is not None:
            seen.mark_known(provider, ref.payment_id)
    if done:
        with transaction(factory) as session:
            delivery_id = _store(session, rec, "duplicate", f"event {ref.event_id} done")
        seen.mark_done(provider, ref.event_id)
        return DeliveryResult(delivery_id, "duplicate")
    if not known or ref.payment_id is None:  # known: it names a payment we hold
        detail = f"unknown payment {ref.payment_id}" if ref.payment_id else "not a payment"
        with transaction(factory) as session:
            delivery_id = uuid7()
            _claim(session, provider, ref.event_id, delivery_id)
            _store(session, rec, "ignored", detail, delivery_id=delivery_id)
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
        # Decide first, then store the delivery once with its outcome (one insert, no update).
        delivery_id = uuid7()
        outcome, detail = _apply(
            session, provider, delivery_id, ref.event_id, ref.payment_id, snapshot, fetched_at
        )
        _store(session, rec, outcome, detail, delivery_id=delivery_id)
        result = DeliveryResult(delivery_id, outcome, detail)
    seen.mark_done(provider, ref.event_id)  # committed: from now on a replay is a duplicate
    return result


def _checked(ref: WebhookRef) -> WebhookRef:
    """The ids a delivery names are looked up and stored: the edge's text rule for them
    (a raw body is not checked by ``server.edge``; Mollie's ``id=tr_%00x`` decodes to NUL)."""
    for name, value in (
        ("event id", ref.event_id),
        ("event type", ref.event_type),
        ("payment id", ref.payment_id),
    ):
        if value is not None and (problem := text_problem(value)):
            raise WebhookRejected(f"{name} {problem}")
    return ref


def _claim(session: Session, provider: str, event_id: str | None, delivery_id: uuid.UUID) -> bool:
    """Claim the event id for this transaction; True when it was already done.

    The claim is inserted as done (``INSERT … ON CONFLICT DO NOTHING RETURNING``): it
    commits together with the state it applied, or not at all. On PostgreSQL a concurrent
    claim of the same id waits for the other transaction and then conflicts; SQLite's write
    lock is already ours. A conflicting claim is read under its row lock; one left not done
    is taken over and marked done. No event id: nothing to claim."""
    if event_id is None:
        return False
    params = {"provider": provider, "event_id": event_id}
    conn = session.connection()
    inserted = conn.execute(
        _new_claim_stmt(conn.dialect.name),
        {**params, "first_delivery_id": delivery_id, "done": True, "created_at": utcnow()},
    ).first()
    if inserted is not None:
        return False
    if conn.execute(_LOCK_CLAIM, params).scalar():
        return True
    conn.execute(_SET_DONE, {"b_provider": provider, "b_event_id": event_id})
    return False


def _finish(
    session: Session, delivery_id: uuid.UUID, outcome: str, detail: str = ""
) -> DeliveryResult:
    session.connection().execute(
        _FINISH_DELIVERY,
        {
            "b_id": delivery_id,
            "b_outcome": outcome,
            "b_detail": detail[:2000],
            "b_processed_at": utcnow(),
        },
    )
    return DeliveryResult(delivery_id, outcome, detail)


def _apply(
    session: Session,
    provider: str,
    delivery_id: uuid.UUID,
    event_id: str | None,
    payment_id: str,
    snapshot: PaymentSnapshot | None,
    fetched_at: datetime,
) -> tuple[str, str]:
    """Claim the event and merge the provider's read; the delivery's (outcome, detail)."""
    if _claim(session, provider, event_id, delivery_id):
        return "duplicate", f"event {event_id} done"
    if snapshot is None:
        return "ignored", f"{provider} does not know {payment_id}"
    payment = service.find_payment(
        session=session, provider=provider, provider_payment_id=payment_id, lock=True
    )
    if payment is None:  # pragma: no cover - payments are never deleted
        return "ignored", f"unknown payment {payment_id}"
    result = service.apply_snapshot(
        session=session, payment=payment, snapshot=snapshot, fetched_at=fetched_at
    )
    if result.outcome == "mismatch":
        log.error(
            "webhook payment mismatch", extra={"payment": payment_id, "detail": result.detail}
        )
    return result.outcome, result.detail


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
            delivery = session.get_one(ProviderEvent, delivery_id, with_for_update=True)
            delivery.outcome = "failed"
            delivery.detail = exc.message[:2000]
            delivery.next_attempt_at = utcnow() + RETRY_BACKOFF * min(delivery.attempts, 8)
        raise
    with transaction(factory) as session:
        outcome, detail = _apply(
            session, provider, delivery_id, event_id, payment_id, snapshot, fetched_at
        )
        return _finish(session, delivery_id, outcome, detail)


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
