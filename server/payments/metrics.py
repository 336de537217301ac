"""Money that needs a person, read from the database at each ``/metrics`` scrape.

Gauges, not counters: the database is the one truth every worker process shares, so the
values are right with any number of workers (no per-process files to add up), and an
alert on ``rentguy_invoices_overpaid > 0`` stays on until the excess is refunded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from server.invoicing.models import Invoice
from server.payments.models import Payment

log = logging.getLogger(__name__)

_OVERPAID = select(
    func.count(),
    func.coalesce(
        func.sum(
            Invoice.paid_cents
            - Invoice.refunded_cents
            - Invoice.charged_back_cents
            - Invoice.total_cents
        ),
        0,
    ),
).where(Invoice.state == "overpaid")
_REFUNDS_PENDING = select(
    func.count(), func.coalesce(func.sum(Payment.amount_refund_pending_cents), 0)
).where(Payment.amount_refund_pending_cents > 0)


class MoneyCollector(Collector):
    """Overpaid invoices and refunds on their way, as gauges."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sf = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self._sf() as session:
                overpaid, excess = session.execute(_OVERPAID).one()
                pending_payments, pending = session.execute(_REFUNDS_PENDING).one()
        except SQLAlchemyError:  # /metrics must still answer; /readyz reports the database
            log.warning("money metrics: database not readable", exc_info=True)
            return
        yield GaugeMetricFamily(
            "rentguy_invoices_overpaid",
            "Invoices the providers report more money for than they ask (to refund)",
            value=int(overpaid),
        )
        yield GaugeMetricFamily(
            "rentguy_invoices_overpaid_cents",
            "Money held beyond the totals of overpaid invoices, in cents",
            value=int(excess),
        )
        yield GaugeMetricFamily(
            "rentguy_payments_refund_pending",
            "Payments with a refund the provider has not yet reported done",
            value=int(pending_payments),
        )
        yield GaugeMetricFamily(
            "rentguy_refunds_pending_cents",
            "Refunds asked for and not yet done at the provider, in cents",
            value=int(pending),
        )
