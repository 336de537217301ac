"""Ingest rules beyond the basics: return condition, deactivated users, annul window and
in-batch annuls, kits, named units, seq order across batches (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from server.db import transaction
from server.identity.models import User
from server.warehouse.models import Case, CaseUnit, Movement, PickUnit, Scan, Unit
from tests.server.warehouse.conftest import count


def _unit_status(admin, code: str) -> dict:
    [unit] = admin("get", "/api/v1/units", params={"q": code}, expect=200).json()["items"]
    return unit


def test_return_damaged_books_in_and_marks_damaged(upload, scans, demo, admin):
    code = demo["unit_codes"][0]
    upload(scans.scan(code))
    [back] = upload(scans.scan(code, mode="in", condition="damaged"))
    assert back["status"] == "applied"
    assert [m["kind"] for m in back["movements"]] == ["in", "damaged"]
    assert _unit_status(admin, code)["status"] == "damaged"
    # A damaged unit going out again is flagged.
    [again] = upload(scans.scan(code))
    assert again["status"] == "conflict"
    assert "marked damaged" in again["reason"]


def test_return_missing_books_no_return(upload, scans, demo, admin):
    code = demo["unit_codes"][1]
    upload(scans.scan(code))
    [gone] = upload(scans.scan(code, mode="in", condition="missing"))
    assert gone["status"] == "applied"
    assert [m["kind"] for m in gone["movements"]] == ["missing"]
    unit = _unit_status(admin, code)
    assert unit["status"] == "missing"
    assert unit["project_id"] == demo["project_id"]


def test_condition_only_with_in(client, station_headers, scans, demo):
    scan = scans.scan(demo["unit_codes"][0], mode="out", condition="damaged")
    response = client.post("/api/v1/scans/batch", json={"scans": [scan]}, headers=station_headers)
    assert response.status_code == 422
    assert "condition" in response.text


def test_case_return_damaged_marks_every_unit(upload, scans, demo):
    upload(scans.scan(demo["case_code"]))
    [back] = upload(scans.scan(demo["case_code"], mode="in", condition="damaged"))
    assert sorted(m["kind"] for m in back["movements"]) == ["damaged", "damaged", "in", "in"]


def test_bulk_return_damaged_counts(upload, scans, demo, admin):
    upload(scans.scan(demo["bulk_code"], qty=10))
    [back] = upload(scans.scan(demo["bulk_code"], mode="in", qty=3, condition="damaged"))
    assert back["status"] == "applied"
    status = admin("get", f"/api/v1/projects/{demo['project_id']}/status", expect=200).json()
    [cable] = [line for line in status["lines"] if line["sku"] == "CBL-XLR10"]
    assert (cable["out"], cable["returned"], cable["damaged"], cable["on_site"]) == (10, 3, 3, 7)


def test_deactivated_user_scans_apply_and_are_flagged(upload, scans, demo, session_factory):
    with transaction(session_factory) as session:
        session.execute(
            update(User).where(User.id == uuid.UUID(demo["crew_user_id"])).values(active=False)
        )
    [result] = upload(scans.scan(demo["unit_codes"][0]))
    assert result["status"] == "conflict"
    assert "user deactivated — review" in result["reason"]
    assert len(result["movements"]) == 1
    # A rejected scan stays rejected (the user flag does not turn it into an application).
    [bad] = upload(scans.scan("NO-SUCH-CODE"))
    assert bad["status"] == "rejected"


def test_annul_window_is_configurable(client, station_headers, scans, demo, app):
    app.state.settings = app.state.settings.model_copy(update={"annul_window_seconds": 0})
    target = scans.scan(demo["unit_codes"][0])
    post = lambda *b: client.post(  # noqa: E731
        "/api/v1/scans/batch", json={"scans": list(b)}, headers=station_headers
    ).json()["results"]
    post(target)
    [late] = post(scans.annul(target))
    assert late["status"] == "rejected"
    assert "too late" in late["reason"]


def test_annul_in_the_same_batch_and_from_another_station(
    upload, scans, demo, session_factory, client, settings
):
    from server.identity import service as identity
    from tests.helpers.scans import ScanFactory

    target = scans.scan(demo["unit_codes"][0])
    results = upload(target, scans.annul(target))
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert [m["kind"] for m in results[1]["movements"]] == ["in"]

    with transaction(session_factory) as session:
        other, token = identity.create_station(session=session, name="Other")
    theirs = ScanFactory(str(other.id), demo["crew_user_id"], demo["project_id"])
    mine = scans.scan(demo["unit_codes"][1])
    upload(mine)
    response = client.post(
        "/api/v1/scans/batch",
        json={"scans": [theirs.annul(mine)]},
        headers={"Authorization": f"Bearer {token}"},
    )
    [foreign] = response.json()["results"]
    assert foreign["status"] == "rejected"
    assert "from this station" in foreign["reason"]


def test_annul_of_damaged_return_is_rejected(upload, scans, demo):
    code = demo["unit_codes"][0]
    upload(scans.scan(code))
    back = scans.scan(code, mode="in", condition="damaged")
    upload(back)
    [annul] = upload(scans.annul(back))
    assert annul["status"] == "rejected"


def test_seq_order_decides_across_a_batch(upload, scans, demo):
    code = demo["unit_codes"][0]
    first, second, third = (scans.scan(code, mode=m) for m in ("out", "in", "out"))
    results = upload(third, first, second)
    assert [r["status"] for r in results] == ["applied"] * 3


def test_over_picking_serialized_and_off_list(upload, scans, demo, session_factory):
    # Pick list asks 4 x SPK-K2; the demo has 8.
    with session_factory() as session:
        k2 = session.scalars(
            select(Unit.barcode).where(Unit.barcode.like("RG-SPK-K2-%")).order_by(Unit.barcode)
        ).all()
    results = upload(*(scans.scan(code) for code in k2[:5]))
    assert [r["status"] for r in results] == ["applied"] * 4 + ["conflict"]
    assert "over-picked: 5 out, pick list asks 4" in results[4]["reason"]


def test_named_units_on_the_pick_list(upload, scans, demo, session_factory):
    with transaction(session_factory) as session:
        k2 = session.scalars(
            select(Unit).where(Unit.barcode.like("RG-SPK-K2-%")).order_by(Unit.barcode)
        ).all()
        session.add(PickUnit(project_id=uuid.UUID(demo["project_id"]), unit_id=k2[0].id))
        codes = [u.barcode for u in k2]
    [named] = upload(scans.scan(codes[0]))
    [other] = upload(scans.scan(codes[1]))
    assert named["status"] == "applied"
    assert other["status"] == "conflict"
    assert "named units" in other["reason"]


@pytest.fixture
def kit(session_factory, demo):
    with transaction(session_factory) as session:
        trusses = session.scalars(
            select(Unit).where(Unit.barcode.like("RG-TRS-3M-%")).order_by(Unit.barcode)
        ).all()[:2]
        case = Case(barcode="RG-KIT-001", name="Truss kit", kind="kit")
        session.add(case)
        session.flush()
        for unit in trusses:
            session.add(CaseUnit(case_id=case.id, unit_id=unit.id))
        return {"code": case.barcode, "units": [u.barcode for u in trusses]}


def test_kit_scan_moves_nothing_and_records_differences(upload, scans, kit, session_factory):
    [early] = upload(scans.scan(kit["code"]))
    assert early["status"] == "conflict"
    assert early["movements"] == []
    assert "2 expected unit(s) not out on this project" in early["reason"]
    upload(scans.scan(kit["units"][0]))
    [partial] = upload(scans.scan(kit["code"]))
    assert "1 expected unit(s)" in partial["reason"]
    assert kit["units"][1] in partial["reason"]
    upload(scans.scan(kit["units"][1]))
    [complete] = upload(scans.scan(kit["code"]))
    assert complete["status"] == "applied"
    with session_factory() as session:
        stored = session.get(Scan, uuid.UUID(partial["scan_id"]))
        assert kit["units"][1] in stored.reason  # the difference is recorded, not just shown


def test_movements_are_append_only_in_the_database(upload, scans, demo, session_factory):
    import sqlalchemy.exc

    upload(scans.scan(demo["unit_codes"][0]))
    with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"):
        with transaction(session_factory) as session:
            session.execute(update(Movement).values(qty=2))
    assert count(session_factory, Movement, Movement.qty == 1) == 1


def test_annul_of_a_rejected_scan_is_rejected_in_any_batch_split(upload, scans):
    bad = scans.scan("NOT-A-LABEL", mode="in")
    first = upload(bad, scans.annul(bad))
    assert [r["status"] for r in first] == ["rejected", "rejected"]
    bad2 = scans.scan("NOT-A-LABEL", mode="in")
    upload(bad2)
    [later] = upload(scans.annul(bad2))
    assert later["status"] == "rejected"
    assert "nothing to annul" in later["reason"]


def test_packing_units_into_a_case_at_a_station(upload, scans, demo, admin, session_factory):
    loose = [u for u in admin("get", "/api/v1/units", params={"q": "RG-LGT-MAC"}).json()["items"]]
    free = next(u for u in loose if u["case_id"] is None)
    packed = next(u for u in loose if u["case_id"] is not None)
    admin(
        "post",
        "/api/v1/cases",
        json={"barcode": "RG-CASE-NEW", "name": "New case", "kind": "fixed"},
        expect=201,
    )
    # Pack a loose unit into the demo case, then scan the case out in the same batch.
    results = upload(
        scans.scan(free["barcode"], mode="audit", case_code=demo["case_code"]),
        scans.scan(demo["case_code"]),
    )
    assert results[0]["status"] == "applied" and results[0]["movements"] == []
    assert len(results[1]["movements"]) == 3
    # Moving a unit out of its case into another is applied and flagged for review.
    [moved] = upload(scans.scan(packed["barcode"], mode="audit", case_code="RG-CASE-NEW"))
    assert moved["status"] == "conflict"
    assert "taken out of case" in moved["reason"]
    [new_case] = admin("get", "/api/v1/cases", params={"q": "RG-CASE-NEW"}).json()["items"]
    assert new_case["unit_ids"] == [packed["id"]]
    [bad] = upload(scans.scan(demo["case_code"], mode="audit", case_code="RG-CASE-NEW"))
    assert bad["status"] == "rejected"
    [unknown] = upload(scans.scan(free["barcode"], mode="audit", case_code="RG-NO-CASE"))
    assert "unknown case" in unknown["reason"]
