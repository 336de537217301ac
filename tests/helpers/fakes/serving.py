"""Run an ASGI app with uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from tests.helpers.live_server import free_port


def refuse_production() -> None:
    if os.environ.get("RENTGUY_ENVIRONMENT", "").lower() == "production":
        raise RuntimeError("the accounting fakes refuse to run with RENTGUY_ENVIRONMENT=production")


@contextmanager
def serve(app) -> Iterator[str]:
    refuse_production()
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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
