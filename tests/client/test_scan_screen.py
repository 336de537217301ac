"""The scan screen with demo-like data: what it shows, and a screenshot of it.

Set RENTGUY_SCREENSHOT_DIR (e.g. to docs/img) to keep the screenshot as
``kiosk-scan-screen.png``; otherwise it goes to the test's tmp_path.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from client.app import KioskApp, build_app
from client.scanners.base import ScanRead
from client.sync.worker import SyncStatus
from shared.protocol import ScanResult, ScanStatus
from tests.helpers.server_version import current_server

pytestmark = pytest.mark.gui


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("no route to host", request=request)


@pytest.fixture
def offline_http():
    client = httpx.Client(transport=current_server(_unreachable))
    yield client
    client.close()


@pytest.fixture
def scan_screen(qtbot, kiosk_config, demo, offline_http) -> KioskApp:
    kiosk = build_app(kiosk_config, start_sync=False, http_client=offline_http)
    qtbot.addWidget(kiosk.window)
    kiosk.store.replace_reference(demo.snapshot())
    kiosk.window.resize(1280, 800)
    kiosk.show()
    qtbot.waitExposed(kiosk.window)
    with qtbot.waitSignal(kiosk.controller.logged_in, timeout=5000):
        kiosk.controller.login_badge(demo.badge_code)
    kiosk.controller.choose_project(str(demo.project_id))
    yield kiosk
    kiosk.shutdown()


def scan(kiosk: KioskApp, code: str, symbology: str = ""):
    kiosk.scanner.scanned.emit(ScanRead(code=code, symbology=symbology))
    return kiosk.store.recent_scans(1)[0]


def answer(kiosk: KioskApp, scan, status: ScanStatus, reason: str | None = None) -> None:
    kiosk.store.apply_results(
        [ScanResult(scan_id=uuid.UUID(scan.scan_id), status=status, reason=reason)]
    )


def test_the_scan_screen_shows_the_job(qtbot, scan_screen, demo, tmp_path):
    kiosk = scan_screen
    window, screen = kiosk.window, kiosk.window.scan
    first = scan(kiosk, "RG-U-0001")
    answer(kiosk, first, ScanStatus.APPLIED)
    conflict = scan(kiosk, "RG-U-0006")
    answer(kiosk, conflict, ScanStatus.CONFLICT, "Was uitgegeven op Bedrijfsfeest Philips")
    unknown = scan(kiosk, "RG-U-0999")
    answer(kiosk, unknown, ScanStatus.REJECTED, "Onbekende code")
    scan(kiosk, demo.xlr_barcode, "ean13")
    scan(kiosk, "RG-C-0001")
    scan(kiosk, "RG-U-0007")
    window.refresh_scans()
    window.show_sync_status(
        SyncStatus("ok", True, kiosk.store.queue_depth(), datetime.now(UTC), None)
    )

    assert window.stack.currentWidget() is screen
    assert screen.banner.property("level") == "ok"
    assert "Martin MAC Aura XB" in screen.banner.text()
    assert screen.mode_buttons["out"].isChecked()
    rows = {
        screen.pick_list.item(r, 0).text(): tuple(
            screen.pick_list.item(r, c).text() for c in (1, 2, 3)
        )
        for r in range(screen.pick_list.rowCount())
    }
    assert rows["Shure SM58"] == ("4", "5", "0")  # 1 server + unit 1 + the case's 2 + unit 6
    assert rows["XLR-kabel 10 m"] == ("20", "1", "0")
    states = [screen.recent.item(r, 3).text() for r in range(screen.recent.rowCount())]
    assert states == ["queued", "queued", "queued", "rejected", "conflict", "synced"]
    assert screen.recent.item(4, 4).text() == "Was uitgegeven op Bedrijfsfeest Philips"
    assert window.status_bar.queue.text() == "Queue: 3"

    qtbot.wait(50)  # let the layouts settle after the last updates
    target_dir = Path(os.environ.get("RENTGUY_SCREENSHOT_DIR") or tmp_path)
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / "kiosk-scan-screen.png"
    image = window.grab()
    assert image.save(str(path))
    assert image.width() >= 1280 and image.height() >= 800
    assert path.stat().st_size > 10_000


def test_modes_and_feedback_colours(qtbot, scan_screen):
    kiosk = scan_screen
    screen = kiosk.window.scan
    screen.mode_buttons["in"].click()
    assert kiosk.controller.mode == "in" and screen.mode_buttons["in"].isChecked()
    scan(kiosk, "RG-U-0002")  # not out: amber
    assert screen.banner.property("level") == "warning"
    scan(kiosk, "NIET-BESTAAND")
    assert screen.banner.property("level") == "unknown"
    scan(kiosk, "]E05901234123458")  # EAN-13 with a wrong check digit
    assert screen.banner.property("level") == "invalid"
    assert screen.recent.item(0, 3).text() == "rejected"
    screen.change_project_requested.emit()
    assert kiosk.window.stack.currentWidget() is kiosk.window.projects
    scan(kiosk, "RG-U-0003")  # no project chosen: refused, and said where it is seen
    assert kiosk.window.projects.message.text() == "Choose a project first."
