"""Prometheus metrics, one registry per app so tests can build many apps.

With several worker processes (``rentguy-server serve --workers N``) each worker counts in
its own process, so ``/metrics`` must add them up: ``serve`` then points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start, every worker's
prometheus_client writes its values to files there, and ``/metrics`` reads all of them
(``MultiProcessCollector``), whichever worker answers.

Every series exists from start-up at zero: each label set the code can use is created
here (``_initialise``), so a dashboard or an alert sees ``0``, not "no data", until the
first event. Per-station gauges are read from the database at each scrape
(``server.identity.kiosk_reports.StationCollector``); export calls are counted process-wide
(``server.exports.metrics``, passed in by ``server.app``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from shared.protocol import MAX_BATCH_SIZE, ScanStatus

# What a webhook delivery came to: the stored outcomes (server.payments.webhooks), and
# refusals before anything is stored.
WEBHOOK_OUTCOMES = (
    "processed",
    "unchanged",
    "stale",
    "mismatch",
    "duplicate",
    "ignored",
    "rejected",  # a 4xx: bad signature or body
    "rate_limited",  # a 429 from our own limits
    "failed",  # the provider could not be read (503), or an error on our side
)
LOGIN_KINDS = ("password", "badge", "refresh")
LOGIN_OUTCOMES = ("ok", "failed")
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, MAX_BATCH_SIZE)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    def __init__(
        self,
        collectors: Iterable[Collector] = (),
        *,
        process_collectors: Iterable[Collector] = (),
        webhook_providers: Iterable[str] = (),
    ) -> None:
        """``collectors``: ones that read shared state (the database) at scrape time; they
        are registered where ``/metrics`` reads, in multi-process mode too.
        ``process_collectors``: a domain's process-wide counters (the exports' calls).
        ``webhook_providers``: the payment providers whose webhook series start at zero.
        The app passes the domains' parts in: this module sits below every domain."""
        self._webhook_providers = tuple(webhook_providers)
        own = CollectorRegistry()
        self.requests = Counter(
            "rentguy_http_requests_total",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "rentguy_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            registry=own,
        )
        self.scans = Counter(
            "rentguy_scans_total",
            "Scans received, by the answer they got",
            ["status"],
            registry=own,
        )
        self.batch_size = Histogram(
            "rentguy_scan_batch_size",
            "Scans per uploaded batch",
            buckets=BATCH_SIZE_BUCKETS,
            registry=own,
        )
        self.ingest_latency = Histogram(
            "rentguy_scan_ingest_seconds",
            "Time to apply one uploaded batch (rules, ledger, answers), before the commit",
            registry=own,
        )
        self.webhooks = Counter(
            "rentguy_webhook_deliveries_total",
            "Payment webhook deliveries, by provider and what they came to",
            ["provider", "outcome"],
            registry=own,
        )
        self.logins = Counter(
            "rentguy_logins_total",
            "Logins (password, badge) and token refreshes, by kind and outcome",
            ["kind", "outcome"],
            registry=own,
        )
        for collector in process_collectors:
            own.register(collector)
        self._initialise()
        # What /metrics shows: this app's own values, or every worker's from the files.
        self.registry = own
        if os.environ.get(MULTIPROC_ENV):
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry)
        for collector in collectors:
            self.registry.register(collector)


    def _initialise(self) -> None:
        for status in ScanStatus:
            self.scans.labels(status.value)
        for provider in self._webhook_providers:
            for outcome in WEBHOOK_OUTCOMES:
                self.webhooks.labels(provider, outcome)
        for kind in LOGIN_KINDS:
            for outcome in LOGIN_OUTCOMES:
                self.logins.labels(kind, outcome)


@contextmanager
def multiprocess_dir(workers: int) -> Iterator[str | None]:
    """For ``workers`` > 1: a fresh, private metrics directory in the environment the
    workers inherit, removed afterwards (stale files from an earlier run would be added
    into the new run's counters)."""
    if workers <= 1:
        yield None
        return
    path = tempfile.mkdtemp(prefix="rentguy-metrics-")
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = path
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(path, ignore_errors=True)
