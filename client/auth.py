"""Station enrolment and badge login, the kiosk side of shared.auth.

Badge login asks the server first (it knows about a badge revoked a minute ago); only when
the server cannot be reached does the kiosk check the badge against its mirror, and that
session is marked offline. A server that answers "wrong badge" is final: the kiosk never
falls back to its possibly stale mirror to let that badge in anyway.

A PIN is asked whenever the badge may have one (``PinRequired``): online when the server
answers ``pin_required`` (it answers that for an unknown badge too), offline when the code
alone opens no entry of the mirror (an entry of a user with a PIN joins code and PIN, so
the code alone cannot be looked up). Offline failures are counted per badge in the local
store (``OFFLINE_LOCK``): a restart does not reset them. docs/identity.md has the design.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication

from client.api import ServerApi, ServerUnreachable, error_code, server_message
from client.store import LocalStore
from shared.auth import BadgeLoginRequest, EnrollRequest, EnrollResponse, LoginResponse
from shared.badges import (
    VerifierCost,
    badge_hash,
    failure_bucket,
    is_signed_code,
    issued_code_ok,
    looks_issued,
    offline_verifier,
    pin_join,
    public_key_from_hex,
    verify_signed_badge,
)

ENROLL_PATH = "/api/v1/stations/enroll"
BADGE_LOGIN_PATH = "/api/v1/auth/badge"
# Named in each uploaded offline login (shared.protocol.OfflineLoginIn.verifier): which
# check the kiosk trusted. Bump the version when an offline verification changes.
SIGNED_VERIFIER = "signed-ed25519-v1"  # a signed QR badge, by the public key alone
SIGNED_PIN_VERIFIER = "signed-ed25519-pin-v1"  # ... and the PIN with the code
CODE_VERIFIER = "scrypt-station-v1"  # the code against the station's slow verifier
CODE_PIN_VERIFIER = "scrypt-station-pin-v1"  # code and PIN together
LOGIN_TIMEOUT_S = 3.0  # an operator waits for this at most before the offline check


@dataclass(frozen=True)
class LockPolicy:
    """Offline lock-out per badge: like the server's (server.identity.throttle.ACCOUNT)."""

    threshold: int = 5
    first_lock: timedelta = timedelta(seconds=30)  # doubled per further failure...
    max_lock: timedelta = timedelta(minutes=15)  # ...up to this
    forget_after: timedelta = timedelta(hours=1)

    def lock_for(self, failures: int) -> timedelta | None:
        if failures < self.threshold:
            return None
        return min(self.first_lock * 2 ** min(failures - self.threshold, 20), self.max_lock)


OFFLINE_LOCK = LockPolicy()


class AuthError(Exception):
    """Login or enrolment failed; ``str()`` is the message for the operator."""


class PinRequired(AuthError):
    """Ask the operator for the PIN, then try the same badge again with it."""


@dataclass(frozen=True)
class Session:
    user_id: str
    name: str
    roles: tuple[str, ...]
    offline: bool = False  # checked against the mirror, not by the server
    access_token: str | None = None
    pin_checked: bool = False  # offline: the PIN was part of the check
    # The login every scan names (issue 15): the server's session id for an online login,
    # the kiosk's own UUIDv7 for an offline one (set when the controller records it).
    login_session_id: str | None = None
    verifier: str | None = None  # offline: how the badge was checked (a *_VERIFIER above)

    @property
    def is_admin(self) -> bool:
        # Offline, admin powers (settings, leaving kiosk mode) need badge + PIN.
        return "admin" in self.roles and (not self.offline or self.pin_checked)


def _not_recognised() -> str:
    return QCoreApplication.translate("auth", "Badge or PIN not recognised.")


