"""Protocol versions on the wire (shared.protocol's rule; server.ops.versioning)."""

from __future__ import annotations

import tomllib
import uuid
from pathlib import Path

import pytest

import server.ops.versioning as versioning
from shared.protocol import (
    ACCEPTS_HEADER,
    APP_VERSION_HEADER,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    parse_accepts,
    parse_protocol,
)
from shared.version import __version__
from tests.helpers.scans import ScanFactory

REPO = Path(__file__).resolve().parents[2]


def _scan(demo: dict, **extra) -> dict:
    return ScanFactory.for_demo(demo).scan(demo["unit_codes"][0], **extra)


def test_the_rule_accepts_the_current_version_and_the_one_before():
    assert MIN_PROTOCOL_VERSION == max(1, PROTOCOL_VERSION - 1)
    assert parse_protocol(None) == 1  # kiosks from before the headers
    assert parse_accepts(None) == (1, 1)
    assert parse_accepts("1-2") == (1, 2)
    for bad in ("", "x", "0", "-1", "1.5", "١"):
        with pytest.raises(ValueError):
            parse_protocol(bad)
    for bad in ("2-1", "1", "a-b"):
        with pytest.raises(ValueError):
            parse_accepts(bad)


def test_every_answer_states_the_servers_versions(client, station_headers):
    for response in (
        client.get("/healthz"),
        client.get("/api/v1/sync/reference", headers=station_headers),
        client.get("/api/v1/sync/reference"),  # a 401 too
        client.get("/no/such/route"),
    ):
        assert response.headers[PROTOCOL_HEADER] == str(PROTOCOL_VERSION)
        assert response.headers[ACCEPTS_HEADER] == f"{MIN_PROTOCOL_VERSION}-{PROTOCOL_VERSION}"
        assert response.headers[APP_VERSION_HEADER] == __version__


def test_version_is_one_for_the_package_and_the_changelog():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "shared.version.__version__"
    }
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert f"## [{__version__}]" in changelog or "## [Unreleased]" in changelog
    releases = tomllib.loads((REPO / "releases.toml").read_text())["releases"]
    for release in releases:
        assert f"## [{release['version']}]" in changelog, release["version"]


def test_a_kiosk_without_headers_is_protocol_one(client, demo, station_headers):
    response = client.post(
        "/api/v1/scans/batch", json={"scans": [_scan(demo)]}, headers=station_headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"


def test_a_kiosk_newer_than_the_server_gets_409_before_its_body_is_read(
    client, demo, station_headers
):
    # A field this server does not know would be a 422 naming the scan (and the kiosk
    # would set the scan aside as poison): the version check must come first.
    body = {"scans": [_scan(demo, field_from_the_future=1)]}
    headers = {**station_headers, PROTOCOL_HEADER: str(PROTOCOL_VERSION + 1)}
    response = client.post("/api/v1/scans/batch", json=body, headers=headers)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "server_too_old"
    assert error["details"]["accepts"] == [MIN_PROTOCOL_VERSION, PROTOCOL_VERSION]
    assert error["details"]["client_protocol"] == PROTOCOL_VERSION + 1
    assert "update the server first" in error["message"]


def test_a_kiosk_older_than_the_server_accepts_gets_426(
    client, demo, station_headers, monkeypatch
):
    # As a server two protocol versions on would answer today's kiosk.
    monkeypatch.setattr(versioning, "MIN_PROTOCOL_VERSION", PROTOCOL_VERSION + 1)
    headers = {**station_headers, PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
    response = client.get("/api/v1/sync/reference", headers=headers)
    assert response.status_code == 426, response.text
    assert response.json()["error"]["code"] == "kiosk_too_old"
    assert "update the kiosk" in response.json()["error"]["message"]
    assert response.headers["Upgrade"].startswith("rentguy-sync/")
    # Without a header the kiosk is protocol 1: refused the same way.
    assert client.get("/api/v1/sync/reference", headers=station_headers).status_code == 426


@pytest.mark.parametrize("value", ["two", "0", "9999999", " "])
def test_a_malformed_protocol_header_is_a_precise_400(client, station_headers, value):
    headers = {**station_headers, PROTOCOL_HEADER: value}
    response = client.get("/api/v1/sync/reference", headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_protocol_header"


def test_enrolment_states_and_checks_versions_too(client):
    headers = {PROTOCOL_HEADER: str(PROTOCOL_VERSION + 1)}
    body = {"code": "no-such-code-0000"}
    response = client.post("/api/v1/stations/enroll", json=body, headers=headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "server_too_old"
    assert uuid.UUID(response.headers["x-request-id"])
