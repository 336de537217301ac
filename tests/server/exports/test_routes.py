"""The export HTTP API: start a run, follow it, read its report (HTML and CSV)."""

from __future__ import annotations

import csv
import io
import time

import pytest

from server.exports.models import Target
from server.exports.runner import start_run


@pytest.fixture
def wired(app, export_settings, source, monkeypatch):
    # The one seam: these route tests use the in-memory source (the real invoicing source
    # is tested end to end in test_invoicing_source.py).
    app.state.settings = export_settings
    monkeypatch.setattr("server.exports.router.document_source", lambda _sf: source)
    return app


def _wait(client, headers, target, run_id):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = client.get(f"/api/v1/exports/{target}/runs/{run_id}", headers=headers).json()
        if run["status"] != "running":
            return run
        time.sleep(0.05)
    raise AssertionError("run did not finish")


@pytest.mark.parametrize("target", ["moneybird", "exact"])
def test_run_over_http_with_report(target, wired, client, user_headers):
    admin = user_headers("admin")
    answer = client.post(f"/api/v1/exports/{target}/runs", headers=admin)
    assert answer.status_code == 202, answer.text
    run = _wait(client, admin, target, answer.json()["id"])
    assert run["status"] == "succeeded", run
    assert run["progress"] == 1.0 and run["eta_seconds"] == 0 and run["exported"] == 17
    assert run["api_calls"] > 0

    listed = client.get(f"/api/v1/exports/{target}/runs", headers=admin).json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    assert (listed["total"], listed["limit"], listed["offset"]) == (1, 50, 0)
    audited = client.get(
        "/api/v1/audit", params={"action": "export.run_started"}, headers=admin
    ).json()["items"]
    assert [(e["target_id"], e["details"]["target"]) for e in audited] == [(run["id"], target)]

    html = client.get(f"/api/v1/exports/{target}/runs/{run['id']}/report", headers=admin)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "INV-2026-00000" in html.text and "CN-2026-00003" in html.text
    assert "5 matched, 0 unmatched" in html.text and "differs" not in html.text
    # Its CSP lets its own inline <style> apply (by hash) and nothing else load.
    csp = html.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'") and "style-src 'sha256-" in csp
    assert "script-src" not in csp and "frame-ancestors 'none'" in csp

    raw = client.get(f"/api/v1/exports/{target}/runs/{run['id']}/report?format=csv", headers=admin)
    assert raw.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(raw.text)))
    numbers = [r[0] for r in rows if r and r[0].startswith(("INV-", "CN-"))]
    assert len(numbers) == 12
    vat = {r[0]: r for r in rows if r and r[0] in ("21", "9")}
    assert vat["21"][1] == vat["21"][2] and vat["9"][3] == vat["9"][4]


def test_second_run_while_one_runs_is_409(wired, client, user_headers, session_factory):
    start_run(session_factory=session_factory, target=Target.MONEYBIRD.value)
    answer = client.post("/api/v1/exports/moneybird/runs", headers=user_headers("admin"))
    assert answer.status_code == 409
    assert "already running" in answer.json()["error"]["message"]


def test_exports_need_the_permission(wired, client, user_headers):
    planner = user_headers("planner")
    assert client.post("/api/v1/exports/exact/runs", headers=planner).status_code == 403
    assert client.get("/api/v1/exports/exact/runs", headers=planner).status_code == 403
    assert client.get("/api/v1/exports/exact/runs").status_code == 401


def test_unknown_target_and_run(wired, client, user_headers):
    admin = user_headers("admin")
    assert client.post("/api/v1/exports/twinfield/runs", headers=admin).status_code == 422
    missing = "0190c0de-0000-7000-8000-000000000000"
    assert client.get(f"/api/v1/exports/exact/runs/{missing}", headers=admin).status_code == 404


def test_unconfigured_target_is_a_clear_400(app, client, user_headers):
    answer = client.post("/api/v1/exports/moneybird/runs", headers=user_headers("admin"))
    assert answer.status_code == 400
    assert "RENTGUY_MONEYBIRD_ADMINISTRATION_ID" in answer.json()["error"]["message"]
