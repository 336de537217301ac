"""Pure-ASGI middleware: request ids, client address, access log and metrics, security
headers, and a request body cap.

Pure ASGI (not ``BaseHTTPMiddleware``) so a streamed 10 MB body is refused while it is
being read, not after it has been buffered. ``RequestContextMiddleware`` and
``DefaultHeadersMiddleware`` wrap the whole app, outside Starlette's own error middleware
(``server.app.RentGuyAPI``): the 500 answer and its log line get a request id and headers too.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.ops.logging import request_id_var
from server.ops.metrics import Metrics
from server.ops.proxies import Network, forwarded_for, resolve_client
from shared.ids import uuid7

log = logging.getLogger("server.access")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Assigns a request id (or keeps a sane incoming ``X-Request-ID``), decides the client
    address (``server.ops.proxies``), logs and counts."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, trusted_proxies: Sequence[Network] = ()
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_headers = scope.get("headers") or []
        headers = dict(raw_headers)
        peer = scope.get("client")
        if peer and self.trusted_proxies:
            host = resolve_client(peer[0], forwarded_for(raw_headers), self.trusted_proxies)
            if host != peer[0]:
                scope["client"] = (host, 0)
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else str(uuid7())
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        counted = False

        def count() -> None:
            # Before the answer's last byte leaves: a client that has its answer finds it
            # in /metrics (every worker's), and in the log.
            nonlocal counted
            counted = True
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(elapsed)
            log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={"status": status, "duration_ms": round(elapsed * 1000, 2)},
            )

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                count()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if not counted:  # no answer was sent (an error before it, a dropped client)
                count()
            request_id_var.reset(token)


# Set on every answer unless the route chose its own (an HTML page sets a CSP that lets
# its own inline script/style run; a stream may set its own Cache-Control).
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    # Every API answer can hold a token or personal data: no cache may keep it.
    (b"cache-control", b"no-store"),
)


class DefaultHeadersMiddleware:
    """Adds ``headers`` to every HTTP response, errors included, unless the route set one
    of them itself (``SECURITY_HEADERS``, and the version headers of ``ops.versioning``)."""

    def __init__(self, app: ASGIApp, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = tuple(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _value in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Answers 413 for bodies over ``max_bytes``, by header or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id")
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"request body larger than {self.max_bytes} bytes",
                    "details": None,
                },
                "request_id": request_id,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        guard = _CappedBody(self, scope, receive, send)
        try:
            await self.app(scope, guard.receive, guard.send)
        except _BodyTooLarge:
            if not guard.replaced:
                await self._refuse(scope, send)


class _CappedBody:
    """One request's receive and send, counting the body as it streams in."""

    def __init__(
        self, limit: BodySizeLimitMiddleware, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self.limit, self.scope, self._receive, self._send = limit, scope, receive, send
        self.received = 0
        self.too_large = False
        self.replaced = False  # our 413 went out instead of the app's answer

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit.max_bytes:
                self.too_large = True
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        # FastAPI turns an exception raised while reading the body into its own 400;
        # when the cause was our cap, answer with the precise 413 instead.
        if message["type"] == "http.response.start" and self.too_large:
            self.replaced = True
            await self.limit._refuse(self.scope, self._send)
            return
        if self.replaced:
            return
        await self._send(message)


class _BodyTooLarge(Exception):
    pass
