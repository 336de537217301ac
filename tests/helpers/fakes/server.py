"""Run an ASGI fake on loopback in a thread, plus the failure controls every fake shares."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Self

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def refuse_in_production(name: str) -> None:
    """Fakes answer any API key with fake money: never let one near production."""
    if os.environ.get("RENTGUY_ENVIRONMENT", "").lower() == "production":
        raise RuntimeError(
            f"{name} is a test fake and refuses to run with RENTGUY_ENVIRONMENT=production"
        )


class Faults:
    """What the next requests should suffer: errors, delays, lost answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down = False  # every API request answers 503
        self.fail_next = 0  # the next N requests answer 500 before doing anything
        self.drop_answer_next = 0  # the next N requests are processed, then answer 500
        self.delay: float | Callable[[str], float] = 0.0  # seconds, or per path

    def take(self, attr: str) -> bool:
        with self.lock:
            if getattr(self, attr) > 0:
                setattr(self, attr, getattr(self, attr) - 1)
                return True
            return False

    async def pause(self, path: str) -> None:
        delay = self.delay(path) if callable(self.delay) else self.delay
        if delay:
            await asyncio.sleep(delay)


def fault_middleware(app: FastAPI, faults: Faults, error: Callable[[int, str], JSONResponse]):
    """Install the fault controls in front of every route of ``app``."""

    @app.middleware("http")
    async def _faults(request: Request, call_next):
        app.state.requests += 1
        await faults.pause(request.url.path)
        if faults.down:
            return error(503, "service unavailable (fake is down)")
        if faults.take("fail_next"):
            return error(500, "internal error (fake told to fail)")
        response = await call_next(request)
        if faults.take("drop_answer_next"):
            return error(500, "answer lost (fake processed the request, then failed)")
        return response


class FakeServer:
    """``with FakeServer(app) as url:`` serves ``app`` on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake server did not start")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ServedFake:
    """Lifecycle every provider fake shares: ``with FakeX() as fake:`` serves ``fake.app``
    on loopback (``fake.url``). Subclasses set ``self.app`` and ``self._server``."""

    app: FastAPI
    _server: FakeServer

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.stop()

    @property
    def request_count(self) -> int:
        return self.app.state.requests
