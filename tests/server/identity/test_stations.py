"""Stations: one-time enrolment codes, enrol, list, rename, revoke → 401 on the next call."""

from datetime import timedelta

from sqlalchemy import update

from server.db import transaction, utcnow
from server.identity import stations
from server.identity.models import StationEnrollment


def _code(client, admin_headers, name="Kiosk Hal 2"):
    response = client.post(
        "/api/v1/stations/enrollments", json={"name": name}, headers=admin_headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def _enroll(client, code, name=None):
    body = {"code": code} if name is None else {"code": code, "name": name}
    return client.post("/api/v1/stations/enroll", json=body)


def test_enrol_once_then_scan_with_the_token(client, admin_headers):
    enrollment = _code(client, admin_headers)
    code = enrollment["code"]
    assert len(code.replace("-", "")) == 12
    # Typed by a person: case and dashes do not matter.
    response = _enroll(client, code.lower().replace("-", " "))
    assert response.status_code == 200, response.text
    station = response.json()
    assert station["name"] == "Kiosk Hal 2" and station["token"].startswith("rgst_")
    headers = {"Authorization": f"Bearer {station['token']}"}
    assert client.get("/api/v1/sync/reference", headers=headers).status_code == 200
    again = _enroll(client, code)
    assert again.status_code == 401  # single use
    listed = client.get("/api/v1/stations", headers=admin_headers).json()
    assert [s["name"] for s in listed["items"]] == ["Kiosk Hal 2"]
    assert "token" not in listed["items"][0]


def test_expired_and_unknown_codes_are_refused_alike(client, admin_headers, session_factory):
    enrollment = _code(client, admin_headers)
    with transaction(session_factory) as session:
        session.execute(
            update(StationEnrollment).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expired = _enroll(client, enrollment["code"])
    unknown = _enroll(client, "ABCD-EFGH-JKMN")
    assert expired.status_code == unknown.status_code == 401
    assert expired.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_code_guessing_is_throttled_per_ip(client):
    for n in range(stations.ENROLL_SOURCE.threshold):
        assert _enroll(client, f"GUESS-{n:07d}").status_code == 401
    locked = _enroll(client, "GUESS-LAST-ONE")
    assert locked.status_code == 429 and "Retry-After" in locked.headers


def test_rename_and_name_conflicts(client, admin_headers, demo):
    station_id = demo["station_id"]
    renamed = client.patch(
        f"/api/v1/stations/{station_id}", json={"name": "Uitgifte"}, headers=admin_headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Uitgifte"
    clash = client.post(
        "/api/v1/stations/enrollments", json={"name": "uitgifte"}, headers=admin_headers
    )
    assert clash.status_code == 409
    enrollment = _code(client, admin_headers, name="Retour")
    assert _enroll(client, enrollment["code"], name="Uitgifte").status_code == 409
    assert (
        client.patch(
            f"/api/v1/stations/{station_id}", json={"name": ""}, headers=admin_headers
        ).status_code
        == 422
    )


def test_revoked_station_gets_401_on_its_next_call(client, admin_headers, station_headers, demo):
    assert client.get("/api/v1/sync/reference", headers=station_headers).status_code == 200
    revoked = client.post(f"/api/v1/stations/{demo['station_id']}/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert client.get("/api/v1/sync/reference", headers=station_headers).status_code == 401
    assert (
        client.post("/api/v1/scans/batch", json={"scans": []}, headers=station_headers).status_code
        == 401
    )
    actions = [
        e["action"]
        for e in client.get(
            "/api/v1/audit", params={"action": "station.*"}, headers=admin_headers
        ).json()["items"]
    ]
    assert actions == ["station.revoked"]


def test_enrolment_is_audited(client, admin_headers):
    enrollment = _code(client, admin_headers, name="Kiosk Audit")
    station = _enroll(client, enrollment["code"]).json()
    events = client.get(
        "/api/v1/audit", params={"action": "station.enrolled"}, headers=admin_headers
    ).json()["items"]
    assert events[0]["target_id"] == station["station_id"]
    assert events[0]["actor_station_id"] == station["station_id"]


def test_revoking_a_station_ends_its_badge_sessions(client, admin_headers, station_headers, demo):
    login = client.post(
        "/api/v1/auth/badge", json={"badge_code": demo["badge_code"]}, headers=station_headers
    ).json()
    me = {"Authorization": f"Bearer {login['access_token']}"}
    assert client.get("/api/v1/me", headers=me).status_code == 200
    client.post(f"/api/v1/stations/{demo['station_id']}/revoke", headers=admin_headers)
    assert client.get("/api/v1/me", headers=me).status_code == 401
