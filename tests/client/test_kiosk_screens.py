"""The kiosk's screens driven like an operator does: taps, keys and badge scans.

A MockTransport server follows shared.auth (badge login, enrolment) and the sync API; the
widgets, the store, the wedge filter and the translations are the real ones.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QCoreApplication, Qt

from client.app import KioskApp, build_app
from client.sync.worker import SyncStatus
from shared.badges import badge_hash
from shared.protocol import ScanBatch, ScanResult
from tests.helpers.kiosk import choose_project, enter_pin, log_in
from tests.helpers.kiosk import wedge_scan as scan
from tests.helpers.server_version import current_server

pytestmark = pytest.mark.gui

ADMIN_BADGE = "ADMIN-0001"
ADMIN_PIN = "2580"  # offline, admin powers need badge + PIN (issue 15)


class Server:
    """Badge login (online unless ``online`` is False), enrolment, scans, reference."""

    def __init__(self, demo) -> None:
        self.demo = demo
        self.online = True
        self.badge_logins: list[str] = []
        self.statuses: dict[str, tuple[str, str | None]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.online:
            raise httpx.ConnectError("no route to host", request=request)
        path = request.url.path
        if path == "/api/v1/auth/badge":
            body = json.loads(request.content)
            code, pin = body["badge_code"], body.get("pin")
            self.badge_logins.append(code)
            users = {
                self.demo.badge_code: ("Sanne de Vries", ["warehouse"]),
                ADMIN_BADGE: ("Ahmed (beheer)", ["admin", "warehouse"]),
            }
            pins = {ADMIN_BADGE: ADMIN_PIN}
            if pin is None and (code not in users or code in pins):  # shared.auth
                return httpx.Response(
                    401, json={"error": {"code": "pin_required", "message": "PIN"}}
                )
            if code not in users or pins.get(code) != pin:
                return httpx.Response(401, json={"error": {"code": "bad_login", "message": "no"}})
            name, roles = users[code]
            return httpx.Response(
                200,
                json={
                    "access_token": "jwt",
                    "expires_in": 900,
                    "refresh_token": "refresh-1234",
                    "user": {"id": str(self.demo.user_id), "name": name, "roles": roles},
                },
            )
        if path == "/api/v1/stations/enroll":
            code = json.loads(request.content)["code"]
            if code != "ENROL-777777":
                return httpx.Response(
                    400, json={"error": {"code": "bad_code", "message": "unknown code"}}
                )
            return httpx.Response(
                200,
                json={"station_id": str(self.demo.station_id), "name": "Dock 2", "token": "tok-2"},
            )
        if path == "/api/v1/scans/batch":
            results = []
            for item in ScanBatch.model_validate_json(request.content).scans:
                status, reason = self.statuses.get(item.code, ("applied", None))
                results.append({"scan_id": str(item.scan_id), "status": status, "reason": reason})
            return httpx.Response(200, json={"results": results})
        snapshot = json.loads(self.demo.snapshot("c1").model_dump_json())
        admin = self.demo.badge_entry(ADMIN_BADGE, "Ahmed (beheer)", ["admin"], pin=ADMIN_PIN)
        snapshot["badges"].append(json.loads(admin.model_dump_json()))
        return httpx.Response(200, json=snapshot)


def _hash(demo, code: str) -> str:
    return badge_hash(demo.badge_key, code)


@pytest.fixture
def server(demo) -> Server:
    return Server(demo)


@pytest.fixture
def make_kiosk(qtbot, kiosk_config, server):
    built: list[tuple[KioskApp, httpx.Client]] = []

    def make(sync: bool = True, **options) -> KioskApp:
        client = httpx.Client(transport=current_server(server))
        config = dataclasses.replace(kiosk_config, wedge_gap_ms=300, **options)
        # Scanners other than the wedge are started by the tests that use them.
        kiosk = build_app(config, http_client=client, start_sync=False, start_scanners=False)
        for scanner in kiosk.scanners:
            if type(scanner).__name__ == "SerialScanner":
                scanner.start()
        built.append((kiosk, client))
        qtbot.addWidget(kiosk.window)
        if sync:
            with qtbot.waitSignal(kiosk.sync_events.reference_updated, timeout=10_000):
                kiosk.start_sync()
        kiosk.show()
        qtbot.waitExposed(kiosk.window)
        return kiosk

    yield make
    for kiosk, client in built:
        kiosk.shutdown()
        client.close()


@pytest.fixture
def kiosk(make_kiosk) -> KioskApp:
    return make_kiosk()


def at_scan_screen(qtbot, kiosk, demo) -> None:
    log_in(qtbot, kiosk, demo.badge_code)
    choose_project(qtbot, kiosk)


def test_online_login_then_offline_login_is_marked(qtbot, kiosk, server, demo):
    log_in(qtbot, kiosk, demo.badge_code)
    assert server.badge_logins == [demo.badge_code]
    assert not kiosk.controller.session.offline
    choose_project(qtbot, kiosk)
    assert not kiosk.window.scan.offline_session.isVisible()
    kiosk.window.scan.logout_button.click()
    server.online = False
    log_in(qtbot, kiosk, demo.badge_code)
    assert kiosk.controller.session.offline
    choose_project(qtbot, kiosk)
    assert kiosk.window.scan.offline_session.isVisible()


def test_a_refused_badge_stays_on_the_login_screen(qtbot, kiosk):
    # An unknown badge is asked for a PIN like a PIN badge (no enumeration), then refused.
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=5000):
        scan(qtbot, kiosk, "BADGE-9999")
    with qtbot.waitSignal(kiosk.controller.login_failed, timeout=5000):
        enter_pin(qtbot, kiosk, "1111")
    assert kiosk.window.stack.currentWidget() is kiosk.window.login
    assert "not recognised" in kiosk.window.login.message.text()


def test_offline_banner_queue_and_last_sync_are_always_visible(qtbot, kiosk, server, demo):
    at_scan_screen(qtbot, kiosk, demo)
    bar = kiosk.window.status_bar
    assert bar.connection.text() == "Online" and bar.last_sync.text() != "Last sync: —"
    server.online = False
    with qtbot.waitSignal(
        kiosk.sync_events.status_changed,
        timeout=10_000,
        check_params_cb=lambda status: not status.online,
    ):
        scan(qtbot, kiosk, "RG-U-0001")
    assert bar.connection.text() == "Offline" and bar.connection.isVisible()
    assert bar.queue.text() == "Queue: 1"


def test_undo_button_annuls_the_last_scan(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False)
    kiosk.store.replace_reference(demo.snapshot())
    at_scan_screen(qtbot, kiosk, demo)
    scan(qtbot, kiosk, "RG-U-0001")
    screen = kiosk.window.scan
    assert screen.pick_list.item(0, 2).text() == "2"
    qtbot.mouseClick(screen.undo_button, Qt.MouseButton.LeftButton)
    assert screen.pick_list.item(0, 2).text() == "1"
    assert screen.recent.item(0, 2).text() == "Undone"
    # The scan it undid reads as undone too (issue 17 item 3), struck through.
    assert screen.recent.item(1, 3).text() == "undone"
    assert screen.recent.item(1, 1).font().strikeOut()
    annul = kiosk.store.recent_scans(1)[0]
    assert annul.mode == "annul" and annul.annuls_scan_id is not None


def test_quantity_keypad_sets_the_next_bulk_scan(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False)
    kiosk.store.replace_reference(demo.snapshot())
    at_scan_screen(qtbot, kiosk, demo)
    window = kiosk.window
    qtbot.mouseClick(window.scan.quantity_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.quantity
    for key in ("2", "5"):
        qtbot.mouseClick(window.quantity.keys[key], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.quantity.ok, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.scan
    assert window.scan.quantity_button.text() == "Qty: 25"
    scan(qtbot, kiosk, demo.xlr_barcode)
    assert kiosk.store.recent_scans(1)[0].qty == 25
    assert "25 × XLR-kabel 10 m" in window.scan.banner.text()
    assert window.scan.quantity_button.text() == "Qty: 1"


def test_damaged_return_is_marked(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False)
    kiosk.store.replace_reference(demo.snapshot())
    at_scan_screen(qtbot, kiosk, demo)
    screen = kiosk.window.scan
    assert not screen.condition_buttons["damaged"].isVisible()  # only for returns
    scan(qtbot, kiosk, "RG-U-0001")
    screen.mode_buttons["in"].click()
    assert screen.condition_buttons["damaged"].isVisible()
    qtbot.mouseClick(screen.condition_buttons["damaged"], Qt.MouseButton.LeftButton)
    scan(qtbot, kiosk, "RG-U-0001")
    assert kiosk.store.recent_scans(1)[0].condition == "damaged"
    assert screen.recent.item(0, 4).text() == "damaged"
    assert not screen.condition_buttons["damaged"].isChecked()


def test_problems_screen_lists_conflicts_with_their_reason(qtbot, kiosk, server, demo):
    server.statuses["RG-U-0006"] = ("conflict", "uit op Bedrijfsfeest Philips")
    server.statuses["RG-U-0999"] = ("rejected", "onbekende code")
    at_scan_screen(qtbot, kiosk, demo)
    with qtbot.waitSignal(kiosk.sync_events.scans_updated, timeout=10_000):
        scan(qtbot, kiosk, "RG-U-0006")
    with qtbot.waitSignal(kiosk.sync_events.scans_updated, timeout=10_000):
        scan(qtbot, kiosk, "RG-U-0999")
    screen = kiosk.window.scan
    assert screen.problems_button.text() == "Problems: 2"
    qtbot.mouseClick(screen.problems_button, Qt.MouseButton.LeftButton)
    problems = kiosk.window.problems
    assert kiosk.window.stack.currentWidget() is problems
    rows = [
        tuple(problems.table.item(r, c).text() for c in (2, 3, 4))
        for r in range(problems.table.rowCount())
    ]
    assert rows == [
        ("RG-U-0999", "rejected", "onbekende code"),
        ("RG-U-0006", "conflict", "uit op Bedrijfsfeest Philips"),
    ]
    qtbot.mouseClick(problems.back, Qt.MouseButton.LeftButton)
    assert kiosk.window.stack.currentWidget() is screen


def test_settings_need_an_admin_badge(qtbot, kiosk, demo):
    window = kiosk.window
    qtbot.mouseClick(window.login.settings, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.admin_gate
    with qtbot.waitSignal(kiosk.controller.admin_refused, timeout=5000):
        scan(qtbot, kiosk, demo.badge_code)  # a crew badge, not an admin
    assert window.stack.currentWidget() is window.admin_gate
    assert "not an admin" in window.admin_gate.message.text()
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=5000):
        scan(qtbot, kiosk, ADMIN_BADGE)  # the admin has a PIN: the kiosk asks for it
    assert window.stack.currentWidget() is window.pin
    with qtbot.waitSignal(kiosk.controller.admin_badge, timeout=5000):
        enter_pin(qtbot, kiosk, ADMIN_PIN)
    assert window.stack.currentWidget() is window.settings
    assert kiosk.controller.session is None  # the gate is not a login


def test_enrolment_from_the_settings_screen(qtbot, make_kiosk, server, kiosk_config, tmp_path):
    token_file = tmp_path / "fresh" / "station-token"
    kiosk = make_kiosk(sync=False, station_token_file=token_file)
    window = kiosk.window
    assert window.login.settings.text() == "Enrol station"
    # A fresh kiosk has no badges to check: its settings are open until it is enrolled.
    qtbot.mouseClick(window.login.settings, Qt.MouseButton.LeftButton)
    settings = window.settings
    assert window.stack.currentWidget() is settings
    settings.server_url.setText("http://new-server.test")
    settings.code.setText("WRONG-CODE")
    qtbot.mouseClick(settings.enroll, Qt.MouseButton.LeftButton)
    assert "unknown code" in settings.enroll_message.text()
    settings.code.setText("ENROL-777777")
    qtbot.mouseClick(settings.enroll, Qt.MouseButton.LeftButton)
    assert settings.enroll_message.text() == "Enrolled as Dock 2."
    assert token_file.read_text().strip() == "tok-2"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert kiosk.server_url == "http://new-server.test"
    assert kiosk.store.get_setting("kiosk.server_url") == "http://new-server.test"


def test_settings_are_saved_and_idle_logout_applies(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False, idle_logout_s=0)
    kiosk.store.replace_reference(demo.snapshot())
    kiosk.window.open_settings()  # the gate: an admin badge
    with qtbot.waitSignal(kiosk.controller.admin_badge, timeout=5000):
        demo.add_badge(kiosk.store, ADMIN_BADGE, "Ahmed", ["admin"], pin=ADMIN_PIN)
        scan(qtbot, kiosk, ADMIN_BADGE)
        enter_pin(qtbot, kiosk, ADMIN_PIN)
    settings = kiosk.window.settings
    settings.idle.setValue(2)
    settings.serial_port.setText("/dev/ttyACM0")
    qtbot.mouseClick(settings.save, Qt.MouseButton.LeftButton)
    assert kiosk.store.get_setting("kiosk.idle_logout_s") == "120"
    assert kiosk.settings_values()["serial_port"] == "/dev/ttyACM0"
    assert kiosk.window.idle_timer.interval() == 120_000


def test_idle_logout(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False, idle_logout_s=1)
    kiosk.store.replace_reference(demo.snapshot())
    at_scan_screen(qtbot, kiosk, demo)
    kiosk.window.idle_timer.setInterval(50)  # 1 s is the smallest setting; do not wait it
    kiosk.window.idle_timer.start()
    with qtbot.waitSignal(kiosk.controller.logged_out, timeout=5000):
        pass
    assert kiosk.window.stack.currentWidget() is kiosk.window.login


def test_kiosk_mode_needs_an_admin_badge_to_close(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False, fullscreen=True)
    kiosk.store.replace_reference(demo.snapshot())
    window = kiosk.window
    assert window.kiosk_mode
    window.close()
    assert window.isVisible()  # Alt+F4 does nothing
    demo.add_badge(kiosk.store, ADMIN_BADGE, "Ahmed", ["admin"], pin=ADMIN_PIN)
    qtbot.mouseClick(window.login.exit, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.admin_gate
    with qtbot.waitSignal(window.exit_confirmed, timeout=5000):
        scan(qtbot, kiosk, ADMIN_BADGE)
        enter_pin(qtbot, kiosk, ADMIN_PIN)
    assert window.allow_close
    window.close()
    assert not window.isVisible()


def test_windowed_leave_kiosk_needs_no_admin_badge(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False, fullscreen=False)
    kiosk.store.replace_reference(demo.snapshot())  # badges exist: the gate could ask
    window = kiosk.window
    assert not window.kiosk_mode
    with qtbot.waitSignal(window.exit_confirmed, timeout=5000):
        qtbot.mouseClick(window.login.exit, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.login  # no admin gate on the way
    window.close()
    assert not window.isVisible()


def test_dutch_by_default_and_switchable(qtbot, make_kiosk, demo):
    kiosk = make_kiosk(sync=False, language="nl")
    kiosk.store.replace_reference(demo.snapshot())
    assert kiosk.window.login.title.text() == "Scan je pas"
    at_scan_screen(qtbot, kiosk, demo)
    assert kiosk.window.scan.undo_button.text() == "Scan ongedaan"
    kiosk.set_language("en")
    assert kiosk.window.settings.title.text() == "Settings"
    assert kiosk.store.get_setting("kiosk.language") == "en"
    kiosk.window.settings.back.click()
    assert kiosk.window.stack.currentWidget() is kiosk.window.scan  # still logged in
    assert kiosk.window.scan.undo_button.text() == "Undo scan"
    kiosk.set_language("nl")
    assert kiosk.window.settings.title.text() == "Instellingen"


def test_default_language_is_dutch():
    from client.config import KioskConfig

    assert KioskConfig().language == "nl"


def test_translations_are_complete_and_compiled():
    from client.i18n.build import QM, TS
    from client.i18n.nl import NL

    sources = set()
    for message in ET.parse(TS).iter("message"):
        translation = message.find("translation")
        assert translation is not None and translation.attrib.get("type") != "unfinished"
        sources.add(message.findtext("source"))
    assert sources <= set(NL)
    assert QM.stat().st_size > 1000


def test_dutch_scan_screen_screenshot(qtbot, make_kiosk, demo, tmp_path):
    """The README's screenshot: the scan screen in Dutch, mid-job."""
    kiosk = make_kiosk(sync=False, language="nl")
    kiosk.store.replace_reference(demo.snapshot())
    kiosk.window.resize(1280, 800)
    at_scan_screen(qtbot, kiosk, demo)
    for code in ("RG-U-0001", "RG-U-0006", "RG-C-0001", demo.xlr_barcode, "RG-U-0007"):
        scan(qtbot, kiosk, code)
    first, conflict = reversed(kiosk.store.recent_scans(5)[-2:])
    kiosk.store.apply_results(
        [
            ScanResult(scan_id=first.scan_id, status="applied"),
            ScanResult(scan_id=conflict.scan_id, status="conflict", reason="uit op Philips"),
        ]
    )
    kiosk.window.refresh_scans()
    kiosk.window.show_sync_status(
        SyncStatus("ok", True, kiosk.store.queue_depth(), datetime.now(UTC), None)
    )
    screen = kiosk.window.scan
    assert screen.pick_list.horizontalHeaderItem(1).text() == "Nodig"
    assert kiosk.window.status_bar.queue.text() == "Wachtrij: 3"
    qtbot.wait(50)
    target = Path(os.environ.get("RENTGUY_SCREENSHOT_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    image = kiosk.window.grab()
    assert image.save(str(target / "kiosk-scan-screen-nl.png"))
    assert QCoreApplication.translate("ScanScreen", "Pick list") == "Paklijst"


def test_serial_and_camera_scanners_feed_the_kiosk(qtbot, make_kiosk, demo, tmp_path):
    from tests.client.test_serial_scanner import FakeCable
    from tests.client.video import write_video

    cable = FakeCable(tmp_path / "ttyRG0")
    cable.plug()
    video = write_video(tmp_path / "cam.avi", [(None, "", 2), ("RG-U-0003", "code128", 4)])
    try:
        kiosk = make_kiosk(sync=False, serial_port=str(cable.link), camera_source=str(video))
        kiosk.store.replace_reference(demo.snapshot())
        at_scan_screen(qtbot, kiosk, demo)
        serial, camera = kiosk.scanners
        qtbot.waitUntil(
            lambda: "Serial: ready" in kiosk.window.status_bar.scanner.text(), timeout=5000
        )
        with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=5000) as recorded:
            cable.send(b"RG-U-0002\r")
        assert recorded.args[0].scan.source == "serial"
        assert kiosk.window.scan.camera_preview is not None
        with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=10_000) as recorded:
            camera.start()  # the file plays once: start it now that someone is logged in
        scan_row = recorded.args[0].scan
        assert (scan_row.code, scan_row.source, scan_row.symbology) == (
            "RG-U-0003",
            "camera",
            "code128",
        )
    finally:
        for scanner in kiosk.scanners:
            scanner.stop()
        cable.unplug()
