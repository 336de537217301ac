"""Badge login at a station: badge + PIN, station token required, lock-out without leaks."""

import pytest

from server.identity import throttle
from tests.server.identity.conftest import bearer


def _badge(client, headers, code, pin=None):
    body = {"badge_code": code} if pin is None else {"badge_code": code, "pin": pin}
    return client.post("/api/v1/auth/badge", json=body, headers=headers)


def test_demo_badge_logs_in_at_the_station(client, station_headers, demo):
    response = _badge(client, station_headers, demo["badge_code"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == demo["crew_user_id"]
    assert set(body["user"]["roles"]) == {"crew", "warehouse"}
    me = client.get("/api/v1/me", headers=bearer(body["access_token"])).json()
    assert me["station_id"] == demo["station_id"]  # the session remembers its kiosk


def test_demo_admin_badge_opens_the_kiosk_settings(
    client, station_headers, demo, session_factory, settings
):
    """The demo's admin badge (issue 17; issue 15: a strong issued code + a PIN): an admin
    at the station and in the kiosks' offline list (joined with the PIN); a re-run of
    seed-demo replaces it and the old one stops working."""
    from server.db import transaction
    from server.demo import seed_demo
    from shared.badges import issued_code_ok

    assert issued_code_ok(demo["admin_badge_code"])
    response = _badge(client, station_headers, demo["admin_badge_code"], pin=demo["admin_pin"])
    assert response.status_code == 200, response.text
    assert "admin" in response.json()["user"]["roles"]
    reference = client.get("/api/v1/sync/reference", headers=station_headers).json()
    entries = {b["name"]: b for b in reference["badges"]}
    assert "admin" in entries["Demo Admin"]["roles"] and entries["Demo Admin"]["pin"]

    with transaction(session_factory) as session:
        again = seed_demo(session=session, settings=settings)
    assert again["admin_badge_code"] != demo["admin_badge_code"]
    headers = {"Authorization": f"Bearer {again['station_token']}"}
    old = _badge(client, headers, demo["admin_badge_code"], pin=again["admin_pin"])
    assert old.status_code == 401
    new = _badge(client, headers, again["admin_badge_code"], pin=again["admin_pin"])
    assert new.status_code == 200


def test_badge_login_needs_a_station_token(client, demo, user_headers):
    assert _badge(client, {}, demo["badge_code"]).status_code == 401
    # A user's access token is not a station token.
    assert _badge(client, user_headers("admin"), demo["badge_code"]).status_code == 401


def test_pin_is_required_where_set(client, station_headers, make_user):
    """Issue 15: without a PIN, a PIN badge and an unknown badge both answer 401
    ``pin_required`` (the kiosk then asks for a PIN); with a PIN, a wrong one and an unknown
    badge answer the same 401."""
    make_user(name="Piet", badge="BADGE-PIN-1", pin="4321")
    missing = _badge(client, station_headers, "BADGE-PIN-1")
    unknown_no_pin = _badge(client, station_headers, "BADGE-NOPE")
    wrong = _badge(client, station_headers, "BADGE-PIN-1", pin="0000")
    unknown = _badge(client, station_headers, "BADGE-NOPE", pin="0000")
    assert {r.status_code for r in (missing, unknown_no_pin, wrong, unknown)} == {401}
    assert missing.json()["error"] == {**unknown_no_pin.json()["error"]}
    assert missing.json()["error"]["code"] == "pin_required"
    assert wrong.json()["error"] == unknown.json()["error"]
    assert wrong.json()["error"]["code"] != "pin_required"
    assert _badge(client, station_headers, " BADGE-PIN-1 ", pin="4321").status_code == 200


def test_badge_lockout_is_per_badge_and_looks_the_same_for_unknown(
    client, station_headers, make_user
):
    make_user(badge="BADGE-LOCK", pin="1234")
    for code in ("BADGE-LOCK", "BADGE-GHOST"):
        for _ in range(throttle.ACCOUNT.threshold):
            assert _badge(client, station_headers, code, pin="9999").status_code == 401
        locked = _badge(client, station_headers, code, pin="1234")
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1


def test_station_is_throttled_after_many_badge_failures(client, station_headers, demo):
    for n in range(throttle.SOURCE.threshold):
        _badge(client, station_headers, f"RANDOM-{n}")
    assert _badge(client, station_headers, demo["badge_code"]).status_code == 429


def test_revoked_badge_and_deactivated_user_cannot_log_in(
    client, station_headers, make_user, admin_headers
):
    user_id = make_user(badge="BADGE-R1")
    badges = client.get(
        "/api/v1/badges", params={"user_id": str(user_id)}, headers=admin_headers
    ).json()
    [badge] = badges["items"]
    assert _badge(client, station_headers, "BADGE-R1").status_code == 200
    client.post(f"/api/v1/badges/{badge['id']}/revoke", headers=admin_headers)
    assert _badge(client, station_headers, "BADGE-R1").status_code == 401  # at once

    other = make_user(badge="BADGE-R2")
    assert _badge(client, station_headers, "BADGE-R2").status_code == 200
    client.patch(f"/api/v1/users/{other}", json={"active": False}, headers=admin_headers)
    assert _badge(client, station_headers, "BADGE-R2").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"badge_code": ""},
        {"badge_code": "X" * 300},
        {"badge_code": "B", "pin": "12ab"},
        {"badge_code": "B", "pin": 1234},
        {"badge_code": ["B"]},
    ],
)
def test_bad_badge_bodies_are_422(client, station_headers, body):
    response = client.post("/api/v1/auth/badge", json=body, headers=station_headers)
    assert response.status_code == 422
