"""What both accounting clients share: one ``httpx.Client``, pacing, counting, and the
rules for what may be retried.

- 429: the server did not process the call; wait for its reset and send it again, at
  most ``throttle_retries`` times and never longer than ``max_wait`` (``RateLimited``).
  ``Retry-After`` may be seconds, an epoch time or an HTTP-date (``retry_after_epoch``).
- other 4xx: the server refused *this* request; sending it again gives the same answer
  and Exact blocks a key after 10 errors per endpoint per hour. Never retried here.
- 5xx / timeout / connection error on a GET: retried a few times with backoff.
- 5xx / timeout on a POST: the outcome is unknown (it may have been created). Raised as
  ``OutcomeUnknown``; the runner looks the document up by reference before posting again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from server.exports import metrics
from server.exports.targets.ratelimit import WindowLimiter
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


class NotAuthorized(ExportApiError):
    """The target will not let us in (not connected, a refresh refused): no call of this
    run can succeed, so the run stops with what to do instead of failing every item."""


class RateLimited(ExportApiError):
    """Still throttled after ``throttle_retries`` waits, or told to wait past ``max_wait``:
    every further call would be throttled too, so the run stops (nothing was processed)."""


class UnreadableAnswer(OutcomeUnknown):
    """An answer we cannot book (an amount that is no whole number of cents). After a
    write its outcome is as good as unknown: look it up before posting again."""


# A number below this is a delay in seconds, not an epoch time (which passed it in 2001).
_EPOCH_FROM = 1e9
_ENTITY_KEY = re.compile(r"\(guid'[^']*'\)|\(\d+\)")


def retry_after_epoch(value: str | None, now: float) -> float | None:
    """Epoch seconds a ``Retry-After`` (or reset) header points at: seconds to wait
    ("120"), an epoch time in seconds (Moneybird) or milliseconds, or an HTTP-date (RFC
    9110). None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            return parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError):
            return None
    if number != number or number in (float("inf"), float("-inf")) or number < 0:
        return None
    if number < _EPOCH_FROM:
        return now + number
    return number / 1000 if number > _EPOCH_FROM * 1000 else number


def endpoint_of(path: str, base_url: str = "") -> str:
    """The endpoint a call goes to, as Exact counts errors: the entity set, without host,
    division, query or key (``/crm/Accounts(guid'..')`` -> ``/crm/Accounts``)."""
    if base_url and path.startswith(base_url):
        path = path[len(base_url) :]
    return _ENTITY_KEY.sub("", urlsplit(path).path)[:128]


class ErrorCounter(Protocol):
    """Errors per endpoint across runs (``server.exports.targets.error_budget.ErrorBudget``)."""

    def check(self, endpoint: str) -> None: ...

    def record(self, endpoint: str, status: int) -> None: ...


class ApiClient:
    """Base class: subclasses set ``limiters`` and implement ``_adopt_headers``."""

    target = "remote"  # the subclass's target name, for messages
    read_retries = 3
    throttle_retries = 5  # 429s in a row for one call before the run stops
    max_wait = 900.0  # seconds: a longer wait than this asked by a 429 stops the run

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        limiters: list[WindowLimiter],
        sleep: Callable[[float], None] = time.sleep,
        errors: ErrorCounter | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.limiters = limiters
        self.errors = errors
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
        return self.now() + 1.0

    def _error_message(self, response: httpx.Response) -> str:
        return response.text[:500]

    # -- the one request path ---------------------------------------------------------
    def request(
        self, method: str, path: str, *, json: Any = None, params: dict | None = None
    ) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        endpoint = endpoint_of(url, self.base_url)
        is_write = method.upper() not in ("GET", "HEAD")
        attempt = throttled = 0
        while True:
            attempt += 1
            if self.errors is not None:
                self.errors.check(endpoint)
            self._acquire(method, path)
            try:
                response = self.http.request(
                    method, url, json=json, params=params, headers=self._auth_headers()
                )
            except httpx.TransportError as exc:
                self._count_call()
                self._retry_or_raise(
                    f"{method} {path}: {exc!r}", path, attempt, is_write=is_write, cause=exc
                )
                continue
            self._count_call()
            self._adopt_headers(response)
            if response.status_code >= 400 and self.errors is not None:
                self.errors.record(endpoint, response.status_code)
            if response.status_code == 429:
                self.throttled += 1
                metrics.THROTTLED.labels(self.target).inc()
                throttled += 1
                self._wait_after_429(method, path, response, throttled)
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
                self._retry_or_raise(
                    f"{method} {path} -> {response.status_code}",
                    path,
                    attempt,
                    is_write=is_write,
                    status=response.status_code,
                )
                continue
            return response

    def _count_call(self) -> None:
        """A call went out (answered or not): it counts against every limit."""
        for limiter in self.limiters:
            limiter.record()
        self.calls += 1
        metrics.CALLS.labels(self.target).inc()

    def _retry_or_raise(
        self,
        message: str,
        path: str,
        attempt: int,
        *,
        is_write: bool,
        status: int | None = None,
        cause: Exception | None = None,
    ) -> None:
        """After a lost or 5xx answer: a write's outcome is unknown (never sent twice
        blind); a read backs off and is sent again, up to ``read_retries`` times."""
        if is_write:
            raise OutcomeUnknown(message, status=status, endpoint=path) from cause
        if attempt > self.read_retries:
            raise Unavailable(message, status=status, endpoint=path) from cause
        self.sleep(min(2**attempt * 0.1, 5))

    def _acquire(self, method: str, path: str) -> None:
        """Wait for every limiter; a wait beyond ``max_wait`` (the server said none left
        until a reset hours away, the daily limit is used up) stops the run instead."""
        for limiter in self.limiters:
            if (wait := limiter.delay()) > self.max_wait:
                raise RateLimited(
                    f"{method} {path}: {self.target} allows no further call for {wait:.0f} s "
                    f"(limit {limiter.limit} per {limiter.window:g} s); run again later",
                    status=429,
                    endpoint=path,
                )
            if wait > 0:
                metrics.RATE_LIMIT_WAITS.labels(self.target).inc()
                metrics.RATE_LIMIT_WAIT_SECONDS.labels(self.target).inc(wait)
            limiter.acquire()

    def now(self) -> float:
        """Epoch seconds on the limiters' clock (retry times are compared against it)."""
        return self.limiters[0].now() if self.limiters else time.time()

    def _wait_after_429(
        self, method: str, path: str, response: httpx.Response, throttled: int
    ) -> None:
        """Hold every limiter until the server's retry time; stop when it keeps refusing
        or asks for longer than ``max_wait``."""
        if throttled > self.throttle_retries:
            raise RateLimited(
                f"{method} {path}: still answered 429 after {self.throttle_retries} waits",
                status=429,
                endpoint=path,
            )
        now = self.now()
        retry_at = self._retry_at(response)
        if retry_at - now > self.max_wait:
            raise RateLimited(
                f"{method} {path}: {self.target} asks to wait {retry_at - now:.0f} s "
                f"(more than {self.max_wait:.0f} s); run again later",
                status=429,
                endpoint=path,
            )
        # A retry time already past (clock skew, a stale header) must not spin: back off.
        retry_at = max(retry_at, now + min(0.5 * 2**throttled, 30.0))
        for limiter in self.limiters:
            limiter.block_until(retry_at)

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
