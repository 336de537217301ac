"""Prometheus metrics, one registry per app so tests can build many apps.

With several worker processes (``rentguy-server serve --workers N``) each worker counts in
its own process, so ``/metrics`` must add them up: ``serve`` then points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start, every worker's
prometheus_client writes its values to files there, and ``/metrics`` reads all of them
(``MultiProcessCollector``), whichever worker answers.
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

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    def __init__(self, collectors: Iterable[Collector] = ()) -> None:
        """``collectors``: ones that read shared state (the database) at scrape time; they
        are registered where ``/metrics`` reads, in multi-process mode too."""
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
        # What /metrics shows: this app's own values, or every worker's from the files.
        self.registry = own
        if os.environ.get(MULTIPROC_ENV):
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry)
        for collector in collectors:
            self.registry.register(collector)


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
