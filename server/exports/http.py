"""What both accounting clients share: one ``httpx.Client``, pacing, counting, and the
rules for what may be retried.

- 429: the server did not process the call; wait for its reset and send it again.
- other 4xx: the server refused *this* request; sending it again gives the same answer
  and Exact blocks a key after 10 errors per endpoint per hour. Never retried here.
- 5xx / timeout / connection error on a GET: retried a few times with backoff.
- 5xx / timeout on a POST: the outcome is unknown (it may have been created). Raised as
  ``OutcomeUnknown``; the runner looks the document up by reference before posting again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from server.exports.ratelimit import WindowLimiter
from server.money import MoneyError, to_cents


class ExportApiError(Exception):
    def __init__(self, message: str, *, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.endpoint = endpoint


class Rejected(ExportApiError):
    """A 4xx other than 429: the request itself is wrong. Do not send it again."""


class OutcomeUnknown(ExportApiError):
    """A write whose answer was lost (timeout, 5xx): look it up before trying again."""


class Unavailable(ExportApiError):
    """A read that kept failing with 5xx or transport errors."""


class UnreadableAnswer(OutcomeUnknown):
    """An answer we cannot book (an amount that is no whole number of cents). After a
    write its outcome is as good as unknown: look it up before posting again."""


class ApiClient:
    """Base class: subclasses set ``limiters`` and implement ``_adopt_headers``."""

    target = "remote"  # the subclass's target name, for messages
    read_retries = 3

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        limiters: list[WindowLimiter],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.limiters = limiters
        self.sleep = sleep
        self.calls = 0
        self.throttled = 0  # answers with 429 (should stay 0)

    # -- subclass hooks ---------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        return {}

    def _adopt_headers(self, response: httpx.Response) -> None:
        """Read the server's rate-limit headers into ``self.limiters``."""

    def _retry_at(self, response: httpx.Response) -> float:
        """Epoch seconds at which a 429'd call may be sent again."""
        return time.time() + 1.0

    def _error_message(self, response: httpx.Response) -> str:
        return response.text[:500]

    # -- the one request path ---------------------------------------------------------
    def request(
        self, method: str, path: str, *, json: Any = None, params: dict | None = None
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        is_write = method.upper() not in ("GET", "HEAD")
        attempt = 0
        while True:
            attempt += 1
            for limiter in self.limiters:
                limiter.acquire()
            try:
                response = self.http.request(
                    method, url, json=json, params=params, headers=self._auth_headers()
                )
            except httpx.TransportError as exc:
                for limiter in self.limiters:
                    limiter.record()
                self.calls += 1
                if is_write:
                    raise OutcomeUnknown(f"{method} {path}: {exc!r}", endpoint=path) from exc
                if attempt > self.read_retries:
                    raise Unavailable(f"{method} {path}: {exc!r}", endpoint=path) from exc
                self.sleep(min(2**attempt * 0.1, 5))
                continue
            self.calls += 1
            for limiter in self.limiters:
                limiter.record()
            self._adopt_headers(response)
            if response.status_code == 429:
                self.throttled += 1
                for limiter in self.limiters:
                    limiter.block_until(self._retry_at(response))
                continue
            if response.status_code == 401 and self._on_unauthorized(attempt):
                continue
            if 400 <= response.status_code < 500:
                raise Rejected(
                    f"{method} {path} -> {response.status_code}: {self._error_message(response)}",
                    status=response.status_code,
                    endpoint=path,
                )
            if response.status_code >= 500:
                message = f"{method} {path} -> {response.status_code}"
                if is_write:
                    raise OutcomeUnknown(message, status=response.status_code, endpoint=path)
                if attempt > self.read_retries:
                    raise Unavailable(message, status=response.status_code, endpoint=path)
                self.sleep(min(2**attempt * 0.1, 5))
                continue
            return response

    def _on_unauthorized(self, attempt: int) -> bool:
        """True to send the call again (e.g. after refreshing an expired token)."""
        return False

    def _cents(self, value: Any, field: str) -> int:
        """An amount the target sent (any JSON shape; absent is 0) as cents, exactly
        (``server.money``); one it cannot have meant is ``UnreadableAnswer``."""
        try:
            return to_cents(0 if value is None else value)
        except MoneyError as exc:
            raise UnreadableAnswer(
                f"{self.target} sent {field} = {value!r}, which we cannot book: {exc}"
            ) from exc

    def seconds_for(self, calls: int) -> float:
        return max((limiter.seconds_for(calls) for limiter in self.limiters), default=0.0)


def header_number(response: httpx.Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
