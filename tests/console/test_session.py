"""Console login, session cookie, logout, CSRF, throttling: the API's identity rules."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.console.models import ConsoleSession
from tests.console.conftest import PASSWORD, csrf_of, log_in, make_user, post_form


def _audit(session_factory, action: str) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_it_at_once(client, session_factory):
    user = make_user(session_factory, "admin")
    answer = log_in(client, user["email"])
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    cookie = answer.headers["set-cookie"]
    assert "rg_console=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/console" in cookie and "Secure" not in cookie  # plain HTTP here
    stolen = client.cookies.get("rg_console")
    with session_factory() as session:
        row = session.scalar(select(ConsoleSession))
        assert row.token_hash != stolen and len(row.token_hash) == 64  # only a hash stored
    assert client.get("/console/board").status_code == 200
    assert [e.outcome for e in _audit(session_factory, "auth.login")] == ["ok"]

    answer = post_form(client, "/console/logout")
    assert answer.status_code == 303 and "rg_console=" in answer.headers["set-cookie"]
    # The old cookie, replayed, is dead: the session and its login were revoked.
    replay = TestClient(client.app, cookies={"rg_console": stolen})
    page = replay.get("/console/board", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    assert len(_audit(session_factory, "auth.logout")) == 1


def test_cookie_is_secure_over_https(app, session_factory):
    user = make_user(session_factory, "admin")
    with TestClient(app, base_url="https://testserver") as client:
        answer = log_in(client, user["email"])
        assert "Secure" in answer.headers["set-cookie"]


def test_a_page_without_session_goes_to_login_and_back(client, session_factory):
    page = client.get("/console/stations?page=2", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=%2Fconsole%2Fstations%3Fpage%3D2"
    user = make_user(session_factory, "admin")
    form = client.get(page.headers["location"])
    answer = client.post(
        "/console/login",
        data={
            "email": user["email"],
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/console/stations?page=2",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console/stations?page=2"


def test_next_never_leaves_the_console(client, session_factory):
    user = make_user(session_factory, "admin")
    form = client.get("/console/login")
    answer = client.post(
        "/console/login",
        data={
            "email": user["email"],
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/console/"


def test_wrong_password_is_one_message_counted_audited_then_locked(client, session_factory):
    user = make_user(session_factory, "admin")
    for _ in range(5):
        answer = log_in(client, user["email"], "wrong password")
        assert answer.status_code == 401
        assert "Onjuist e-mailadres of wachtwoord." in answer.text
        assert "rg_console=" not in answer.headers.get("set-cookie", "")
    locked = log_in(client, user["email"], PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    outcomes = [e.outcome for e in _audit(session_factory, "auth.login")]
    assert outcomes.count("failed") == 5
    unknown = log_in(client, "nobody@console.test", "x", **{"Accept-Language": "en"})
    assert unknown.status_code == 401 and "Wrong e-mail or password." in unknown.text


def test_empty_fields_get_their_error_next_to_them(client):
    page = client.get("/console/login")
    answer = client.post(
        "/console/login", data={"csrf_token": csrf_of(page.text)}, headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 400
    assert 'id="f-email-error"' in answer.text and 'id="f-password-error"' in answer.text
    assert "This field is required." in answer.text


def test_login_form_needs_its_own_csrf_token(client, session_factory):
    user = make_user(session_factory, "admin")
    answer = client.post(
        "/console/login",
        data={"email": user["email"], "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "rg_console=" not in answer.headers.get("set-cookie", "")


def test_state_changing_requests_without_csrf_token_are_refused(browser_for, session_factory):
    admin = browser_for("admin")
    for data, headers in (({}, {}), ({"csrf_token": "forged"}, {}), ({}, {"X-CSRF-Token": "x"})):
        answer = admin.post(
            "/console/stations/enrollments", data={"name": "K9", **data}, headers=headers
        )
        assert answer.status_code == 403, answer.text
        assert "text/html" in answer.headers["content-type"]
    assert _audit(session_factory, "station.enrollment_created") == []
    # htmx sends the token as a header: accepted.
    token = csrf_of(admin.get("/console/stations").text)
    answer = admin.post(
        "/console/stations/enrollments", data={"name": "K9"}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 201


def test_a_role_change_ends_the_console_session(browser_for, session_factory):
    from server.identity import service as identity
    from server.identity.models import Role

    planner = browser_for("planner")
    assert planner.get("/console/projects").status_code == 200
    with session_factory() as session, session.begin():
        user = identity.require_user(session=session, user_id=planner.user["id"])
        identity.set_roles(session=session, user=user, roles=[Role.WAREHOUSE])
    page = planner.get("/console/projects", follow_redirects=False)
    assert page.status_code == 303 and "/console/login" in page.headers["location"]


def test_pages_carry_a_strict_content_security_policy(browser_for):
    admin = browser_for("admin")
    page = admin.get("/console/board")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text  # nothing inline
