"""The kiosk's one door to the server: ``ServerApi`` owns the HTTP.

It knows the server's base URL (asked before every request: re-enrolment may move the
server), the station token, the version headers every request states (shared.protocol's
rule), the timeouts, and turns every transport failure (no connection, DNS, a timeout)
into one error, ``ServerUnreachable``. What an answer means is the caller's business (the
sync engine, login, enrolment); the helpers below read our error bodies for them.

One ``httpx.Client`` serves every request: a fresh one per call costs a TLS context
(SPEC §8). Tests inject their own (``httpx.MockTransport``) as ``http_client``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from shared.protocol import ACCEPTS_HEADER, PROTOCOL_VERSION, parse_accepts, version_headers
from shared.version import __version__

DEFAULT_TIMEOUT_S = 10.0
# What this kiosk states on every request (shared.protocol's rule). Read at each request,
# so a test can make the kiosk state another protocol.
VERSION_HEADERS = version_headers(__version__)
# Error codes with which a server refuses our protocol (server.ops.versioning).
VERSION_REFUSALS = ("kiosk_too_old", "server_too_old")


class ServerUnreachable(Exception):
    """The server gave no answer (connection refused, DNS, a timeout); ``str()`` says why."""

    def __init__(self, detail: str, *, timed_out: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timed_out = timed_out  # the answer did not come in time (the request may have run)


def _no_token() -> str | None:
    return None


class ServerApi:
    """Requests to the server; thread-safe as ``httpx.Client`` is (sync thread and login)."""

    def __init__(
        self,
        server_url: str | Callable[[], str],
        station_token: Callable[[], str | None] = _no_token,
        http_client: httpx.Client | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._server_url = server_url
        self._station_token = station_token
        self.http = http_client or httpx.Client(timeout=timeout_s)
        self._owns_http = http_client is None

    @property
    def base_url(self) -> str:
        url = self._server_url() if callable(self._server_url) else self._server_url
        return url.rstrip("/")

    def station_token(self) -> str | None:
        """This station's token now (None: not enrolled)."""
        return self._station_token()

    def at(self, server_url: str) -> ServerApi:
        """The same client and token pointed at another server (an enrolment there)."""
        return ServerApi(server_url, self._station_token, self.http)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request stating our versions (and ``token`` as the bearer, if given).

        Any answer is returned, whatever its status; no answer raises ``ServerUnreachable``.
        ``timeout`` overrides the client's for this request."""
        sent = {
            **({"Authorization": f"Bearer {token}"} if token is not None else {}),
            **VERSION_HEADERS,
            **(headers or {}),
        }
        try:
            return self.http.request(
                method,
                self.base_url + path,
                headers=sent,
                json=json,
                params=params,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                str(exc) or type(exc).__name__, timed_out=isinstance(exc, httpx.ReadTimeout)
            ) from exc

    def close(self) -> None:
        """Close the client if this object made it (an injected one is its owner's)."""
        if self._owns_http:
            self.http.close()


def error_code(response: httpx.Response) -> str | None:
    """The ``code`` of our error body ``{"error": {"code", ...}}``, or None."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def server_message(response: httpx.Response) -> str:
    """The message of our error body ``{"error": {"code", "message", ...}, "request_id"}``."""
    try:
        body = response.json()
        error = body["error"]
        text = f"{error['message']} ({error.get('code', response.status_code)})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:200]}".strip()
    request_id = body.get("request_id")
    return f"{text} [request {request_id}]" if request_id else text


def update_needed(response: httpx.Response) -> str | None:
    """Why kiosk and server cannot talk, or None. A server that states no range is from
    before the headers (protocol 1 only)."""
    status = response.status_code
    if status == 426 or (status == 409 and error_code(response) in VERSION_REFUSALS):
        return f"update needed: {server_message(response)}"
    try:
        low, high = parse_accepts(response.headers.get(ACCEPTS_HEADER))
    except ValueError:
        return None  # not a statement we can read (a proxy?): the answer itself decides
    if not low <= PROTOCOL_VERSION <= high:
        return (
            f"update needed: the server accepts protocol {low}-{high}, "
            f"this kiosk speaks {PROTOCOL_VERSION}"
        )
    return None
