"""Issue 17 items 3 and 4 end to end: the real server on loopback, the real kiosk.

Undo reads as undo: *out, undo, out* of one unit leaves the pick list at out 1, in 0 once
the server's counts come back (not out 2, in 1), and the undone scan reads as undone.
Reasons are codes: the server's conflict reason shows in the kiosk's language, whole, and
re-renders when the operator switches language.
"""

from __future__ import annotations

import pytest

from tests.helpers.kiosk import choose_project, log_in, recent_states, wedge_scan

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def _record(qtbot, kiosk, code: str):
    with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=5000) as recorded:
        wedge_scan(qtbot, kiosk, code)
    return recorded.args[0].scan


def _counted_by_server(kiosk) -> bool:
    """Every answered scan is in the server's counts the kiosk mirrors."""
    return (
        kiosk.store.queue_depth() == 0
        and not kiosk.store.db.execute(
            "SELECT 1 FROM scans WHERE in_reference = 0 AND seq IS NOT NULL"
        ).fetchall()
    )


def _line(kiosk, product_id: str):
    return next(line for line in kiosk.controller.pick_list() if line.product_id == product_id)


def test_out_undo_out_reads_out_one_and_the_undone_scan_as_undone(qtbot, live, kiosk):
    _server, demo = live
    log_in(qtbot, kiosk, demo["badge_code"])
    choose_project(qtbot, kiosk, 0)
    speaker = next(code for code in demo["unit_codes"] if "SPK" in code)

    first = _record(qtbot, kiosk, speaker)
    qtbot.waitUntil(lambda: recent_states(kiosk) == ["synced"], timeout=15_000)
    with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=5000):
        kiosk.window.scan.undo_button.click()
    _record(qtbot, kiosk, speaker)
    qtbot.waitUntil(lambda: _counted_by_server(kiosk), timeout=30_000)
    kiosk.window.refresh_scans()

    line = _line(kiosk, first.product_id)
    assert (line.out, line.returned) == (1, 0)
    table = kiosk.window.scan.pick_list
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == line.name)
    assert (table.item(row, 2).text(), table.item(row, 3).text()) == ("1", "0")
    # Newest first: the rescan, the undo, the undone scan.
    assert recent_states(kiosk) == ["synced", "synced", "undone"]
    recent = kiosk.window.scan.recent
    assert recent.item(1, 2).text() == "Undone" and recent.item(2, 1).font().strikeOut()


def test_server_reason_is_shown_translated_whole_and_re_rendered_on_language_switch(
    qtbot, live, kiosk
):
    _server, demo = live
    log_in(qtbot, kiosk, demo["badge_code"])
    choose_project(qtbot, kiosk, 0)
    speaker = next(code for code in demo["unit_codes"] if "SPK" in code)
    _record(qtbot, kiosk, speaker)
    _record(qtbot, kiosk, speaker)  # already out on this project: the server flags it
    qtbot.waitUntil(lambda: recent_states(kiosk)[0] == "conflict", timeout=15_000)
    stored = kiosk.store.recent_scans(1)[0]
    assert stored.server_result["reasons"][0]["code"] == "already_out_this_project"

    english = f"Unit {speaker} was already out on this project."
    assert kiosk.window.scan.recent.item(0, 4).text() == english
    kiosk.window.scan.recent.cellClicked.emit(0, 4)  # a tap shows the whole reason
    assert english in kiosk.window.scan.banner.text()

    kiosk.set_language("nl")
    kiosk.window.settings.back.click()
    kiosk.window.refresh_scans()
    dutch = f"Exemplaar {speaker} was al uit op dit project."
    assert kiosk.window.scan.recent.item(0, 4).text() == dutch
    kiosk.window.problems.show_problems(kiosk.controller.problems())
    assert kiosk.window.problems.table.item(0, 4).text() == dutch
