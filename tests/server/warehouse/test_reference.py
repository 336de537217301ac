"""Reference download: what a station mirrors, including the offline badge list."""

from shared.badges import badge_hash_matches
from shared.reference import ReferenceSnapshot
from tests.helpers.scans import ScanFactory


def test_reference_has_demo_project_units_cases_badges(client, station_headers, demo):
    response = client.get("/api/v1/sync/reference", headers=station_headers)
    assert response.status_code == 200
    snapshot = ReferenceSnapshot.model_validate(response.json())
    assert snapshot.full is True
    assert str(snapshot.station_id) == demo["station_id"]
    [project] = snapshot.projects
    assert project.name == demo["project_name"]
    assert {line.qty for line in project.pick_lines} == {4, 2, 40}
    barcodes = {unit.barcode for unit in snapshot.units}
    assert set(demo["unit_codes"]) <= barcodes
    assert [case.barcode for case in snapshot.cases] == [demo["case_code"]]
    assert len(snapshot.cases[0].unit_ids) == 2
    key = bytes.fromhex(snapshot.badge_hash_key)
    [badge] = snapshot.badges
    assert badge_hash_matches(key, demo["badge_code"], badge.hash)
    assert "warehouse" in badge.roles
    assert demo["badge_code"] not in response.text  # never the code itself


def test_reference_reflects_units_out_and_pick_counts(client, station_headers, demo):
    scan = ScanFactory.for_demo(demo).scan(demo["unit_codes"][0])
    client.post("/api/v1/scans/batch", json={"scans": [scan]}, headers=station_headers)
    snapshot = ReferenceSnapshot.model_validate(
        client.get("/api/v1/sync/reference", headers=station_headers).json()
    )
    unit = next(u for u in snapshot.units if u.barcode == demo["unit_codes"][0])
    assert unit.status == "out"
    assert str(unit.project_id) == demo["project_id"]
    assert sum(line.out for line in snapshot.projects[0].pick_lines) == 1


def test_reference_cursor_param_is_length_checked(client, station_headers, demo):
    response = client.get(
        "/api/v1/sync/reference", params={"cursor": "x" * 500}, headers=station_headers
    )
    assert response.status_code == 422
