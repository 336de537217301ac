"""Re-check: re-fetch payments stuck in a non-final state or with a refund still on its
way, and retry failed deliveries. (Not the exports' reconciliation report: that compares
what a run sent with what the bookkeeping target holds, ``server.exports.reconciliation``.)

Run by ``rentguy-server payments recheck`` (cron; ``payments reconcile`` is its old name,
kept as an alias for deployed crontabs) or by the app's background loop
(``RENTGUY_PAYMENTS_RECONCILE_INTERVAL``: the setting keeps its name for deployed configs).
The log messages and the thread name keep their old wording too (log searches and alerts).

Work is claimed in a short transaction with ``SELECT … FOR UPDATE SKIP LOCKED``
(PostgreSQL; SQLite's write lock serializes) and a lease, so two server processes never
work on the same item; provider calls happen outside any database lock.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.errors import AppError
from server.payments import service, webhooks
from server.payments.models import FINAL_PAYMENT_STATES, Payment
from server.payments.providers import ProviderSet

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


def _claim_payments(session: Session, limit: int) -> list[Payment]:
    now = utcnow()
    rows = session.scalars(
        select(Payment)
        .where(
            # Not final yet, or final with a refund still on its way (service.next_check).
            or_(
                Payment.status.not_in(FINAL_PAYMENT_STATES),
                Payment.amount_refund_pending_cents > 0,
            ),
            Payment.next_check_at <= now,  # None: settled, or given up (service.next_check)
            (Payment.lease_until.is_(None)) | (Payment.lease_until < now),
        )
        .order_by(Payment.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.lease_until = now + LEASE
    session.flush()
    return list(rows)


def recheck_once(
    *, factory: sessionmaker[Session], providers: ProviderSet, limit: int = 100
) -> dict[str, int]:
    """One pass; returns counts of what it did."""
    stats = {
        "payments_checked": 0,
        "payments_changed": 0,
        "payments_failed": 0,
        "deliveries_retried": 0,
        "deliveries_failed": 0,
    }
    with transaction(factory) as session:
        claimed = [
            (p.id, p.provider, p.provider_payment_id) for p in _claim_payments(session, limit)
        ]
    for payment_id, provider, provider_payment_id in claimed:
        stats["payments_checked"] += 1
        fetched_at = utcnow()
        try:
            snapshot = providers.get(provider).fetch_payment(provider_payment_id)
        except AppError as exc:
            stats["payments_failed"] += 1
            log.warning(
                "reconcile: fetch failed", extra={"payment": str(payment_id), "error": exc.message}
            )
            continue  # the lease expires; the next pass tries again
        with transaction(factory) as session:
            payment = service.get_payment(session=session, payment_id=payment_id, lock=True)
            payment.lease_until = None
            if snapshot is None:
                payment.next_check_at = service.next_check(payment)
                continue
            result = service.apply_snapshot(
                session=session, payment=payment, snapshot=snapshot, fetched_at=fetched_at
            )
            if result.outcome == "processed":
                stats["payments_changed"] += 1

    with transaction(factory) as session:
        due = [
            (d.id, d.provider, d.event_id, d.object_id)
            for d in webhooks.retry_candidates(session=session, limit=limit)
        ]
    for delivery_id, provider, event_id, object_id in due:
        stats["deliveries_retried"] += 1
        assert object_id is not None  # a delivery fails only fetching a payment it names
        try:
            webhooks.process(
                factory=factory,
                providers=providers,
                provider=provider,
                delivery_id=delivery_id,
                event_id=event_id,
                payment_id=object_id,
            )
        except AppError as exc:
            stats["deliveries_failed"] += 1
            log.warning("reconcile: delivery retry failed", extra={"error": exc.message})
    return stats


class RecheckLoop:
    """A daemon thread running ``recheck_once`` every ``interval`` seconds until stopped."""

    def __init__(
        self, *, factory: sessionmaker[Session], providers: ProviderSet, interval: float
    ) -> None:
        self._factory, self._providers, self._interval = factory, providers, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payments-reconcile", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                stats = recheck_once(factory=self._factory, providers=self._providers)
                if any(stats.values()):
                    log.info("payments reconciled", extra=stats)
            except Exception:  # keep the loop alive; the next pass retries
                log.exception("payments reconciliation pass failed")
