"""Issue 17 item 3: an undone (annulled) scan counts nothing, and reads as undone.

Undoing an ``out`` books the reverse movement (the ledger stays append-only), but every
count derived from the ledger must treat the scan and its annul as never having happened:
after *out, undo, out* a pick list reads out 1, returned 0 — not out 2, returned 1.
"""

from __future__ import annotations

import pytest

from shared.reference import ReferenceSnapshot


def _status(admin, demo) -> dict:
    return admin("get", f"/api/v1/projects/{demo['project_id']}/status", expect=200).json()


def _line(status: dict, product_id: str) -> dict:
    return next(line for line in status["lines"] if line["product_id"] == product_id)


def _reference(client, station_headers) -> ReferenceSnapshot:
    response = client.get("/api/v1/sync/reference", headers=station_headers)
    assert response.status_code == 200, response.text
    return ReferenceSnapshot.model_validate(response.json())


def test_out_undo_out_counts_one_out_and_no_return(upload, scans, demo, admin):
    code = demo["unit_codes"][0]
    first = scans.scan(code)
    [out] = upload(first)
    product_id = out["movements"][0]["product_id"]
    [annul] = upload(scans.annul(first))
    assert annul["status"] == "applied"
    [again] = upload(scans.scan(code))
    # The rescan is not "already out": the undone scan never happened.
    assert again["status"] == "applied", again["reason"]

    status = _status(admin, demo)
    line = _line(status, product_id)
    assert (line["out"], line["returned"], line["on_site"]) == (1, 0, 1)
    assert [u["barcode"] for u in status["units_out"]] == [code]
    undone = status["undone_scans"]
    assert [(s["scan_id"], s["annulled_by"]) for s in undone] == [
        (first["scan_id"], annul["scan_id"])
    ]

    report = admin("get", f"/api/v1/projects/{demo['project_id']}/return-report", expect=200)
    report = report.json()
    assert (_line(report, product_id)["out"], _line(report, product_id)["returned"]) == (1, 0)
    assert [u["barcode"] for u in report["not_returned"]] == [code]
    assert [s["scan_id"] for s in report["undone_scans"]] == [first["scan_id"]]


def test_undone_out_leaves_the_unit_available_and_the_project_complete(
    upload, scans, demo, admin
):
    first = scans.scan(demo["unit_codes"][0])
    [out] = upload(first)
    upload(scans.annul(first))
    status = _status(admin, demo)
    line = _line(status, out["movements"][0]["product_id"])
    assert (line["out"], line["returned"]) == (0, 0)
    assert status["units_out"] == [] and status["complete"]
    unit = admin("get", f"/api/v1/units/{out['movements'][0]['unit_id']}", expect=200).json()
    assert unit["status"] == "available"
    # The history keeps both rows (append-only), neither counting.
    assert [(m["kind"], m["counted"]) for m in unit["movements"]] == [
        ("out", False),
        ("in", False),
    ]


def test_undone_return_puts_the_unit_back_out_without_counting(upload, scans, demo, admin):
    code = demo["unit_codes"][0]
    [out] = upload(scans.scan(code))
    back = scans.scan(code, mode="in")
    upload(back)
    [annul] = upload(scans.annul(back))
    assert annul["status"] == "applied"
    status = _status(admin, demo)
    line = _line(status, out["movements"][0]["product_id"])
    assert (line["out"], line["returned"]) == (1, 0)
    assert [u["barcode"] for u in status["units_out"]] == [code]


def test_undone_bulk_scan_counts_nothing_in_stock_or_on_the_project(upload, scans, demo, admin):
    first = scans.scan(demo["bulk_code"], qty=3)
    [out] = upload(first)
    product_id = out["movements"][0]["product_id"]
    upload(scans.annul(first))
    upload(scans.scan(demo["bulk_code"], qty=2))
    line = _line(_status(admin, demo), product_id)
    assert (line["out"], line["returned"], line["on_site"]) == (2, 0, 2)
    product = admin("get", f"/api/v1/products/{product_id}", expect=200).json()
    assert product["stock"]["out"] == 2


def test_out_undo_out_in_one_batch_is_counted_once_and_not_flagged(upload, scans, demo, admin):
    code = demo["unit_codes"][0]
    first = scans.scan(code)
    results = upload(first, scans.annul(first), scans.scan(code))
    assert [r["status"] for r in results] == ["applied", "applied", "applied"], results
    line = _line(_status(admin, demo), results[0]["movements"][0]["product_id"])
    assert (line["out"], line["returned"]) == (1, 0)


def test_station_reference_counts_leave_an_undone_scan_out(
    client, station_headers, upload, scans, demo
):
    code = demo["unit_codes"][0]
    _reference(client, station_headers)  # the server now holds a map: the next is a delta
    first = scans.scan(code)
    [out] = upload(first)
    upload(scans.annul(first))
    upload(scans.scan(code))
    for snapshot in (
        _reference(client, station_headers),  # incremental refresh (after movements)
        ReferenceSnapshot.model_validate(
            client.get(
                "/api/v1/sync/reference", params={"full": True}, headers=station_headers
            ).json()
        ),
    ):
        [project] = [p for p in snapshot.projects if str(p.id) == demo["project_id"]]
        product_id = out["movements"][0]["product_id"]
        [line] = [line for line in project.pick_lines if str(line.product_id) == product_id]
        assert (line.out, line.returned) == (1, 0)
        [unit] = [u for u in snapshot.units if u.barcode == code]
        assert unit.status == "out" and str(unit.project_id) == demo["project_id"]


def test_refused_annul_undoes_nothing(upload, scans, demo, admin):
    first = scans.scan(demo["unit_codes"][0])
    [out] = upload(first)
    upload(scans.annul(first))
    [twice] = upload(scans.annul(first))  # refused: already annulled
    assert twice["status"] == "rejected"
    line = _line(_status(admin, demo), out["movements"][0]["product_id"])
    assert (line["out"], line["returned"]) == (0, 0)


def _second_project(admin, product_id: str) -> str:
    body = {"name": "Second job", "pick_list": {"lines": [{"product_id": product_id, "qty": 5}]}}
    return admin("post", "/api/v1/projects", json=body, expect=201).json()["id"]


@pytest.mark.parametrize("one_batch", [False, True], ids=["batches", "one_batch"])
def test_undoing_an_earlier_scan_leaves_a_unit_where_a_later_scan_put_it(
    upload, scans, demo, admin, one_batch
):
    """Out on P, then out on Q (a conflict), then undo the first: the unit is out on Q —
    in the ledger and in the batch deciding the next scan — not back on the shelf."""
    code = demo["unit_codes"][0]
    first = scans.scan(code)
    [out] = upload(first)
    other = _second_project(admin, out["movements"][0]["product_id"])
    on_q = scans.scan(code, project_id=other)
    undo, again = scans.annul(first), scans.scan(code, project_id=other)
    if one_batch:
        results = upload(on_q, undo, again)
    else:
        results = [upload(on_q)[0], upload(undo)[0], upload(again)[0]]
    assert [r["status"] for r in results] == ["conflict", "applied", "conflict"], results
    assert results[2]["reason_code"] == "already_out_this_project"
    unit = admin("get", f"/api/v1/units/{out['movements'][0]['unit_id']}", expect=200).json()
    assert (unit["status"], unit["project_id"]) == ("out", other)
