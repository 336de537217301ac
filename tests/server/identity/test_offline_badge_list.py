"""The offline badge list in the reference download follows revocation and deactivation."""

from shared.reference import ReferenceSnapshot
from tests.helpers.badges import offline_holders


def _badges(client, station_headers):
    response = client.get("/api/v1/sync/reference", headers=station_headers)
    assert response.status_code == 200
    snapshot = ReferenceSnapshot.model_validate(response.json())
    return snapshot, None


def _holder(snapshot, _none, code):
    return offline_holders(snapshot, code)


def test_issued_badge_appears_and_revoked_badge_disappears(
    client, station_headers, admin_headers, make_user
):
    user_id = make_user(name="Joris", roles=("crew",))
    issued = client.post(
        f"/api/v1/users/{user_id}/badges",
        json={"code": "BADGE-OFF-1", "label": "blue card"},
        headers=admin_headers,
    )
    assert issued.status_code == 201
    assert "BADGE-OFF-1" not in issued.text
    key, badges = _badges(client, station_headers)
    [entry] = _holder(key, badges, "BADGE-OFF-1")
    assert entry.name == "Joris" and entry.roles == ["crew"] and str(entry.user_id) == str(user_id)

    client.post(f"/api/v1/badges/{issued.json()['id']}/revoke", headers=admin_headers)
    key, badges = _badges(client, station_headers)
    assert _holder(key, badges, "BADGE-OFF-1") == []


def test_deactivated_user_disappears(client, station_headers, admin_headers, demo):
    key, badges = _badges(client, station_headers)
    assert _holder(key, badges, demo["badge_code"])
    client.delete(f"/api/v1/users/{demo['crew_user_id']}", headers=admin_headers)
    key, badges = _badges(client, station_headers)
    assert _holder(key, badges, demo["badge_code"]) == []


def test_same_badge_cannot_be_issued_twice(client, admin_headers, make_user):
    first = make_user(name="A")
    second = make_user(name="B")
    body = {"code": "BADGE-TWICE"}
    assert (
        client.post(f"/api/v1/users/{first}/badges", json=body, headers=admin_headers).status_code
        == 201
    )
    again = client.post(f"/api/v1/users/{second}/badges", json=body, headers=admin_headers)
    assert again.status_code == 409
