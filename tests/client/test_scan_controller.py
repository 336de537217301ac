"""ScanController: badge login offline, local verdicts, commit before feedback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from client.controller import ScanController, VerdictLevel
from client.scanners.base import ScanRead
from client.store import LocalStore


@pytest.fixture
def controller(qapp, mirrored_store, demo):
    ctl = ScanController(mirrored_store)
    assert ctl.login_badge(demo.badge_code)
    ctl.choose_project(str(demo.project_id))
    return ctl


def read(code: str, symbology: str = "") -> ScanRead:
    return ScanRead(
        code=code,
        symbology=symbology,
        source="wedge",
        read_at=datetime(2025, 4, 25, 8, 0, tzinfo=UTC),
    )


def counts(ctl: ScanController) -> dict[str, tuple[int, int, int]]:
    return {line.name: (line.expected, line.out, line.returned) for line in ctl.pick_list()}


def test_login_needs_reference_data_first(qapp, store, qtbot):
    ctl = ScanController(store)
    with qtbot.waitSignal(ctl.login_failed) as failed:
        assert ctl.login_badge("BADGE-0042") is False
    assert "no reference data yet" in failed.args[0].lower()
    assert ctl.session is None


def test_badge_login_works_offline_from_the_mirror(qapp, mirrored_store, demo, qtbot):
    ctl = ScanController(mirrored_store)
    # An unknown badge is asked for a PIN first (as a PIN badge is: issue 15), then refused.
    with qtbot.waitSignal(ctl.pin_needed):
        ctl.login_badge("BADGE-9999")
    with qtbot.waitSignal(ctl.login_failed):
        ctl.enter_pin("1234")
    with qtbot.waitSignal(ctl.logged_in) as logged_in:
        ctl.submit(read(f"  {demo.badge_code} "))  # a read while logged out is a badge
    assert logged_in.args[0].name == "Sanne de Vries"
    assert ctl.session.user_id == str(demo.user_id)
    with qtbot.waitSignal(ctl.logged_out):
        ctl.logout()
    assert ctl.session is None and ctl.project is None


def test_scans_need_a_project(qapp, mirrored_store, demo, qtbot):
    ctl = ScanController(mirrored_store)
    ctl.login_badge(demo.badge_code)
    with qtbot.waitSignal(ctl.scan_refused):
        ctl.submit(read("RG-U-0001"))
    assert mirrored_store.count_scans()["queued"] == 0


def test_feedback_comes_only_after_the_commit(controller, tmp_path):
    seen_in_db = []

    def check(verdict) -> None:
        # A separate connection, like the sync thread's: the row must already be committed.
        with LocalStore(tmp_path / "kiosk.sqlite3") as other:
            seen_in_db.append(other.get_scan(verdict.scan.scan_id).state)

    controller.scan_recorded.connect(check)
    controller.handle(read("RG-U-0001"))
    assert seen_in_db == ["queued"]


def test_known_unit_on_the_pick_list_is_ok(controller, demo):
    verdict = controller.handle(read("RG-U-0001"))
    assert verdict.level == VerdictLevel.OK and verdict.message == "Shure SM58"
    scan = verdict.scan
    assert (scan.state, scan.seq, scan.mode, scan.unit_id) == (
        "queued",
        1,
        "out",
        str(demo.unit_id(1)),
    )
    assert scan.user_id == str(demo.user_id) and scan.station_id == str(demo.station_id)
    assert counts(controller)["Shure SM58"] == (4, 2, 0)


def test_unknown_code_is_queued_for_the_server_to_judge(controller):
    verdict = controller.handle(read("RG-U-9999"))
    assert verdict.level == VerdictLevel.UNKNOWN
    assert verdict.scan.state == "queued" and verdict.scan.seq == 1
    assert "RG-U-9999" in verdict.message


def test_a_second_offline_out_of_the_same_unit_is_flagged(controller):
    first = controller.handle(read("RG-U-0002"))
    second = controller.handle(read("RG-U-0002"))
    assert first.level == VerdictLevel.OK
    assert second.level == VerdictLevel.WARNING and "already scanned out" in second.message
    assert second.scan.state == "queued"  # flagged, still recorded: it happened
    assert controller.store.queue_depth() == 2
    assert counts(controller)["Shure SM58"] == (4, 2, 0)  # counted once


def test_a_unit_out_on_another_project_is_flagged(controller):
    verdict = controller.handle(read("RG-U-0006"))
    assert verdict.level == VerdictLevel.WARNING and "another project" in verdict.message


def test_a_damaged_unit_is_flagged(controller):
    verdict = controller.handle(read("RG-U-0013"))
    assert verdict.level == VerdictLevel.WARNING and "damaged" in verdict.message


def test_unreadable_codes_are_kept_and_shown_never_dropped(controller):
    bad = controller.handle(read("5901234123458", symbology="ean13"))  # wrong check digit
    assert bad.level == VerdictLevel.INVALID and "check digit" in bad.message
    stored = (bad.scan.state, bad.scan.seq, bad.scan.local_verdict)
    assert stored == ("rejected", None, VerdictLevel.INVALID)
    empty = controller.handle(read("\x02\x03"))
    assert empty.level == VerdictLevel.INVALID
    recent = [scan.scan_id for scan, _label in controller.recent()]
    assert recent == [empty.scan.scan_id, bad.scan.scan_id]
    assert controller.store.queue_depth() == 0  # nothing the server could never read


def test_bulk_codes_are_normalized_and_counted(controller, demo):
    verdict = controller.handle(read(demo.xlr_barcode, symbology="ean13"))
    assert verdict.level == VerdictLevel.OK
    assert verdict.scan.normalized_code == demo.xlr_normalized
    assert verdict.scan.code == demo.xlr_barcode  # sent as read; the server normalizes too
    assert counts(controller)["XLR-kabel 10 m"] == (20, 1, 0)


def test_a_fixed_case_moves_its_contents(controller):
    verdict = controller.handle(read("RG-C-0001"))
    assert verdict.level == VerdictLevel.OK and verdict.scan.case_id is not None
    assert counts(controller)["Shure SM58"] == (4, 3, 0)
    # Already out, in the case.
    assert controller.handle(read("RG-U-0004")).level == VerdictLevel.WARNING


def test_over_picking_and_off_list_items_are_flagged(controller):
    for n in (1, 2, 3):
        assert controller.handle(read(f"RG-U-000{n}")).level == VerdictLevel.OK
    over = controller.handle(read("RG-U-0005"))
    assert over.level == VerdictLevel.WARNING and "more than the pick list" in over.message
    off_list = controller.handle(read("RG-B-PC5"))
    assert off_list.level == VerdictLevel.WARNING and "not on the pick list" in off_list.message


def test_a_serialized_products_own_barcode_asks_for_the_unit(controller):
    verdict = controller.handle(read("RG-P-SM58"))
    assert verdict.level == VerdictLevel.WARNING and "unit" in verdict.message


def test_return_of_a_unit_that_was_not_out_is_flagged(controller, qtbot):
    with qtbot.waitSignal(controller.mode_changed):
        controller.set_mode("in")
    assert controller.handle(read("RG-U-0003")).level == VerdictLevel.WARNING
    controller.set_mode("out")
    controller.handle(read("RG-U-0001"))
    controller.set_mode("in")
    back = controller.handle(read("RG-U-0001"))
    assert back.level == VerdictLevel.OK and back.scan.mode == "in"
    assert counts(controller)["Shure SM58"] == (4, 2, 1)


def test_audit_scans_are_recorded_without_moving_anything(controller):
    controller.set_mode("audit")
    verdict = controller.handle(read("RG-U-0006"))
    assert verdict.level == VerdictLevel.OK and verdict.scan.mode == "audit"
    assert counts(controller)["Shure SM58"] == (4, 1, 0)
    with pytest.raises(ValueError):
        controller.set_mode("annul")  # annulling is "undo last scan", not a mode to pick


def now_read(code: str, symbology: str = "") -> ScanRead:
    return ScanRead(code=code, symbology=symbology, source="wedge")


def test_bulk_quantity_applies_to_the_next_bulk_scan_only(controller, demo, qtbot):
    with qtbot.waitSignal(controller.quantity_changed):
        controller.set_quantity(12)
    verdict = controller.handle(read(demo.xlr_barcode, symbology="ean13"))
    assert verdict.scan.qty == 12 and verdict.scan.to_scan_in().qty == 12
    assert counts(controller)["XLR-kabel 10 m"] == (20, 12, 0)
    assert controller.quantity == 1  # back to one after the scan
    controller.set_quantity(5)
    assert controller.handle(read("RG-U-0001")).scan.qty == 1  # a unit is always one
    with pytest.raises(ValueError):
        controller.set_quantity(0)


def test_undo_annuls_the_last_scan_by_its_id(controller):
    first = controller.handle(now_read("RG-U-0001"))
    second = controller.handle(now_read("RG-U-0002"))
    assert counts(controller)["Shure SM58"] == (4, 3, 0)
    undo = controller.undo_last()
    assert undo.scan.mode == "annul" and undo.scan.annuls_scan_id == second.scan.scan_id
    wire = undo.scan.to_scan_in()
    assert wire.mode == "annul" and str(wire.annuls_scan_id) == second.scan.scan_id
    assert counts(controller)["Shure SM58"] == (4, 2, 0)
    # The unit is back on the shelf: scanning it out again is fine.
    assert controller.handle(now_read("RG-U-0002")).level == VerdictLevel.OK
    controller.undo_last()
    controller.undo_last()
    assert (
        controller.store.last_undoable_scan(controller.session.user_id, controller.project.id)
        is None
    )
    assert counts(controller)["Shure SM58"] == (4, 1, 0)
    assert first.scan.scan_id in controller.store.annulled_ids([first.scan.scan_id])


def test_undo_only_within_the_time_window(controller, qtbot):
    controller.handle(read("RG-U-0001"))  # read_at long ago
    with qtbot.waitSignal(controller.scan_refused) as refused:
        assert controller.undo_last() is None
    assert "Nothing to undo" in refused.args[0]


def test_a_return_can_be_marked_damaged(controller, qtbot):
    controller.handle(now_read("RG-U-0001"))
    controller.set_mode("in")
    with qtbot.waitSignal(controller.condition_changed):
        controller.set_condition("damaged")
    back = controller.handle(now_read("RG-U-0001"))
    assert back.scan.condition == "damaged"
    assert back.scan.to_scan_in().condition == "damaged"  # the server learns it too
    assert controller.condition is None  # one scan only
    assert controller.handle(now_read("RG-U-0002")).scan.condition is None
    with pytest.raises(ValueError):
        controller.set_condition("lost")


def test_problems_lists_conflicts_and_rejections(controller):
    ok = controller.handle(now_read("RG-U-0001"))
    bad = controller.handle(now_read("RG-U-0006"))
    from shared.protocol import ScanResult

    controller.store.apply_results(
        [
            ScanResult(scan_id=ok.scan.scan_id, status="applied"),
            ScanResult(scan_id=bad.scan.scan_id, status="conflict", reason="out elsewhere"),
        ]
    )
    problems = controller.problems()
    assert [(s.state, s.reason, label) for s, label in problems] == [
        ("conflict", "out elsewhere", "Shure SM58")
    ]
