"""Per-source rate limits on the webhook routes (docs/security.md).

Anyone can POST to a webhook URL, and each delivery costs a database row. Two token
buckets per source address: one for every delivery (sized so a provider's bursts and the
webhook bench's ~500/s from loopback pass), one far smaller for deliveries we *reject*
(bad signature): a source spending it gets 429 before anything is stored. Stripe and Mollie
deliver from their own address ranges, so one noisy source never throttles them.

In memory, per worker process: a limit of N per second allows N × workers in total. Good
enough for a flood guard; the login lock-out, which must be exact, lives in the database.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the limits read from it; nothing else of the config here
    from server.config import Settings


class TokenBucket:
    """``rate`` tokens per second per key, holding at most ``burst``; thread-safe."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key: tokens, at

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.rate)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` has a token (0: it has one now); takes nothing."""
        with self._lock:
            level = self._level(key, self._clock())
        return 0.0 if level >= 1 else (1 - level) / self.rate

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0 when taken, else the seconds to wait for one."""
        with self._lock:
            now = self._clock()
            level = self._level(key, now)
            if level < 1:
                return (1 - level) / self.rate
            self._buckets[key] = (level - 1, now)
            self._buckets.move_to_end(key)
            if len(self._buckets) > self._max_keys:
                # The least recently seen source: it forgets, i.e. starts with a full bucket.
                self._buckets.popitem(last=False)
            return 0.0


def retry_after_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


@dataclass(frozen=True)
class WebhookLimits:
    deliveries: TokenBucket
    rejected: TokenBucket

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookLimits:
        return cls(
            deliveries=TokenBucket(settings.webhook_rate_limit),
            rejected=TokenBucket(settings.webhook_rejected_rate_limit),
        )
