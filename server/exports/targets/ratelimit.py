"""Client-side pacing for the accounting APIs.

Why our own limiter and not the ``limits`` package: ``limits`` counts our own hits in a
window, but what matters here is the *server's* count, which it reports on every answer
(Moneybird ``RateLimit-Remaining``/``RateLimit-Reset``, Exact ``X-RateLimit-*``), and that
count also includes calls other processes made with the same key. So we keep a sliding log
of our own calls (to never send more than ``limit`` per ``window``) and, on top of it, obey
the server: when it says 0 remaining, wait until its reset time. Timestamps are taken when
an answer *arrives*, which is never earlier than when the server counted the call, so a
fixed window on the server can never see ``limit + 1`` calls from us.

A logged call leaves the window only once *more* than ``window`` seconds have passed: at
exactly ``window`` seconds a closed window of that length still holds it and the next call
(the provider's 101 % in the issue 13 bench came from that edge, and from measuring the
average rate of a run that starts with a full window's burst; the bench now measures the
busiest window).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class WindowLimiter:
    """At most ``limit`` calls per ``window`` seconds, plus the server's own verdict."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._log: deque[float] = deque()
        self._blocked_until = 0.0  # epoch seconds, from the server's headers
        self._lock = threading.Lock()
        self.waited = 0.0

    def now(self) -> float:
        """This limiter's clock (epoch seconds): the one its waits are measured on."""
        return self._clock()

    def delay(self) -> float:
        """Seconds to wait before the next call may go out (0 when it may go now)."""
        now = self._clock()
        while self._log and self._log[0] < now - self.window:
            self._log.popleft()
        wait = max(0.0, self._blocked_until - now)
        if len(self._log) >= self.limit:
            # Strictly after the oldest call's window: the smallest step a float can take.
            wait = max(wait, math.nextafter(self._log[0] + self.window, math.inf) - now)
        return wait

    def acquire(self) -> None:
        with self._lock:
            while (wait := self.delay()) > 0:
                self.waited += wait
                self._sleep(wait)

    def record(self) -> None:
        """Call when an answer arrived (the call has been counted by the server)."""
        with self._lock:
            self._log.append(self._clock())

    def server_says(self, *, remaining: int | None, reset_epoch: float | None) -> None:
        """Adopt the server's count: none left means wait for its reset."""
        if remaining is None or reset_epoch is None:
            return
        with self._lock:
            if remaining <= 0:
                self._blocked_until = max(self._blocked_until, reset_epoch)

    def block_until(self, epoch: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, epoch)

    def seconds_for(self, calls: int) -> float:
        """How long ``calls`` more calls take at this limit (for the ETA): what is left in
        the current window goes now, the rest in whole windows of ``limit`` calls."""
        free = max(0, self.limit - len(self._log))
        if calls <= free:
            return 0.0
        return math.ceil((calls - free) / self.limit) * self.window
