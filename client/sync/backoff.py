"""Retry delays for the sync loop: exponential back-off with full jitter.

Full jitter (a uniform draw between zero and the exponential ceiling) spreads the kiosks
of a warehouse apart after a server restart instead of having them retry in lock-step.
"""

from __future__ import annotations

import random
from collections.abc import Callable

BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0


def backoff_delay(
    failures: int,
    *,
    base_s: float = BASE_DELAY_S,
    cap_s: float = MAX_DELAY_S,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after ``failures`` consecutive failures: in ``[0, min(cap, base·2^(n-1))]``.

    No failures, no wait. ``rand`` returns a float in [0, 1) and is injectable for tests.
    """
    if failures <= 0:
        return 0.0
    ceiling = min(cap_s, base_s * 2.0 ** min(failures - 1, 62))  # exponent bounded: no overflow
    return rand() * ceiling
