"""Console fixtures: the app with a logged-in browser per role (plain HTTP, TestClient).

The browser suite (``test_browser.py``) drives real Chromium against a live server;
everything that needs no browser is checked here over HTTP, which is far cheaper.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from server.db import transaction
from server.identity import service as identity
from server.identity.models import Role

PASSWORD = "correct horse battery staple"
ROLES = [role.value for role in Role]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def make_user(session_factory, role: str | None, *, email: str | None = None) -> dict:
    email = email or f"{role or 'nobody'}@console.test"
    with transaction(session_factory) as session:
        user = identity.create_user(
            session=session,
            name=f"{(role or 'nobody').title()} Tester",
            email=email,
            password=PASSWORD,
            roles=[Role(role)] if role else [],
        )
        return {"id": user.id, "email": email, "role": role}


def log_in(client: TestClient, email: str, password: str = PASSWORD, **headers):
    page = client.get("/console/login", headers=headers)
    assert page.status_code == 200, page.text
    return client.post(
        "/console/login",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "next": "/console/",
        },
        headers=headers,
        follow_redirects=False,
    )


@pytest.fixture
def browser_for(app, session_factory):
    """``browser_for("admin")`` → a TestClient logged in as a new user with that role."""
    clients: list[TestClient] = []

    def make(role: str | None, **client_kwargs) -> TestClient:
        user = make_user(session_factory, role)
        client = TestClient(app, raise_server_exceptions=False, **client_kwargs)
        client.__enter__()
        clients.append(client)
        answer = log_in(client, user["email"])
        assert answer.status_code == 303, answer.text
        client.user = user
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def post_form(
    client: TestClient, url: str, data: dict | None = None, *, page: str | None = None, **kwargs
):
    """A form POST with the session's CSRF token (read from ``page``, default the start
    page)."""
    html = client.get(page or "/console/").text
    return client.post(
        url, data={**(data or {}), "csrf_token": csrf_of(html)}, follow_redirects=False, **kwargs
    )
