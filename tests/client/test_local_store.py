"""The local SQLite store: durable outbox, seq order, migrations, results, the mirror."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest

from client.store import MIGRATIONS, LocalStore, SchemaVersionError, UnknownScanError
from shared.protocol import ScanResult, ScanStatus

T0 = datetime(2025, 4, 25, 7, 30, tzinfo=UTC)


def enqueue(store: LocalStore, demo, code: str = "RG-U-0001", **overrides):
    values = {
        "station_id": str(demo.station_id),
        "user_id": str(demo.user_id),
        "project_id": str(demo.project_id),
        "mode": "out",
        "code": code,
        "normalized_code": code,
        "source": "wedge",
        "scanned_at": T0,
        "local_verdict": "ok",
    }
    values.update(overrides)
    return store.enqueue_scan(**values)


def result(scan, status: ScanStatus, reason: str | None = None) -> ScanResult:
    return ScanResult(scan_id=uuid.UUID(scan.scan_id), status=status, reason=reason)


def test_opens_in_wal_mode_with_full_sync(store):
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_memory_store_works_for_quick_use():
    with LocalStore(":memory:") as memory:
        assert memory.queue_depth() == 0
        assert memory.schema_version() == MIGRATIONS[-1].number


def test_migrations_are_recorded_once(tmp_path):
    path = tmp_path / "k.sqlite3"
    LocalStore(path).close()
    with LocalStore(path) as again:
        applied = again.applied_migrations()
    assert [(m["id"], m["name"]) for m in applied] == [(m.number, m.name) for m in MIGRATIONS]
    assert all(datetime.fromisoformat(m["applied_at"]).tzinfo for m in applied)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "k.sqlite3"
    LocalStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO migrations VALUES (999, 'from the future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaVersionError, match="999"):
        LocalStore(path)


def test_enqueue_is_committed_before_it_returns(store, demo, tmp_path):
    scan = enqueue(store, demo)
    # A second connection (as the sync thread has) sees the row at once: it is committed.
    with LocalStore(tmp_path / "kiosk.sqlite3") as other:
        seen = other.get_scan(scan.scan_id)
    assert seen == scan
    assert scan.state == "queued" and scan.seq == 1
    assert uuid.UUID(scan.scan_id).version == 7
    assert scan.scanned_at == T0 and scan.scanned_at.tzinfo is not None


def test_seq_grows_and_batches_come_in_seq_order(store, demo):
    scans = [enqueue(store, demo, code=f"RG-U-{n:04d}") for n in range(1, 6)]
    assert [s.seq for s in scans] == [1, 2, 3, 4, 5]
    assert [s.seq for s in store.queued_batch(3)] == [1, 2, 3]
    store.apply_results([result(scans[0], ScanStatus.APPLIED)])
    assert [s.seq for s in store.queued_batch(10)] == [2, 3, 4, 5]
    assert store.queue_depth() == 4


def test_a_failed_transaction_stores_nothing(store, demo):
    with pytest.raises(RuntimeError), store.atomic():
        enqueue(store, demo)  # nested: a savepoint inside the outer transaction
        raise RuntimeError("power cut")
    assert store.queue_depth() == 0
    assert enqueue(store, demo).seq == 1  # the rolled-back seq was not burnt


def test_naive_timestamps_are_refused(store, demo):
    with pytest.raises(ValueError, match="naive"):
        enqueue(store, demo, scanned_at=datetime(2025, 4, 25, 7, 30))


def test_results_mark_rows_and_keep_the_answer(store, demo):
    applied, duplicate, conflict, rejected = (
        enqueue(store, demo, code=f"RG-U-{n:04d}") for n in range(1, 5)
    )
    changed = store.apply_results(
        [
            result(applied, ScanStatus.APPLIED),
            result(duplicate, ScanStatus.DUPLICATE),
            result(conflict, ScanStatus.CONFLICT, "unit is out on project Philips"),
            result(rejected, ScanStatus.REJECTED, "unknown code"),
        ]
    )
    assert changed == 4
    states = {s.scan_id: s for s in store.recent_scans(10)}
    assert states[applied.scan_id].state == "synced"
    assert states[duplicate.scan_id].state == "synced"  # the first answer was "applied"
    assert states[conflict.scan_id].state == "conflict"
    assert states[conflict.scan_id].reason == "unit is out on project Philips"
    assert states[rejected.scan_id].state == "rejected"
    assert states[rejected.scan_id].server_result["status"] == "rejected"
    assert all(s.synced_at is not None and s.synced_at.tzinfo for s in states.values())
    assert store.queue_depth() == 0


def test_a_late_second_answer_does_not_overwrite_the_first(store, demo):
    scan = enqueue(store, demo)
    store.apply_results([result(scan, ScanStatus.CONFLICT, "first answer")])
    assert store.apply_results([result(scan, ScanStatus.DUPLICATE)]) == 0
    assert store.get_scan(scan.scan_id).state == "conflict"


def test_rows_are_never_deleted(store, demo):
    scan = enqueue(store, demo)
    store.apply_results([result(scan, ScanStatus.REJECTED, "unknown code")])
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        store.db.execute("DELETE FROM scans")
    assert store.count_scans() == {"queued": 0, "synced": 0, "conflict": 0, "rejected": 1}


def test_queue_survives_close_and_reopen(tmp_path, demo):
    path = tmp_path / "k.sqlite3"
    with LocalStore(path) as first:
        ids = [enqueue(first, demo, code=f"RG-U-{n:04d}").scan_id for n in range(1, 4)]
    with LocalStore(path) as second:
        assert [s.scan_id for s in second.queued_batch(10)] == ids
        assert enqueue(second, demo).seq == 4


def test_local_only_rows_are_kept_but_never_queued(store, demo):
    bad = enqueue(
        store,
        demo,
        code="\x01",
        normalized_code=None,
        local_verdict="invalid",
        reason="Unreadable code",
        local_only=True,
    )
    good = enqueue(store, demo)
    assert (bad.seq, bad.state) == (None, "rejected")
    assert good.seq == 1
    assert [s.scan_id for s in store.queued_batch(10)] == [good.scan_id]
    assert [s.scan_id for s in store.recent_scans(10)] == [good.scan_id, bad.scan_id]


def test_unknown_scan_id_is_a_named_error(store):
    with pytest.raises(UnknownScanError):
        store.get_scan(uuid.uuid4())


def test_wire_form_matches_the_protocol(store, demo):
    scan = enqueue(store, demo, symbology="code128", source="serial", qty=3)
    wire = scan.to_scan_in()
    assert wire.scan_id == uuid.UUID(scan.scan_id)
    assert (wire.seq, wire.qty, str(wire.mode), str(wire.source)) == (1, 3, "out", "serial")
    assert wire.scanned_at == T0


# -- the reference mirror -------------------------------------------------------------------


def test_replace_reference_swaps_everything_and_keeps_the_cursor(store, demo):
    assert not store.has_reference() and store.badge_hash_key() is None
    store.replace_reference(demo.snapshot("c1"))
    store.replace_reference(demo.snapshot("c2"))  # a second full snapshot replaces, not adds
    assert store.reference_cursor() == "c2"
    assert store.station_id() == str(demo.station_id)
    assert store.badge_hash_key() == demo.badge_key
    assert store.badge_auth() == demo.badge_auth()
    assert store.db["ref_units"].count == 13
    assert [p.name for p in store.open_projects()] == [
        "Koningsdag Utrecht 2025",
        "Bedrijfsfeest Philips",
    ]  # the closed one is not offered


def test_lookup_code_knows_units_cases_and_products(mirrored_store, demo):
    unit = mirrored_store.lookup_code("RG-U-0002")
    assert (unit.kind, unit.name, unit.unit_id) == ("unit", "Shure SM58", str(demo.unit_id(2)))
    case = mirrored_store.lookup_code("RG-C-0001")
    assert case.kind == "case" and case.case_kind == "fixed"
    assert set(case.units) == {
        (str(demo.unit_id(4)), str(demo.sm58)),
        (str(demo.unit_id(5)), str(demo.sm58)),
    }
    kit = mirrored_store.lookup_code("RG-C-0002")
    assert kit.unit_ids == ()
    bulk = mirrored_store.lookup_code(demo.xlr_normalized)
    assert (bulk.kind, bulk.product_id) == ("bulk", str(demo.xlr))
    assert mirrored_store.lookup_code("RG-P-SM58").kind == "product"
    assert mirrored_store.lookup_code("NOPE") is None


def test_project_counts_add_local_scans_until_the_server_counts_them(mirrored_store, demo):
    store = mirrored_store
    before = {
        line.name: (line.expected, line.out) for line in store.project_counts(str(demo.project_id))
    }
    assert before["Shure SM58"] == (4, 1)
    scan = enqueue(
        store,
        demo,
        product_id=str(demo.sm58),
        unit_id=str(demo.unit_id(1)),
        unit_ids=[str(demo.unit_id(1))],
        effects={str(demo.sm58): 1},
    )
    extra = enqueue(
        store, demo, code="RG-B-PC5", product_id=str(demo.powercon), effects={str(demo.powercon): 1}
    )
    counts = {line.name: line for line in store.project_counts(str(demo.project_id))}
    assert counts["Shure SM58"].out == 2
    assert counts["Powercon kabel 5 m"].expected == 0  # scanned but not on the pick list
    assert not counts["Powercon kabel 5 m"].on_pick_list

    # Synced, then a snapshot that counts it: the local scan must not be counted twice.
    store.apply_results([result(scan, ScanStatus.APPLIED), result(extra, ScanStatus.REJECTED)])
    assert {line.name: line.out for line in store.project_counts(str(demo.project_id))}[
        "Shure SM58"
    ] == 2
    store.replace_reference(demo.snapshot("c2", pick_out=2))
    counts = {line.name: line for line in store.project_counts(str(demo.project_id))}
    assert counts["Shure SM58"].out == 2
    assert "Powercon kabel 5 m" not in counts  # rejected scans never count


def test_local_unit_locations_follow_pending_scans(mirrored_store, demo):
    store = mirrored_store
    u1, u6 = str(demo.unit_id(1)), str(demo.unit_id(6))
    assert store.local_unit_locations([u1, u6]) == {u1: None, u6: str(demo.other_project_id)}
    enqueue(store, demo, unit_ids=[u1])
    assert store.local_unit_locations([u1]) == {u1: str(demo.project_id)}
    enqueue(store, demo, mode="in", unit_ids=[u1])
    assert store.local_unit_locations([u1]) == {u1: None}


def test_item_labels_name_products_and_cases(mirrored_store, demo):
    unit = enqueue(mirrored_store, demo, product_id=str(demo.sm58))
    case = enqueue(
        mirrored_store,
        demo,
        code="RG-C-0001",
        case_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "https://rentguy.test/case/mics")),
    )
    unknown = enqueue(mirrored_store, demo, code="NOPE")
    labels = mirrored_store.item_labels([unit, case, unknown])
    assert labels == {unit.scan_id: "Shure SM58", case.scan_id: "Case microfoons 1"}
