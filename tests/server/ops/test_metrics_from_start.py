"""Every series exists at start-up with zero values (label sets initialised), in one
process and with several workers; then the events move them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.ops.metrics import LOGIN_KINDS, LOGIN_OUTCOMES, WEBHOOK_OUTCOMES
from shared.protocol import (
    APP_VERSION_HEADER,
    PROTOCOL_HEADER,
    QUEUE_DEPTH_HEADER,
    ScanStatus,
)
from tests.helpers.live_server import LiveServer
from tests.helpers.scans import ScanFactory

DASHBOARD = (
    Path(__file__).resolve().parents[3] / "installers/server/grafana/rentguy-dashboard.json"
)
METRIC_NAME = re.compile(r"\brentguy_[a-z0-9_]+")
# Per app: zero at start. Export counters are process-wide (other tests may have moved
# them in this process): present is what counts there.
ZERO_AT_START = (
    [("rentguy_scans_total", {"status": s.value}) for s in ScanStatus]
    + [("rentguy_scan_batch_size_count", {}), ("rentguy_scan_ingest_seconds_count", {})]
    + [
        ("rentguy_webhook_deliveries_total", {"provider": p, "outcome": o})
        for p in ("stripe", "mollie")
        for o in WEBHOOK_OUTCOMES
    ]
    + [
        ("rentguy_logins_total", {"kind": k, "outcome": o})
        for k in LOGIN_KINDS
        for o in LOGIN_OUTCOMES
    ]
)
PRESENT_AT_START = [
    (name, {"target": target})
    for name in (
        "rentguy_export_calls_total",
        "rentguy_export_throttled_total",
        "rentguy_export_rate_limit_waits_total",
        "rentguy_export_rate_limit_wait_seconds_total",
    )
    for target in ("moneybird", "exact")
]
STATION_GAUGES = ("rentguy_station_last_seen_timestamp_seconds", "rentguy_station_queue_depth")


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def check_start(found: dict, station_id: str) -> None:
    missing = [
        (name, labels) for name, labels in ZERO_AT_START + PRESENT_AT_START
        if value(found, name, **labels) is None
    ]  # fmt: skip
    assert missing == [], missing
    moved = [(n, lb) for n, lb in ZERO_AT_START if value(found, n, **lb) != 0]
    assert moved == [], moved
    station = {
        labels["station_id"]: labels
        for (name, labelset) in found
        if name == "rentguy_station_queue_depth"
        for labels in [dict(labelset)]
    }
    assert station_id in station, "the demo station's gauges are missing"
    for name in STATION_GAUGES:
        assert value(found, name, **station[station_id]) == 0
    info = value(found, "rentguy_station_info", **station[station_id], version="unknown")
    assert info == 1


def test_metrics_right_after_start_then_moved_by_a_sync(settings, session_factory, demo):
    with TestClient(create_app(settings)) as client:
        check_start(samples(client.get("/metrics").text), demo["station_id"])

        headers = {
            "Authorization": f"Bearer {demo['station_token']}",
            PROTOCOL_HEADER: "1",
            APP_VERSION_HEADER: "0.2.0",
            QUEUE_DEPTH_HEADER: "7",
        }
        scan = ScanFactory.for_demo(demo).scan(demo["unit_codes"][0])
        answer = client.post("/api/v1/scans/batch", json={"scans": [scan]}, headers=headers)
        assert answer.status_code == 200, answer.text
        badge = {"badge_code": demo["badge_code"]}
        assert client.post("/api/v1/auth/badge", json=badge, headers=headers).status_code == 200
        wrong = {"badge_code": "NO-SUCH-BADGE"}
        assert client.post("/api/v1/auth/badge", json=wrong, headers=headers).status_code == 401
        webhook = client.post("/api/v1/webhooks/stripe", content=b"{}")
        assert 400 <= webhook.status_code < 500  # not configured here: refused

        found = samples(client.get("/metrics").text)
    assert value(found, "rentguy_scans_total", status="applied") == 1
    assert value(found, "rentguy_scan_batch_size_count") == 1
    assert value(found, "rentguy_scan_batch_size_bucket", le="1.0") == 1
    assert value(found, "rentguy_scan_ingest_seconds_count") == 1
    assert value(found, "rentguy_logins_total", kind="badge", outcome="ok") == 1
    assert value(found, "rentguy_logins_total", kind="badge", outcome="failed") == 1
    assert value(found, "rentguy_webhook_deliveries_total", provider="stripe",
                 outcome="rejected") == 1  # fmt: skip
    station = {"station_id": demo["station_id"], "station": "Demo station"}
    assert value(found, "rentguy_station_queue_depth", **station) == 7
    assert value(found, "rentguy_station_last_seen_timestamp_seconds", **station) > 1.7e9
    assert value(found, "rentguy_station_info", **station, version="0.2.0") == 1


@pytest.mark.parametrize(
    ("header", "bad", "code"),
    [
        (QUEUE_DEPTH_HEADER, "-1", "bad_queue_depth_header"),
        (QUEUE_DEPTH_HEADER, "9" * 12, "bad_queue_depth_header"),
        (APP_VERSION_HEADER, "0.2.0 beta", "bad_version_header"),
        (APP_VERSION_HEADER, "x" * 33, "bad_version_header"),
    ],
)
def test_a_malformed_kiosk_report_is_a_precise_400(client, station_headers, header, bad, code):
    response = client.get("/api/v1/sync/reference", headers={**station_headers, header: bad})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code


def test_every_series_right_after_start_with_two_workers(fresh_database_url, tmp_path):
    """The real server (``serve --workers 2``: the multi-process metrics files)."""
    server = LiveServer(fresh_database_url, tmp_path / "server.log", workers=2)
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    server.start()
    try:
        text = httpx.get(f"{server.url}/metrics", timeout=10).text
    finally:
        server.stop()
    found = samples(text)
    check_start(found, demo["station_id"])
    # And each export series once, not once per worker (the files are added up).
    assert value(found, "rentguy_export_calls_total", target="exact") == 0


def test_every_grafana_panel_queries_metrics_the_server_exposes(settings, demo):
    dashboard = json.loads(DASHBOARD.read_text())
    with TestClient(create_app(settings)) as client:
        client.get("/healthz")  # the request counters exist from the first request
        client.get("/metrics")
        exposed = {name for name, _labels in samples(client.get("/metrics").text)}
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        exprs = [target["expr"] for target in panel["targets"]]
        names = {name for expr in exprs for name in METRIC_NAME.findall(expr)}
        assert names, f"panel {panel['title']!r} queries no rentguy metric"
        unknown = names - exposed
        assert not unknown, f"panel {panel['title']!r}: not exposed: {sorted(unknown)}"
