"""Station enrolment and badge login, the kiosk side of shared.auth.

Badge login asks the server first (it knows about a badge revoked a minute ago); only when
the server cannot be reached does the kiosk check the badge against its mirror, and that
session is marked offline. A server that answers "wrong badge" is final: the kiosk never
falls back to its possibly stale mirror to let that badge in anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication

from client.store import LocalStore
from client.sync.engine import VERSION_HEADERS, server_message
from shared.auth import BadgeLoginRequest, EnrollRequest, EnrollResponse, LoginResponse
from shared.badges import badge_hash

ENROLL_PATH = "/api/v1/stations/enroll"
BADGE_LOGIN_PATH = "/api/v1/auth/badge"
LOGIN_TIMEOUT_S = 3.0  # an operator waits for this at most before the offline check


class AuthError(Exception):
    """Login or enrolment failed; ``str()`` is the message for the operator."""


@dataclass(frozen=True)
class Session:
    user_id: str
    name: str
    roles: tuple[str, ...]
    offline: bool = False  # checked against the mirror, not by the server
    access_token: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def enroll(
    client: httpx.Client, server_url: str, code: str, name: str | None = None
) -> EnrollResponse:
    """Exchange a one-time enrolment code for a station token (the caller stores it)."""
    try:
        body = EnrollRequest(code=code.strip(), name=name or None).model_dump(mode="json")
    except ValidationError as exc:
        raise AuthError(
            QCoreApplication.translate("auth", "The enrolment code must be 6 to 64 characters.")
        ) from exc
    try:
        response = client.post(
            server_url.rstrip("/") + ENROLL_PATH, json=body, headers=VERSION_HEADERS
        )
    except httpx.TransportError as exc:
        raise AuthError(
            QCoreApplication.translate("auth", "Server unreachable: %1").replace(
                "%1", str(exc) or type(exc).__name__
            )
        ) from exc
    if response.status_code >= 400:
        raise AuthError(server_message(response))
    try:
        return EnrollResponse.model_validate_json(response.content)
    except ValidationError as exc:
        raise AuthError(
            QCoreApplication.translate("auth", "Unexpected answer from the server.")
        ) from exc


class BadgeAuthenticator:
    """Asks the server about a badge; thread-safe (call it off the GUI thread)."""

    def __init__(
        self,
        client: httpx.Client,
        server_url: Callable[[], str],
        token: Callable[[], str | None],
    ) -> None:
        self._client = client
        self._server_url = server_url
        self._token = token

    def remote_login(self, code: str, pin: str | None = None) -> Session | None:
        """The server's verdict: a Session, ``AuthError`` (final), or None when the
        server cannot decide (unreachable, 5xx, not enrolled): check the mirror then."""
        token = self._token()
        if token is None:
            return None
        try:
            body = BadgeLoginRequest(badge_code=code.strip(), pin=pin).model_dump(mode="json")
        except ValidationError as exc:
            raise AuthError(QCoreApplication.translate("auth", "Badge not recognised.")) from exc
        try:
            response = self._client.post(
                self._server_url().rstrip("/") + BADGE_LOGIN_PATH,
                json=body,
                headers={"Authorization": f"Bearer {token}", **VERSION_HEADERS},
                timeout=LOGIN_TIMEOUT_S,
            )
        except httpx.TransportError:
            return None
        status = response.status_code
        if status == 200:
            try:
                answer = LoginResponse.model_validate_json(response.content)
            except ValidationError:
                return None
            user = answer.user
            return Session(str(user.id), user.name, tuple(user.roles), False, answer.access_token)
        if status == 429:
            wait = response.headers.get("Retry-After", "?")
            raise AuthError(
                QCoreApplication.translate("auth", "Too many attempts: try again in %1 s.").replace(
                    "%1", wait
                )
            )
        if status in (401, 403, 422):
            raise AuthError(
                QCoreApplication.translate("auth", "Badge not recognised.")
            )  # final: no offline second chance
        # 5xx, or a server without this route yet (404/405): decide from the mirror.
        return None


def offline_login(store: LocalStore, code: str) -> Session:
    """Check a badge against the mirrored keyed hashes (shared.badges)."""
    key = store.badge_hash_key()
    if key is None:
        raise AuthError(
            QCoreApplication.translate("auth", "No reference data yet — connect to the server.")
        )
    badge = store.find_badge(badge_hash(key, code))
    if badge is None:
        raise AuthError(QCoreApplication.translate("auth", "Badge not recognised."))
    return Session(badge.user_id, badge.name, badge.roles, offline=True)
