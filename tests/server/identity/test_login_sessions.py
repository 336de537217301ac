"""Scans bound to a real login (issue 15): online badge sessions, uploaded offline logins,
conflicts for scans no login backs, the audit trail, revoked stations and lost badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.db import transaction
from server.identity import service as identity
from shared.ids import uuid7
from tests.helpers.scans import ScanFactory


@pytest.fixture
def upload(client, station_headers):
    def upload(*scans: dict, logins: list[dict] | None = None, headers=None) -> dict:
        body: dict = {"scans": list(scans)}
        if logins is not None:
            body["logins"] = logins
        response = client.post("/api/v1/scans/batch", json=body, headers=headers or station_headers)
        assert response.status_code == 200, response.text
        return response.json()

    return upload


@pytest.fixture
def stranger(make_user):
    """A crew member with a badge who has never logged in anywhere."""
    return str(make_user(name="Piet Stranger", badge="BADGE-STRANGER-1"))


def _factory(demo, user_id: str, login: str | None) -> ScanFactory:
    factory = ScanFactory(demo["station_id"], user_id, demo["project_id"])
    if login is not None:
        original = factory.scan
        factory.scan = lambda code, mode="out", **kw: original(  # type: ignore[method-assign]
            code, mode, login_session_id=login, **kw
        )
    return factory


def _offline_login(demo, user_id: str, minutes_ago: int = 5) -> dict:
    return {
        "login_id": str(uuid7()),
        "station_id": demo["station_id"],
        "user_id": user_id,
        "logged_in_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "verifier": "mirror-hmac-v1",
    }


def _scan_row(admin, scan_id: str) -> dict:
    rows = admin("get", "/api/v1/scans", expect=200, params={"limit": 200}).json()["items"]
    return next(row for row in rows if row["scan_id"] == scan_id)


@pytest.fixture
def admin(client, user_headers):
    headers = user_headers("admin")

    def call(method: str, path: str, expect: int | None = None, **kwargs):
        response = client.request(method, path, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    return call


def test_online_badge_login_answers_its_session_and_its_scans_apply(
    client, demo, station_headers, upload, admin
):
    login = client.post(
        "/api/v1/auth/badge", json={"badge_code": demo["badge_code"]}, headers=station_headers
    )
    assert login.status_code == 200, login.text
    session_id = login.json()["login_session_id"]
    assert session_id is not None
    scan = _factory(demo, demo["crew_user_id"], session_id).scan(demo["unit_codes"][0])
    [result] = upload(scan)["results"]
    assert result["status"] == "applied", result
    row = _scan_row(admin, scan["scan_id"])
    assert row["login_session_id"] == session_id and row["attribution"] == "online"


def test_a_scan_naming_another_users_session_is_a_conflict(demo, upload, stranger, admin):
    # The stranger's scan names the crew member's login at this station.
    scan = _factory(demo, stranger, demo["login_session_id"]).scan(demo["unit_codes"][0])
    [result] = upload(scan)["results"]
    assert result["status"] == "conflict"
    assert result["reason_code"] == "login_session_mismatch"
    assert result["movements"], "a conflict is still applied: the scan is a fact"
    assert _scan_row(admin, scan["scan_id"])["attribution"] == "none"


def test_a_login_at_another_station_does_not_back_a_scan_here(
    demo, upload, session_factory, settings
):
    from tests.conftest import login_at_station

    with transaction(session_factory) as session:
        other, _token = identity.create_station(session=session, name="Dock 9")
        elsewhere = login_at_station(session, settings, demo["crew_user_id"], other.id)
    scan = _factory(demo, demo["crew_user_id"], elsewhere).scan(demo["unit_codes"][0])
    [result] = upload(scan)["results"]
    assert result["status"] == "conflict"
    assert result["reason_code"] == "login_session_mismatch"


def test_a_user_without_any_login_here_is_a_conflict_with_or_without_an_id(demo, upload, stranger):
    unbound = _factory(demo, stranger, None).scan(demo["unit_codes"][0])
    made_up = _factory(demo, stranger, str(uuid7())).scan(demo["unit_codes"][1])
    results = upload(unbound, made_up)["results"]
    assert [r["status"] for r in results] == ["conflict", "conflict"]
    assert [r["reason_code"] for r in results] == ["no_login_session", "no_login_session"]
    assert stranger in results[0]["reason"]


def test_an_unknown_user_stays_rejected(demo, upload):
    scan = _factory(demo, str(uuid7()), demo["login_session_id"]).scan(demo["unit_codes"][0])
    [result] = upload(scan)["results"]
    assert result["status"] == "rejected" and result["reason_code"] == "unknown_user"


def test_an_older_kiosk_without_session_ids_is_applied_and_marked_unbound(demo, upload, admin):
    scan = _factory(demo, demo["crew_user_id"], None).scan(demo["unit_codes"][0])
    [result] = upload(scan)["results"]
    assert result["status"] == "applied"
    assert _scan_row(admin, scan["scan_id"])["attribution"] == "unbound"


def test_offline_login_then_its_scans_apply_marked_for_review_and_resend_is_idempotent(
    demo, upload, stranger, admin
):
    login = _offline_login(demo, stranger)
    first = upload(logins=[login])
    assert first["results"] == []
    assert first["logins"] == [
        {"login_id": login["login_id"], "status": "recorded", "reason": None}
    ]

    factory = _factory(demo, stranger, login["login_id"])
    scans = [factory.scan(code) for code in demo["unit_codes"][:2]]
    answer = upload(*scans, logins=[login])  # the kiosk resends until acknowledged
    assert answer["logins"][0]["status"] == "duplicate"
    assert [r["status"] for r in answer["results"]] == ["applied", "applied"]

    again = upload(*scans, logins=[login])
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert [r["original_status"] for r in again["results"]] == ["applied", "applied"]
    assert again["logins"][0]["status"] == "duplicate"

    review = admin("get", "/api/v1/scans", expect=200, params={"attribution": "offline"}).json()
    assert {row["scan_id"] for row in review["items"]} == {s["scan_id"] for s in scans}
    assert {row["login_session_id"] for row in review["items"]} == {login["login_id"]}


def test_offline_login_and_its_scans_in_one_batch(demo, upload, stranger):
    login = _offline_login(demo, stranger)
    scan = _factory(demo, stranger, login["login_id"]).scan(demo["unit_codes"][0])
    answer = upload(scan, logins=[login])
    assert answer["logins"][0]["status"] == "recorded"
    assert answer["results"][0]["status"] == "applied"


def test_offline_logins_are_audited_with_station_and_times(demo, upload, stranger, admin):
    login = _offline_login(demo, stranger, minutes_ago=42)
    upload(logins=[login])
    upload(logins=[login])  # a resend is not a second login
    events = admin(
        "get", "/api/v1/audit", expect=200, params={"action": "auth.offline_login"}
    ).json()["items"]
    assert len(events) == 1
    [event] = events
    assert event["actor_station_id"] == demo["station_id"]
    assert event["actor_user_id"] == stranger
    details = event["details"]
    assert details["login_id"] == login["login_id"]
    assert details["station"] == "Demo station"
    assert details["verifier"] == "mirror-hmac-v1"
    logged_in = datetime.fromisoformat(details["logged_in_at"])
    received = datetime.fromisoformat(details["received_at"])
    assert timedelta(minutes=41) < received - logged_in < timedelta(minutes=43)


def test_offline_logins_that_cannot_be_recorded(client, demo, upload, station_headers, stranger):
    unknown = _offline_login(demo, str(uuid7()))
    answer = upload(logins=[unknown])
    assert answer["logins"][0]["status"] == "rejected"
    assert "unknown user" in answer["logins"][0]["reason"]
    # A login for another station is refused like a scan for another station.
    foreign = {**_offline_login(demo, stranger), "station_id": str(uuid7())}
    response = client.post(
        "/api/v1/scans/batch", json={"scans": [], "logins": [foreign]}, headers=station_headers
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "station_mismatch"
    ancient = {**_offline_login(demo, stranger), "logged_in_at": "0001-01-01T00:00:00+01:00"}
    assert upload(logins=[ancient])["logins"][0]["status"] == "rejected"
    bad = {**_offline_login(demo, stranger), "login_id": "01234567-89ab-4def-8123-456789abcdef"}
    response = client.post(
        "/api/v1/scans/batch", json={"scans": [], "logins": [bad]}, headers=station_headers
    )
    assert response.status_code == 422


def test_a_login_id_taken_by_another_user_is_rejected(demo, upload, stranger):
    login = _offline_login(demo, stranger)
    upload(logins=[login])
    hijack = {**login, "user_id": demo["crew_user_id"]}
    answer = upload(logins=[hijack])
    assert answer["logins"][0]["status"] == "rejected"
    assert "already taken" in answer["logins"][0]["reason"]


def test_a_revoked_station_is_told_so_distinctly(client, demo, station_headers, admin):
    admin("post", f"/api/v1/stations/{demo['station_id']}/revoke", expect=200)
    response = client.get("/api/v1/sync/reference", headers=station_headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "station_revoked"
    batch = client.post(
        "/api/v1/scans/batch",
        json={"scans": [ScanFactory.for_demo(demo).scan(demo["unit_codes"][0])]},
        headers=station_headers,
    )
    assert batch.status_code == 401 and batch.json()["error"]["code"] == "station_revoked"
    # A token that never existed learns nothing about revocations.
    unknown = client.get("/api/v1/sync/reference", headers={"Authorization": "Bearer rgst_x"})
    assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "unauthorized"


def test_a_revoked_badge_lists_the_stations_that_have_not_synced_since(
    client, demo, station_headers, admin, session_factory
):
    with transaction(session_factory) as session:
        _dock, dock_token = identity.create_station(session=session, name="Dock 2")
    dock_headers = {"Authorization": f"Bearer {dock_token}"}
    badges = admin("get", "/api/v1/badges", expect=200, params={"user_id": demo["crew_user_id"]})
    badge_id = badges.json()["items"][0]["id"]
    assert (
        admin("get", f"/api/v1/badges/{badge_id}", expect=200).json()["stations_not_synced"] == []
    )

    revoked = admin("post", f"/api/v1/badges/{badge_id}/revoke", expect=200).json()
    assert not revoked["active"]
    assert [s["name"] for s in revoked["stations_not_synced"]] == ["Demo station", "Dock 2"]

    # The demo station downloads the delta (the badge's tombstone), then proves it holds
    # the current version on its next call: only then does it count as synced.
    page = client.get("/api/v1/sync/reference", headers=station_headers).json()
    behind = admin("get", f"/api/v1/badges/{badge_id}", expect=200).json()
    assert [s["name"] for s in behind["stations_not_synced"]] == ["Demo station", "Dock 2"]
    client.get("/api/v1/sync/reference", params={"cursor": page["cursor"]}, headers=station_headers)
    behind = admin("get", f"/api/v1/badges/{badge_id}", expect=200).json()
    assert [s["name"] for s in behind["stations_not_synced"]] == ["Dock 2"]
    stations = admin("get", "/api/v1/stations", expect=200).json()["items"]
    synced = {s["name"]: s["reference_synced_at"] for s in stations}
    assert synced["Demo station"] is not None and synced["Dock 2"] is None
    assert client.get("/api/v1/sync/reference", headers=dock_headers).status_code == 200