def enroll(api: ServerApi, code: str, name: str | None = None) -> EnrollResponse:
    """Exchange a one-time enrolment code for a station token at ``api``'s server (the
    caller stores the token)."""
    try:
        body = EnrollRequest(code=code.strip(), name=name or None).model_dump(mode="json")
    except ValidationError as exc:
        raise AuthError(
            QCoreApplication.translate("auth", "The enrolment code must be 6 to 64 characters.")
        ) from exc
    try:
        response = api.request("POST", ENROLL_PATH, json=body)
    except ServerUnreachable as exc:
        raise AuthError(
            QCoreApplication.translate("auth", "Server unreachable: %1").replace("%1", exc.detail)
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

    def __init__(self, api: ServerApi) -> None:
        self._api = api

    def remote_login(self, code: str, pin: str | None = None) -> Session | None:
        """The server's verdict: a Session, ``AuthError`` (final), or None when the
        server cannot decide (unreachable, 5xx, not enrolled): check the mirror then."""
        token = self._api.station_token()
        if token is None:
            return None
        try:
            body = BadgeLoginRequest(badge_code=code.strip(), pin=pin).model_dump(mode="json")
        except ValidationError as exc:
            raise AuthError(QCoreApplication.translate("auth", "Badge not recognised.")) from exc
        try:
            response = self._api.request(
                "POST", BADGE_LOGIN_PATH, token=token, json=body, timeout=LOGIN_TIMEOUT_S
            )
        except ServerUnreachable:
            return None
        status = response.status_code
        if status == 200:
            try:
                answer = LoginResponse.model_validate_json(response.content)
            except ValidationError:
                return None
            user = answer.user
            session_id = answer.login_session_id
            return Session(
                str(user.id),
                user.name,
                tuple(user.roles),
                False,
                answer.access_token,
                login_session_id=str(session_id) if session_id else None,
            )
        if status == 429:
            wait = response.headers.get("Retry-After", "?")
            raise AuthError(
                QCoreApplication.translate("auth", "Too many attempts: try again in %1 s.").replace(
                    "%1", wait
                )
            )
        code_ = error_code(response)
        if status == 401 and code_ == "pin_required" and pin is None:
            raise PinRequired(QCoreApplication.translate("auth", "Enter your PIN."))
        if status == 403 and code_ == "badge_needs_pin":
            raise AuthError(
                QCoreApplication.translate(
                    "auth", "This badge needs a PIN: ask an admin to set one."
                )
            )
        if status in (401, 403, 422):
            # final: no offline second chance
            raise AuthError(
                _not_recognised()
                if pin is not None
                else QCoreApplication.translate("auth", "Badge not recognised.")
            )
        # 5xx, or a server without this route yet (404/405): decide from the mirror.
        return None


def offline_login(store: LocalStore, code: str, pin: str | None = None) -> Session:
    """Check a badge (+ PIN) against this station's mirror: its signed-badge list or its
    slow, salted verifiers (shared.badges). Raises ``PinRequired`` when the code alone opens
    no entry; counts failures per badge and refuses while that badge is locked."""
    key, auth = store.badge_hash_key(), store.badge_auth()
    if key is None or auth is None:
        raise AuthError(
            QCoreApplication.translate("auth", "No reference data yet — connect to the server.")
        )
    if looks_issued(code) and not issued_code_ok(code):
        # A misread (the check character does not match): not a guess, not counted.
        raise AuthError(QCoreApplication.translate("auth", "Badge misread: scan it again."))
    h1 = badge_hash(key, code)
    salt = bytes.fromhex(auth.salt)
    cost = VerifierCost(auth.scrypt_n, auth.scrypt_r, auth.scrypt_p)
    signed = None
    if is_signed_code(code):
        signed = verify_signed_badge(public_key_from_hex(auth.public_key), code)
        record = store.signed_badge(str(signed.badge_id)) if signed else None
        if (
            signed is None
            or record is None
            or record.revoked
            or record.user_id != str(signed.user_id)
        ):
            raise AuthError(QCoreApplication.translate("auth", "Badge not recognised."))
        if not record.pin:
            return Session(
                record.user_id, record.name, record.roles, offline=True, verifier=SIGNED_VERIFIER
            )
    code_verifier = offline_verifier(h1, None, salt, cost)
    bucket = failure_bucket(salt, code_verifier)
    wait = store.badge_locked_for(bucket)
    if wait > 0:
        raise AuthError(
            QCoreApplication.translate("auth", "Too many attempts: try again in %1 s.").replace(
                "%1", str(int(wait) + 1)
            )
        )
    if pin is None:
        badge = store.find_badge(code_verifier, pin=False) if signed is None else None
        if badge is not None:
            return Session(
                badge.user_id, badge.name, badge.roles, offline=True, verifier=CODE_VERIFIER
            )
        # No code-only entry: a PIN user's badge, or no badge at all. Ask either way.
        raise PinRequired(QCoreApplication.translate("auth", "Enter your PIN."))
    join = pin_join(bytes.fromhex(auth.pin_key), pin)
    badge = store.find_badge(offline_verifier(h1, join, salt, cost), pin=True)
    if badge is None or (signed is not None and badge.badge_id != str(signed.badge_id)):
        store.record_badge_failure(bucket, OFFLINE_LOCK.lock_for, OFFLINE_LOCK.forget_after)
        raise AuthError(_not_recognised())
    store.clear_badge_failures(bucket)
    verifier = CODE_PIN_VERIFIER if signed is None else SIGNED_PIN_VERIFIER
    return Session(
        badge.user_id, badge.name, badge.roles, offline=True, pin_checked=True, verifier=verifier
    )
