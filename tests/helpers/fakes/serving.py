"""Serving helpers for the accounting fakes: loopback server and a rate-limit window."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers.fakes.server import FakeServer, refuse_in_production


def refuse_production() -> None:
    refuse_in_production("the accounting fakes")


@contextmanager
def serve(app) -> Iterator[str]:
    """``with serve(app) as url:`` — the accounting fakes' spelling of ``FakeServer``."""
    refuse_production()
    with FakeServer(app) as url:
        yield url


def max_calls_in_window(times: list[float], window: float) -> int:
    """The most calls that arrived within any closed window of ``window`` seconds: what
    "never more than the limit per window" is measured by (a fixed window's count can
    look fine while a sliding one of the same length holds more)."""
    times, best, start = sorted(times), 0, 0
    for end, at in enumerate(times):
        while at - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


class FixedWindow:
    """A server-side fixed window counter (what the real APIs report in their headers)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.start = 0.0
        self.count = 0
        self.lock = threading.Lock()

    def hit(self, now: float) -> tuple[bool, int, float]:
        """(allowed, remaining, reset epoch seconds)."""
        with self.lock:
            if now >= self.start + self.window:
                self.start = now - (now % self.window)
                self.count = 0
            reset = self.start + self.window
            if self.count >= self.limit:
                return False, 0, reset
            self.count += 1
            return True, self.limit - self.count, reset


class PostGate:
    """Holds the answer to the next POST of one kind after the fake has stored its object,
    so a test can kill the client right then (the object exists remotely, the client
    never heard). ``arm()``, wait for ``stored``, kill, then ``release()``."""

    def __init__(self) -> None:
        self.armed = False
        self.stored = threading.Event()
        self.released = threading.Event()

    def arm(self) -> None:
        self.stored.clear()
        self.released.clear()
        self.armed = True

    def release(self) -> None:
        self.released.set()

    async def hold(self) -> None:
        if not self.armed:
            return
        self.armed = False
        self.stored.set()
        while not self.released.is_set():  # the event loop keeps serving other requests
            await asyncio.sleep(0.01)
