"""Every kiosk screen at three screen sizes in both languages, right after its first show:
nothing overlaps, every text fits, nothing is cut, touch sizes hold (tests/client/layout_check).

The pictures it took are kept under ``RENTGUY_LAYOUT_DIR`` (default test-output/layout).
"""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from client.app import KioskApp, build_app
from shared.protocol import ScanResult
from tests.client import test_kiosk_screens as screens
from tests.client.layout_check import LANGUAGES, SIZES, layout_problems, save_screenshot
from tests.helpers.kiosk import choose_project, enter_pin, log_in
from tests.helpers.kiosk import wedge_scan as scan

pytestmark = pytest.mark.gui

# The kiosk as test_kiosk_screens builds it: real widgets, a MockTransport server.
server = screens.server
make_kiosk = screens.make_kiosk


def _admin_badge(kiosk: KioskApp, demo) -> None:
    demo.add_badge(kiosk.store, screens.ADMIN_BADGE, "Ahmed", ["admin"], pin=screens.ADMIN_PIN)


def _long_job(qtbot, kiosk: KioskApp, demo) -> None:
    """Scans of every kind, one answered as a conflict with a long reason."""
    for code in ("RG-U-0001", "RG-U-0006", "RG-C-0001", demo.xlr_barcode, "RG-U-0007"):
        scan(qtbot, kiosk, code)
    newest = kiosk.store.recent_scans(5)
    kiosk.store.apply_results(
        [
            ScanResult(scan_id=newest[-1].scan_id, status="applied"),
            ScanResult(
                scan_id=newest[-2].scan_id,
                status="conflict",
                reason="uit op Bedrijfsfeest Philips sinds 2 mei",
            ),
        ]
    )
    kiosk.window.refresh_scans()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_lays_out_on_first_show(qtbot, make_kiosk, demo, language, size):
    width, height = size
    kiosk = make_kiosk(sync=False, language=language)
    window = kiosk.window
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size().width() == width)
    failures: dict[str, list[str]] = {}

    def check(name: str) -> None:
        qtbot.wait(50)  # let posted layout requests run, as a real event loop would
        assert window.size().width() == width and window.size().height() == height
        problems = layout_problems(window)
        save_screenshot(window, f"{name}-{language}-{width}x{height}")
        if problems:
            failures[name] = problems

    check("login-fresh")
    # A fresh kiosk opens its settings without a badge (to be enrolled): the first show.
    qtbot.mouseClick(window.login.settings, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.settings
    check("settings-fresh")
    qtbot.mouseClick(window.settings.back, Qt.MouseButton.LeftButton)
    kiosk.store.replace_reference(demo.snapshot())
    window.refresh_reference()
    _admin_badge(kiosk, demo)
    check("login")
    qtbot.mouseClick(window.login.settings, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.admin_gate
    check("admin-gate")
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=5000):
        scan(qtbot, kiosk, screens.ADMIN_BADGE)
    assert window.stack.currentWidget() is window.pin
    check("pin")
    with qtbot.waitSignal(kiosk.controller.admin_badge, timeout=5000):
        enter_pin(qtbot, kiosk, screens.ADMIN_PIN)
    assert window.stack.currentWidget() is window.settings
    check("settings")
    qtbot.mouseClick(window.settings.back, Qt.MouseButton.LeftButton)
    log_in(qtbot, kiosk, demo.badge_code)
    check("projects")
    choose_project(qtbot, kiosk)
    _long_job(qtbot, kiosk, demo)
    check("scan-out")
    window.scan.mode_buttons["in"].click()
    check("scan-in")
    if height >= 800:  # the screen: the whole pick list, no row cut, no scrolling
        pick_list = window.scan.pick_list
        last = pick_list.rowCount() - 1
        assert not pick_list.verticalScrollBar().isVisible()
        bottom = pick_list.rowViewportPosition(last) + pick_list.rowHeight(last)
        assert bottom <= pick_list.viewport().height()
    qtbot.mouseClick(window.scan.problems_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.problems
    check("problems")
    qtbot.mouseClick(window.problems.back, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.scan.quantity_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.quantity
    check("quantity")
    # The server revoked the station: the dead end it shows, naming its export file.
    kiosk.store.wipe_revoked(kiosk.config.data_dir)
    window.show_revoked()
    assert window.stack.currentWidget() is window.revoked
    check("revoked")
    assert not failures, "\n".join(f"{n}: {p}" for n, ps in failures.items() for p in ps)


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_lay_out_the_first_time_they_open(qtbot, kiosk_config, language):
    """The issue's first screen: a new kiosk, its settings opened once, nothing else."""
    config = dataclasses.replace(kiosk_config, language=language, station_token_file=None)
    kiosk = build_app(config, start_sync=False, start_scanners=False)
    try:
        kiosk.show()
        qtbot.waitExposed(kiosk.window)
        qtbot.wait(50)  # the login screen is up a moment, as for a person (X11 needs it)
        kiosk.window.login.settings.click()
        qtbot.wait(10)
        problems = layout_problems(kiosk.window)
        save_screenshot(kiosk.window, f"settings-first-{language}")
        assert problems == []
        # Its texts are in the kiosk's language too (this one was English in Dutch).
        station = {"nl": "niet aangemeld", "en": "not enrolled"}[language]
        assert kiosk.window.settings.station.text() == station
    finally:
        kiosk.shutdown()
