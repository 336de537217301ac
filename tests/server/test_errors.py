"""Bad input answers a 4xx JSON error with one body shape, never a 500."""

import pytest


def _assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_unknown_route_is_json_404(client):
    _assert_error_shape(client.get("/api/v1/nope"), 404, "not_found")


def test_wrong_method_is_json_405(client):
    _assert_error_shape(client.get("/api/v1/scans/batch"), 405, "method_not_allowed")


def test_missing_station_token_is_401(client):
    response = client.post("/api/v1/scans/batch", json={"scans": []})
    _assert_error_shape(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_wrong_station_token_is_401(client, demo):
    response = client.get(
        "/api/v1/sync/reference", headers={"Authorization": "Bearer rgst_not-a-token"}
    )
    _assert_error_shape(response, 401, "unauthorized")


def test_malformed_json_is_422(client, station_headers):
    response = client.post(
        "/api/v1/scans/batch",
        content=b'{"scans": [',
        headers={**station_headers, "Content-Type": "application/json"},
    )
    body = _assert_error_shape(response, 422, "validation_error")
    assert "JSON" in body["error"]["message"]


@pytest.mark.parametrize(
    ("scan_patch", "expected"),
    [
        ({"seq": "first"}, "seq"),
        ({"qty": 0}, "qty"),
        ({"scanned_at": "2026-01-01T10:00:00"}, "scanned_at"),  # naive: no timezone
        ({"scan_id": "0190a6e0-0000-4000-8000-000000000000"}, "UUIDv7"),  # a v4
        ({"mode": "teleport"}, "mode"),
        ({"code": ""}, "code"),
        ({"code": "x" * 300}, "code"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_scan_fields_are_422_with_the_field_named(
    client, station_headers, demo, scan_patch, expected
):
    from tests.helpers.scans import ScanFactory

    scan = ScanFactory.for_demo(demo).scan(demo["unit_codes"][0])
    scan.update(scan_patch)
    response = client.post("/api/v1/scans/batch", json={"scans": [scan]}, headers=station_headers)
    body = _assert_error_shape(response, 422, "validation_error")
    assert expected in response.text
    assert "input" not in body["error"]["details"][0]  # the payload is not echoed back


def test_empty_and_oversized_batches_are_422(client, station_headers, demo):
    from tests.helpers.scans import ScanFactory

    factory = ScanFactory.for_demo(demo)
    empty = client.post("/api/v1/scans/batch", json={"scans": []}, headers=station_headers)
    _assert_error_shape(empty, 422, "validation_error")
    too_many = [factory.scan("X") for _ in range(1001)]
    response = client.post("/api/v1/scans/batch", json={"scans": too_many}, headers=station_headers)
    _assert_error_shape(response, 422, "validation_error")


def test_body_over_the_cap_is_413_and_stores_nothing(client, station_headers, session_factory):
    from sqlalchemy import func, select

    from server.warehouse.models import Scan

    big = b'{"scans": [' + b" " * (3 * 1024 * 1024) + b"]}"
    response = client.post(
        "/api/v1/scans/batch",
        content=big,
        headers={**station_headers, "Content-Type": "application/json"},
    )
    _assert_error_shape(response, 413, "payload_too_large")

    def chunks():
        for _ in range(40):
            yield b" " * (256 * 1024)

    streamed = client.post(
        "/api/v1/scans/batch",
        content=chunks(),
        headers={**station_headers, "Content-Type": "application/json"},
    )
    _assert_error_shape(streamed, 413, "payload_too_large")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"scans": "not a list"}',
        b'{"scans": [1, 2, 3]}',
        b'{"scans": [{"scan_id": 5}]}',
        b'{"scans": null}',
        b'"just a string"',
        b'{"scans": [], "extra": true}',
        b"\xff\xfe not utf-8",
    ],
)
def test_wrong_shapes_are_422_and_store_nothing(client, station_headers, session_factory, body):
    from sqlalchemy import func, select

    from server.warehouse.models import Scan

    response = client.post(
        "/api/v1/scans/batch",
        content=body,
        headers={**station_headers, "Content-Type": "application/json"},
    )
    _assert_error_shape(response, 422, "validation_error")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0


def test_one_bad_scan_fails_the_whole_batch(client, station_headers, demo, session_factory):
    from sqlalchemy import func, select

    from server.warehouse.models import Movement, Scan
    from tests.helpers.scans import ScanFactory

    factory = ScanFactory.for_demo(demo)
    batch = [factory.scan(code) for code in demo["unit_codes"]]
    batch[-1]["qty"] = "three"
    response = client.post("/api/v1/scans/batch", json={"scans": batch}, headers=station_headers)
    body = _assert_error_shape(response, 422, "validation_error")
    assert "qty" in body["error"]["message"]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0
        assert session.scalar(select(func.count()).select_from(Movement)) == 0


def test_ten_megabyte_body_is_413(client, station_headers, demo, session_factory):
    import json

    from sqlalchemy import func, select

    from server.warehouse.models import Scan
    from tests.helpers.scans import ScanFactory

    scan = ScanFactory.for_demo(demo).scan(demo["unit_codes"][0])
    scan["code"] = "x" * 200
    one = json.dumps(scan).encode()
    body = b'{"scans": [' + b",".join([one] * (10 * 1024 * 1024 // len(one))) + b"]}"
    assert len(body) >= 10 * 1024 * 1024 - len(one)
    response = client.post(
        "/api/v1/scans/batch",
        content=body,
        headers={**station_headers, "Content-Type": "application/json"},
    )
    _assert_error_shape(response, 413, "payload_too_large")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0


def test_hundred_thousand_scans_are_refused(app, client, station_headers, demo, session_factory):
    """Over the body cap it is 413; with the cap raised, the batch limit answers 422."""
    import json

    from sqlalchemy import func, select

    from server.warehouse.models import Scan
    from tests.helpers.scans import ScanFactory

    factory = ScanFactory.for_demo(demo)
    body = json.dumps({"scans": [factory.scan("RG-X") for _ in range(100_000)]}).encode()
    headers = {**station_headers, "Content-Type": "application/json"}
    response = client.post("/api/v1/scans/batch", content=body, headers=headers)
    _assert_error_shape(response, 413, "payload_too_large")

    from server.app import create_app

    roomy = create_app(app.state.settings.model_copy(update={"max_body_bytes": 64 << 20}))
    from fastapi.testclient import TestClient

    with TestClient(roomy) as big_client:
        response = big_client.post("/api/v1/scans/batch", content=body, headers=headers)
    body_json = _assert_error_shape(response, 422, "validation_error")
    assert "1000" in body_json["error"]["message"]
    roomy.state.engine.dispose()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0
