"""Calls to the accounting systems, for ``/metrics``: calls, 429s and rate-limit waits.

Process-wide (module level), not per app like ``server.ops.metrics``: export runs happen
in the scheduler's thread and in request-started background threads, far from the app
object; ``ApiClient`` counts here and every app's registry shows these collectors. With
several workers each counts in its own process and ``/metrics`` adds them up like the rest
(``PROMETHEUS_MULTIPROC_DIR``). A run started from the CLI (``rentguy-server export``)
counts in that CLI process only: it does not show in the server's ``/metrics``.
"""

from __future__ import annotations

from prometheus_client import Counter

from server.exports.models import Target

CALLS = Counter(
    "rentguy_export_calls_total",
    "HTTP calls made to an accounting system, by target",
    ["target"],
    registry=None,
)
THROTTLED = Counter(
    "rentguy_export_throttled_total",
    "Answers 429 (too many requests) from an accounting system, by target",
    ["target"],
    registry=None,
)
RATE_LIMIT_WAITS = Counter(
    "rentguy_export_rate_limit_waits_total",
    "Calls held back by our own rate limiter before being sent, by target",
    ["target"],
    registry=None,
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "rentguy_export_rate_limit_wait_seconds_total",
    "Seconds spent waiting for our own rate limiter, by target",
    ["target"],
    registry=None,
)
COLLECTORS = (CALLS, THROTTLED, RATE_LIMIT_WAITS, RATE_LIMIT_WAIT_SECONDS)
for _target in Target:  # every series exists from start-up, at zero
    for _metric in COLLECTORS:
        _metric.labels(_target.value)
