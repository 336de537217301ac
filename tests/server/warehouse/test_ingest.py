"""Scan ingest: exactly once, per-scan answers, movements in the ledger (SPEC §4)."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from server.warehouse.models import Movement, Scan


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_unit_out_is_applied_with_one_movement(upload, scans, demo):
    scan = scans.scan(demo["unit_codes"][0])
    [result] = upload(scan)
    assert result["scan_id"] == scan["scan_id"]
    assert result["status"] == "applied"
    [movement] = result["movements"]
    assert movement["kind"] == "out"
    assert movement["project_id"] == demo["project_id"]


def test_resend_is_duplicate_with_the_first_answer_and_no_new_movements(
    upload, scans, demo, session_factory
):
    batch = [scans.scan(code) for code in demo["unit_codes"][:3]] + [scans.scan("UNKNOWN-1")]
    first = upload(*batch)
    movements = _count(session_factory, Movement)
    second = upload(*batch)
    assert [r["status"] for r in second] == ["duplicate"] * 4
    assert [r["original_status"] for r in second] == [r["status"] for r in first]
    assert [r["movements"] for r in second] == [r["movements"] for r in first]
    assert _count(session_factory, Movement) == movements == 3
    assert _count(session_factory, Scan) == 4


def test_results_come_back_in_request_order_but_apply_in_seq_order(upload, scans, demo):
    code = demo["unit_codes"][0]
    out = scans.scan(code, mode="out")
    back = scans.scan(code, mode="in")
    results = upload(back, out)  # sent out of order: seq decides
    assert [r["scan_id"] for r in results] == [back["scan_id"], out["scan_id"]]
    assert [r["status"] for r in results] == ["applied", "applied"]


def test_unit_already_out_is_conflict_but_still_moves(upload, scans, demo):
    code = demo["unit_codes"][0]
    upload(scans.scan(code))
    [again] = upload(scans.scan(code))
    assert again["status"] == "conflict"
    assert "already out" in again["reason"]
    assert len(again["movements"]) == 1


def test_check_in_of_a_unit_never_out_is_conflict(upload, scans, demo):
    [result] = upload(scans.scan(demo["unit_codes"][0], mode="in"))
    assert result["status"] == "conflict"
    assert "was not out" in result["reason"]


def test_unknown_code_is_rejected_and_kept(upload, scans, session_factory):
    [result] = upload(scans.scan("NOT-A-LABEL"))
    assert result["status"] == "rejected"
    assert "unknown code" in result["reason"]
    with session_factory() as session:
        stored = session.get(Scan, uuid.UUID(result["scan_id"]))
    assert stored.status == "rejected"
    assert stored.code == "NOT-A-LABEL"


def test_fixed_case_moves_its_contents(upload, scans, demo):
    [result] = upload(scans.scan(demo["case_code"]))
    assert result["status"] == "applied"
    assert len(result["movements"]) == 2
    assert all(m["unit_id"] for m in result["movements"])


def test_bulk_quantity_and_qty_on_a_unit(upload, scans, demo):
    [bulk] = upload(scans.scan(demo["bulk_code"], qty=25))
    assert bulk["status"] == "applied"
    assert bulk["movements"][0]["qty"] == 25
    [unit] = upload(scans.scan(demo["unit_codes"][0], qty=3))
    assert unit["status"] == "rejected"
    assert "quantity" in unit["reason"]


def test_over_picking_is_flagged(upload, scans, demo):
    [ok] = upload(scans.scan(demo["bulk_code"], qty=40))
    assert ok["status"] == "applied"
    [over] = upload(scans.scan(demo["bulk_code"], qty=1))
    assert over["status"] == "conflict"
    assert "over-picked" in over["reason"]


def test_ean_label_matches_in_any_scanner_form(upload, scans, demo):
    # The bulk product's EAN-13 label, as a scanner with AIM prefixes enabled sends it.
    [result] = upload(scans.scan("]E08712345678906", symbology="ean13", qty=2))
    assert result["status"] == "applied"


def test_bad_check_digit_is_rejected(upload, scans):
    [result] = upload(scans.scan("8712345678907", symbology="ean13"))
    assert result["status"] == "rejected"
    assert "check digit" in result["reason"]


def test_annul_reverses_movements_once(upload, scans, demo):
    scan = scans.scan(demo["case_code"])
    upload(scan)
    [annul] = upload(scans.annul(scan))
    assert annul["status"] == "applied"
    assert sorted(m["kind"] for m in annul["movements"]) == ["in", "in"]
    [again] = upload(scans.annul(scan))
    assert again["status"] == "rejected"
    assert "already annulled" in again["reason"]


def test_annul_of_unknown_scan_is_rejected(upload, scans, demo):
    ghost = scans.scan(demo["unit_codes"][0])  # never uploaded
    [result] = upload(scans.annul(ghost))
    assert result["status"] == "rejected"


def test_unknown_user_or_project_is_rejected(upload, scans, demo):
    from shared.ids import uuid7

    [user] = upload(scans.scan(demo["unit_codes"][0], user_id=str(uuid7())))
    [project] = upload(scans.scan(demo["unit_codes"][0], project_id=str(uuid7())))
    assert user["status"] == project["status"] == "rejected"
    assert "unknown user" in user["reason"]
    assert "unknown project" in project["reason"]


def test_scan_for_another_station_fails_the_whole_batch(
    client, station_headers, scans, demo, session_factory
):
    from shared.ids import uuid7

    good = scans.scan(demo["unit_codes"][0])
    foreign = scans.scan(demo["unit_codes"][1], station_id=str(uuid7()))
    response = client.post(
        "/api/v1/scans/batch", json={"scans": [good, foreign]}, headers=station_headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "station_mismatch"
    assert _count(session_factory, Scan) == 0  # nothing partial


def test_same_scan_id_twice_in_one_batch_is_422(client, station_headers, scans, demo):
    scan = scans.scan(demo["unit_codes"][0])
    response = client.post(
        "/api/v1/scans/batch", json={"scans": [scan, scan]}, headers=station_headers
    )
    assert response.status_code == 422


def test_two_concurrent_uploads_of_the_same_batch_apply_once(
    app, station_headers, scans, demo, session_factory
):
    from fastapi.testclient import TestClient

    batch = [scans.scan(code) for code in demo["unit_codes"]] + [scans.scan(demo["case_code"])]
    answers: list[list[dict]] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post(
                "/api/v1/scans/batch", json={"scans": batch}, headers=station_headers
            )
            assert response.status_code == 200, response.text
            answers.append(response.json()["results"])

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 2
    answers.sort(key=lambda answer: answer[0]["status"] == "duplicate")
    first, second = answers
    assert "duplicate" not in {r["status"] for r in first}
    assert {r["status"] for r in second} == {"duplicate"}
    assert [r["original_status"] for r in second] == [r["status"] for r in first]
    assert _count(session_factory, Movement) == len(demo["unit_codes"]) + 2


def test_scan_answers_are_counted_in_metrics(client, upload, scans, demo):
    def counted(status: str) -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith(f'rentguy_scans_total{{status="{status}"}}'):
                return float(line.split()[-1])
        return 0.0

    before = {s: counted(s) for s in ("applied", "duplicate", "rejected")}
    first = scans.scan(demo["unit_codes"][0])
    upload(first, scans.scan("RG-NO-SUCH-CODE"))
    upload(first)  # resent: a duplicate
    after = {s: counted(s) - before[s] for s in before}
    assert after == {"applied": 1, "duplicate": 1, "rejected": 1}
