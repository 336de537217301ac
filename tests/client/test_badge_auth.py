"""Badge login online first, offline from the mirror; station enrolment (shared.auth)."""

from __future__ import annotations

import json
import stat

import httpx
import pytest

from client.api import ServerApi
from client.auth import (
    BADGE_LOGIN_PATH,
    ENROLL_PATH,
    AuthError,
    BadgeAuthenticator,
    enroll,
)
from client.controller import ScanController
from tests.helpers.server_version import current_server

TOKEN = "station-token-1"


class AuthServer:
    """Follows shared.auth: badge login with the station token, enrolment with a code."""

    def __init__(self, demo) -> None:
        self.demo = demo
        self.requests: list[httpx.Request] = []
        self.badges = {
            demo.badge_code: ("Sanne de Vries", ["warehouse"]),
            "ADMIN-1": ("Ad", ["admin"]),
        }
        self.pins = {"ADMIN-1": "1234"}
        self.down = False
        self.status: int | None = None  # force an answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("no route to host", request=request)
        if self.status is not None:
            return httpx.Response(self.status, headers={"Retry-After": "30"}, json={})
        body = json.loads(request.content)
        if request.url.path == ENROLL_PATH:
            if body["code"] != "ENROL-123456":
                return httpx.Response(
                    400, json={"error": {"code": "bad_code", "message": "unknown or used code"}}
                )
            return httpx.Response(
                200,
                json={
                    "station_id": str(self.demo.station_id),
                    "name": body.get("name") or "S1",
                    "token": "new-station-token",
                },
            )
        if request.url.path == BADGE_LOGIN_PATH:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "x"}})
            user = self.badges.get(body["badge_code"])
            pin = self.pins.get(body["badge_code"])
            if body.get("pin") is None and (user is None or pin is not None):
                # shared.auth: a PIN badge and an unknown badge answer the same
                return httpx.Response(
                    401, json={"error": {"code": "pin_required", "message": "enter the PIN"}}
                )
            if user is None or pin != body.get("pin"):
                return httpx.Response(
                    401, json={"error": {"code": "bad_login", "message": "wrong badge or PIN"}}
                )
            return httpx.Response(
                200,
                json={
                    "access_token": "jwt",
                    "expires_in": 900,
                    "refresh_token": "refresh-token-1",
                    "user": {"id": str(self.demo.user_id), "name": user[0], "roles": user[1]},
                },
            )
        return httpx.Response(404)


@pytest.fixture
def server(demo):
    return AuthServer(demo)


@pytest.fixture
def http(server):
    client = httpx.Client(transport=current_server(server))
    yield client
    client.close()


@pytest.fixture
def controller(qapp, mirrored_store, http):
    auth = BadgeAuthenticator(ServerApi("http://srv.test", lambda: TOKEN, http))
    return ScanController(mirrored_store, authenticator=auth)


def login(qtbot, controller, code):
    """Log in and wait for the answer; returns (session or None, error message or None)."""
    with qtbot.waitCallback(timeout=5000) as done:
        controller.logged_in.connect(lambda s: done(("in", s)))
        controller.login_failed.connect(lambda m: done(("failed", m)))
        controller.login_badge(code)
    return done.args[0]


def login_pin(qtbot, controller, pin):
    """Enter the PIN the controller asked for; returns like ``login``."""
    with qtbot.waitCallback(timeout=5000) as done:
        controller.logged_in.connect(lambda s: done(("in", s)))
        controller.login_failed.connect(lambda m: done(("failed", m)))
        controller.enter_pin(pin)
    return done.args[0]


def test_online_login_asks_the_server_with_the_station_token(qtbot, controller, server, demo):
    kind, session = login(qtbot, controller, demo.badge_code)
    assert kind == "in" and not session.offline and session.access_token == "jwt"
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {"badge_code": demo.badge_code, "pin": None}


def test_unreachable_server_falls_back_to_the_mirror_and_marks_it_offline(
    qtbot, controller, server, demo
):
    server.down = True
    kind, session = login(qtbot, controller, demo.badge_code)
    assert kind == "in" and session.offline and session.name == "Sanne de Vries"
    assert controller.session.offline


def test_a_server_error_also_falls_back(qtbot, controller, server, demo):
    server.status = 503
    kind, session = login(qtbot, controller, demo.badge_code)
    assert kind == "in" and session.offline


def test_a_badge_the_server_refuses_is_not_let_in_offline(qtbot, controller, server, demo):
    server.badges.pop(demo.badge_code)  # revoked on the server, still in the stale mirror
    # The server answers a revoked badge like an unknown one: "pin_required" (issue 15)...
    with qtbot.waitSignal(controller.pin_needed, timeout=5000):
        controller.login_badge(demo.badge_code)
    # ...and then refuses it: final, the stale mirror is not asked.
    kind, message = login_pin(qtbot, controller, "0000")
    assert kind == "failed" and "not recognised" in message
    assert controller.session is None


def test_too_many_attempts_says_when_to_retry(qtbot, controller, server, demo):
    server.status = 429
    kind, message = login(qtbot, controller, demo.badge_code)
    assert kind == "failed" and "30" in message


def test_an_unknown_badge_offline_is_refused(qtbot, controller, server):
    """Offline an unknown code asks for a PIN first (as a PIN badge would: no enumeration),
    then is refused."""
    server.down = True
    with qtbot.waitSignal(controller.pin_needed, timeout=5000):
        controller.login_badge("BADGE-9999")
    with qtbot.waitSignal(controller.login_failed, timeout=5000) as failed:
        controller.enter_pin("1234")
    assert "not recognised" in failed.args[0]


def test_admin_gate_accepts_only_admin_roles(qtbot, controller, server):
    with qtbot.waitSignal(controller.admin_refused, timeout=5000):
        controller.check_admin_badge("BADGE-0042")
    with qtbot.waitSignal(controller.pin_needed, timeout=5000):
        controller.check_admin_badge("ADMIN-1")
    with qtbot.waitSignal(controller.admin_badge, timeout=5000) as admin:
        controller.enter_pin("1234")
    assert admin.args[0].is_admin


def test_enrolment_stores_the_token_readable_by_this_user_only(http, server, kiosk_config):
    answer = enroll(ServerApi("http://srv.test/", http_client=http), "ENROL-123456", "Balie 1")
    assert answer.token == "new-station-token" and answer.name == "Balie 1"
    kiosk_config.write_station_token(answer.token)
    assert kiosk_config.read_station_token() == "new-station-token"
    mode = stat.S_IMODE(kiosk_config.station_token_file.stat().st_mode)
    assert mode == 0o600
    assert server.requests[0].url.path == ENROLL_PATH
    assert "authorization" not in server.requests[0].headers  # the code is the credential


def test_enrolment_errors_are_readable(http, server):
    with pytest.raises(AuthError, match="unknown or used code"):
        enroll(ServerApi("http://srv.test", http_client=http), "WRONG-CODE")
    with pytest.raises(AuthError, match="6 to 64"):
        enroll(ServerApi("http://srv.test", http_client=http), "abc")
    server.down = True
    with pytest.raises(AuthError, match="unreachable"):
        enroll(ServerApi("http://srv.test", http_client=http), "ENROL-123456")
