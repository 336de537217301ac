"""The thin end-to-end path: wedge burst → kiosk queue → sync thread → server ledger.

Everything is real: ``rentguy-server serve`` in a subprocess on loopback (SQLite and
PostgreSQL), the kiosk built by ``build_app`` with its real httpx client, sync thread,
wedge filter and widgets (offscreen). Stopping the server leaves scans queued and
visible; starting it again drains the queue with no duplicate.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from sqlalchemy import create_engine, select

from server.warehouse.models import Movement, Scan
from tests.helpers.kiosk import choose_project, log_in, recent_states, wedge_scan

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def _server_ledger(database_url: str) -> tuple[Counter, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            scan_ids = Counter(conn.scalars(select(Scan.scan_id)).all())
            movements = len(conn.scalars(select(Movement.id)).all())
    finally:
        engine.dispose()
    return scan_ids, movements


def _record(qtbot, kiosk, code: str) -> str:
    with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=5000) as recorded:
        wedge_scan(qtbot, kiosk, code)
    return str(recorded.args[0].scan.scan_id)


def test_scan_syncs_then_survives_server_outage_exactly_once(qtbot, live, kiosk, tmp_path):
    server, demo = live
    status_bar = kiosk.window.status_bar

    log_in(qtbot, kiosk, demo["badge_code"])
    choose_project(qtbot, kiosk, 0)
    assert kiosk.window.scan.project_name.text() == demo["project_name"]

    # Codes that stay within the pick list, so every answer is a plain "applied".
    speakers = [code for code in demo["unit_codes"] if "SPK" in code]
    truss = [code for code in demo["unit_codes"] if "TRS" in code]
    first = _record(qtbot, kiosk, speakers[0])
    qtbot.waitUntil(lambda: recent_states(kiosk) == ["synced"], timeout=15_000)
    if os.environ.get("RENTGUY_SCREENSHOT_DIR"):
        kiosk.window.grab().save(os.path.join(os.environ["RENTGUY_SCREENSHOT_DIR"], "e2e.png"))

    # The Wi-Fi drops (here: the server goes away). Scanning goes on.
    server.stop()
    offline = [_record(qtbot, kiosk, code) for code in (*speakers[1:3], truss[0])]
    offline.append(_record(qtbot, kiosk, demo["case_code"]))
    qtbot.waitUntil(lambda: status_bar.connection.text() == "Offline", timeout=15_000)
    assert recent_states(kiosk)[:4] == ["queued"] * 4
    assert status_bar.queue.text() == "Queue: 4"
    assert kiosk.store.queue_depth() == 4

    # Back online: the queue drains, every scan once.
    server.start()
    qtbot.waitUntil(lambda: kiosk.store.queue_depth() == 0, timeout=30_000)
    qtbot.waitUntil(lambda: recent_states(kiosk)[:5] == ["synced"] * 5, timeout=15_000)
    qtbot.waitUntil(lambda: status_bar.connection.text() == "Online", timeout=15_000)
    assert status_bar.queue.text() == "Queue: 0"

    scan_ids, movements = _server_ledger(server.database_url)
    assert set(map(str, scan_ids)) == {first, *offline}
    assert set(scan_ids.values()) == {1}
    assert movements == 4 + 2  # four units, and the fixed case's two units

    # A resend of everything the kiosk holds changes nothing on the server.
    with kiosk.store.atomic():
        kiosk.store.db.execute("UPDATE scans SET state = 'queued' WHERE seq IS NOT NULL")
    qtbot.waitUntil(lambda: kiosk.store.queue_depth() == 0, timeout=30_000)
    assert _server_ledger(server.database_url) == (scan_ids, movements)
