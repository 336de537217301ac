"""Rotating refresh tokens: one use each; reuse revokes the whole family; logout."""

from tests.server.identity.conftest import bearer

PASSWORD = "correct horse battery"


def _login(client, make_user, email="r@example.nl"):
    make_user(email=email, password=PASSWORD, roles=("planner",))
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()


def _refresh(client, token):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates(client, make_user):
    first = _login(client, make_user)
    second = _refresh(client, first["refresh_token"])
    assert second.status_code == 200
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(body["access_token"])).status_code == 200
    assert _refresh(client, body["refresh_token"]).status_code == 200


def test_reuse_revokes_the_whole_family(client, make_user, admin_headers):
    first = _login(client, make_user)
    second = _refresh(client, first["refresh_token"]).json()
    reuse = _refresh(client, first["refresh_token"])  # the old one again: stolen?
    assert reuse.status_code == 401
    # The legitimate holder's newer token died with the family.
    assert _refresh(client, second["refresh_token"]).status_code == 401
    events = client.get(
        "/api/v1/audit", params={"action": "auth.token_reuse"}, headers=admin_headers
    ).json()
    assert events["total"] == 1
    assert events["items"][0]["target_id"] == first["user"]["id"]


def test_other_sessions_survive_a_reuse(client, make_user):
    first = _login(client, make_user)
    other = client.post(
        "/api/v1/auth/login", json={"email": "r@example.nl", "password": PASSWORD}
    ).json()
    _refresh(client, first["refresh_token"])
    _refresh(client, first["refresh_token"])
    assert _refresh(client, other["refresh_token"]).status_code == 200


def test_unknown_refresh_token(client):
    assert _refresh(client, "rgrt_" + "x" * 40).status_code == 401
    assert _refresh(client, "short").status_code == 422


def test_logout_ends_this_session_or_all(client, make_user):
    a = _login(client, make_user)
    b = client.post(
        "/api/v1/auth/login", json={"email": "r@example.nl", "password": PASSWORD}
    ).json()
    out = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": a["refresh_token"]},
        headers=bearer(a["access_token"]),
    )
    assert out.status_code == 200 and out.json()["revoked"] == 1
    assert _refresh(client, a["refresh_token"]).status_code == 401
    b2 = _refresh(client, b["refresh_token"]).json()
    out = client.post(
        "/api/v1/auth/logout", json={"everywhere": True}, headers=bearer(b2["access_token"])
    )
    assert out.json()["revoked"] >= 1
    assert _refresh(client, b2["refresh_token"]).status_code == 401


def test_logout_cannot_touch_someone_elses_session(client, make_user):
    mine = _login(client, make_user, "mine@example.nl")
    theirs = _login(client, make_user, "theirs@example.nl")
    out = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": theirs["refresh_token"]},
        headers=bearer(mine["access_token"]),
    )
    assert out.json()["revoked"] == 0
    assert _refresh(client, theirs["refresh_token"]).status_code == 200


def test_deactivation_revokes_refresh_tokens_and_access(client, make_user, admin_headers):
    session = _login(client, make_user)
    user_id = session["user"]["id"]
    client.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=admin_headers)
    assert _refresh(client, session["refresh_token"]).status_code == 401
    me = client.get("/api/v1/me", headers=bearer(session["access_token"]))
    assert me.status_code == 401


def test_badge_session_refresh_dies_with_its_station(client, station_headers, demo, admin_headers):
    login = client.post(
        "/api/v1/auth/badge", json={"badge_code": demo["badge_code"]}, headers=station_headers
    ).json()
    assert _refresh(client, login["refresh_token"]).status_code == 200
    refreshed = _refresh(client, login["refresh_token"])  # reuse: family gone anyway
    assert refreshed.status_code == 401
    again = client.post(
        "/api/v1/auth/badge", json={"badge_code": demo["badge_code"]}, headers=station_headers
    ).json()
    client.post(f"/api/v1/stations/{demo['station_id']}/revoke", headers=admin_headers)
    assert _refresh(client, again["refresh_token"]).status_code == 401


def test_concurrent_refresh_with_one_token_is_one_rotation_then_reuse(client, make_user):
    """Two racing refreshes of one token: at most one wins, and the loser's replay kills
    the family (row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    first = _login(client, make_user)
    barrier = Barrier(2)

    def race():
        barrier.wait()
        return _refresh(client, first["refresh_token"])

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: race(), range(2)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 401]
    winner = next(a for a in answers if a.status_code == 200).json()
    assert _refresh(client, winner["refresh_token"]).status_code == 401  # family revoked
