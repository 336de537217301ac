"""A kiosk facing a server it cannot talk to shows *Update needed* and keeps its queue.

The real server on loopback (SQLite and PostgreSQL), the real kiosk offscreen. The kiosk
is made to state a protocol newer than the server's (as a kiosk upgraded before its
server would): the server answers 409 ``server_too_old`` before reading the batch, the
status bar says so, the scan stays queued (not set aside as a poison scan). When the
kiosk and server agree again (here: the kiosk's statement restored, as after the server's
upgrade) the queue drains, the scan once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

import client.api as server_api
from server.warehouse.models import Scan
from shared.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.helpers.kiosk import choose_project, log_in, recent_states, wedge_scan

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def _server_scans(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [str(scan_id) for scan_id in conn.scalars(select(Scan.scan_id))]
    finally:
        engine.dispose()


def test_kiosk_shows_update_needed_and_keeps_its_queue(qtbot, live, kiosk, monkeypatch):
    server, demo = live
    status_bar = kiosk.window.status_bar
    log_in(qtbot, kiosk, demo["badge_code"])
    choose_project(qtbot, kiosk, 0)

    newer = {**server_api.VERSION_HEADERS, PROTOCOL_HEADER: str(PROTOCOL_VERSION + 1)}
    monkeypatch.setattr(server_api, "VERSION_HEADERS", newer)
    code = next(c for c in demo["unit_codes"] if "SPK" in c)
    with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=5000) as recorded:
        wedge_scan(qtbot, kiosk, code)
    scan_id = str(recorded.args[0].scan.scan_id)
    qtbot.waitUntil(lambda: status_bar.connection.text() == "Update needed", timeout=15_000)
    assert "server_too_old" in status_bar.error.text()
    assert "update the server first" in status_bar.error.text()
    assert kiosk.store.queue_depth() == 1 and recent_states(kiosk)[0] == "queued"
    assert status_bar.queue.text() == "Queue: 1"
    assert _server_scans(server.database_url) == []

    monkeypatch.undo()  # kiosk and server agree again
    qtbot.waitUntil(lambda: kiosk.store.queue_depth() == 0, timeout=40_000)
    qtbot.waitUntil(lambda: status_bar.connection.text() == "Online", timeout=15_000)
    assert _server_scans(server.database_url) == [scan_id]
