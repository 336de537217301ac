"""SPEC §10 "Reasons are codes" (issue 17 item 4): every per-scan conflict/rejected answer
carries stable codes with parameters next to its English text, also on a resend."""

from __future__ import annotations

import re
from pathlib import Path

from server.warehouse.ingest import reason_fields
from shared.protocol import ScanBatchResponse, ScanResult
from shared.reasons import ENGLISH, ReasonCode
from tests.helpers.edge import raw_json

SERVER = Path(__file__).resolve().parents[3] / "server"


def _codes(result: dict) -> list[tuple[str, dict]]:
    return [(r["code"], r["params"]) for r in result["reasons"]]


def test_rejection_carries_code_params_and_english(upload, scans, admin):
    scan = scans.scan("NOPE-1")
    [result] = upload(scan)
    assert result["status"] == "rejected"
    assert result["reason"] == "unknown code 'NOPE-1'"
    assert (result["reason_code"], result["reason_params"]) == ("unknown_code", {"code": "NOPE-1"})
    assert _codes(result) == [("unknown_code", {"code": "NOPE-1"})]
    [again] = upload(scan)  # a resend is answered from the stored row: the same codes
    assert again["status"] == "duplicate"
    assert _codes(again) == _codes(result) and again["reason"] == result["reason"]
    # The admin API's scan list says it with the same codes.
    listed = admin("get", "/api/v1/scans", params={"status": "rejected"}, expect=200).json()
    assert [(r["code"], r["params"]) for r in listed["items"][0]["reasons"]] == _codes(result)


def test_every_flag_of_a_conflict_is_a_code(upload, scans, demo):
    code = demo["unit_codes"][0]
    upload(scans.scan(code))
    [again] = upload(scans.scan(code))
    assert again["status"] == "conflict"
    assert again["reason_code"] == "already_out_this_project"
    assert again["reason_params"]["barcode"] == code
    assert again["reason_params"]["project_id"] == demo["project_id"]
    # Over-picked too (the pick list asks fewer): integers stay integers.
    assert [c for c, _ in _codes(again)][0] == "already_out_this_project"
    assert all(isinstance(v, (str, int)) for _, p in _codes(again) for v in p.values())


def test_refused_undo_names_its_code(client, station_headers, scans, demo, app):
    app.state.settings = app.state.settings.model_copy(update={"annul_window_seconds": 0})
    target = scans.scan(demo["unit_codes"][0])
    post = lambda *b: client.post(  # noqa: E731
        "/api/v1/scans/batch", json={"scans": list(b)}, headers=station_headers
    ).json()["results"]
    post(target)
    [late] = post(scans.annul(target))
    assert (late["status"], late["reason_code"]) == ("rejected", "annul_window_passed")


def test_bad_text_found_at_the_edge_is_a_code_naming_field_and_character(
    client, station_headers, scans, demo
):
    poison = {**scans.scan(demo["unit_codes"][0]), "code": "A\x00B"}
    request = raw_json({"scans": [poison]})
    request["headers"].update(station_headers)
    [result] = client.post("/api/v1/scans/batch", **request).json()["results"]
    assert result["status"] == "rejected"
    assert _codes(result) == [("invalid_text", {"field": "code", "char": "U+0000"})]
    assert result["reason"].startswith("invalid_text: code")


def test_every_code_has_english_and_is_produced_by_the_server():
    """One place for the codes: each has English text, and each is one the server answers
    (a code nobody produces is dead; a reason without a code would be English only)."""
    assert set(ENGLISH) == set(ReasonCode)
    source = "\n".join(p.read_text() for p in SERVER.rglob("*.py"))
    used = set(re.findall(r"ReasonCode\.([A-Z_]+)", source))
    assert used == {code.name for code in ReasonCode}
    # No per-scan reason is built from an English string any more.
    assert not re.search(r"Outcome\.rejected\(f?\"", source)
    assert not re.search(r"\.flag\(f?\"", source)


def test_answers_stay_readable_by_old_and_new_kiosks():
    old = {"scan_id": "0190f5c0-0000-7000-8000-000000000001", "status": "rejected", "reason": "x"}
    parsed = ScanResult.model_validate(old)  # a server from before codes
    assert parsed.reasons == [] and parsed.reason_code is None
    newer = {**old, **reason_fields([{"code": "from_the_future", "params": {"n": 2}}])}
    parsed = ScanResult.model_validate(newer)  # a code this kiosk does not know yet
    assert parsed.reasons[0].code == "from_the_future" and parsed.reason_params == {"n": 2}
    ScanBatchResponse.model_validate({"results": [newer]})
