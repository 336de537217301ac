"""Defect 11: ending a login session ends its access tokens at once, not 15 minutes later:
logout, logout everywhere, refresh-token reuse, deactivation and role changes. The state
is in the database, so every worker process (here: a second app) sees it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from tests.server.identity.conftest import bearer

PASSWORD = "correct horse battery"


@pytest.fixture
def person(make_user):
    return make_user(email="kees@example.nl", password=PASSWORD, roles=("planner",))


def _login(client) -> dict:
    response = client.post(
        "/api/v1/auth/login", json={"email": "kees@example.nl", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _works(client, grant: dict) -> bool:
    status = client.get("/api/v1/me", headers=bearer(grant["access_token"])).status_code
    assert status in (200, 401)
    return status == 200


def test_logout_ends_that_sessions_access_token_only(client, person):
    first, second = _login(client), _login(client)
    assert _works(client, first) and _works(client, second)
    out = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": first["refresh_token"]},
        headers=bearer(first["access_token"]),
    )
    assert out.status_code == 200 and out.json()["revoked"] == 1
    assert not _works(client, first)
    assert _works(client, second)


def test_logout_everywhere_ends_every_session(client, person):
    grants = [_login(client) for _ in range(3)]
    out = client.post(
        "/api/v1/auth/logout", json={"everywhere": True}, headers=bearer(grants[0]["access_token"])
    )
    assert out.status_code == 200
    assert [_works(client, g) for g in grants] == [False, False, False]


def test_refresh_token_reuse_ends_the_family_access_tokens(client, person):
    login = _login(client)
    rotated = client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert rotated.status_code == 200
    rotated = rotated.json()
    assert _works(client, login) and _works(client, rotated)
    # The first refresh token again: a thief or a replay. The whole family is revoked...
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert reuse.status_code == 401
    # ...and so are the access tokens issued in it, old and new.
    assert not _works(client, login) and not _works(client, rotated)


def test_deactivation_ends_sessions_for_good(client, person, admin_headers):
    grant = _login(client)
    assert client.delete(f"/api/v1/users/{person}", headers=admin_headers).status_code in (
        200,
        204,
    )
    assert not _works(client, grant)
    reactivated = client.patch(
        f"/api/v1/users/{person}", json={"active": True}, headers=admin_headers
    )
    assert reactivated.status_code == 200
    assert not _works(client, grant)  # the old session stays ended: log in again
    assert _works(client, _login(client))


def test_a_role_change_ends_sessions(client, person, admin_headers):
    grant = _login(client)
    changed = client.patch(
        f"/api/v1/users/{person}", json={"roles": ["crew"]}, headers=admin_headers
    )
    assert changed.status_code == 200
    assert not _works(client, grant)
    assert _works(client, _login(client))


def test_revocation_reaches_every_worker(settings, client, person):
    """Two apps on one database, as two ``serve`` worker processes are."""
    grant = _login(client)
    with TestClient(create_app(settings)) as other_worker:
        assert _works(other_worker, grant)
        client.post(
            "/api/v1/auth/logout",
            json={"refresh_token": grant["refresh_token"]},
            headers=bearer(grant["access_token"]),
        )
        assert not _works(other_worker, grant)
