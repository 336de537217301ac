"""A revoked station learns it on its next contact (issue 15): the real server on loopback,
the real kiosk offscreen.

The kiosk scans while the server is away; meanwhile an admin revokes the station. On its
next contact the server refuses it with 401 ``station_revoked``: the kiosk exports the
scans it could not deliver to a file next to its store, keeps them (marked rejected,
never deleted), wipes its mirror and badge cache, logs the operator out and shows the
revoked screen; nobody can log in any more.
"""

from __future__ import annotations

import json
import uuid

import pytest

from server.db import make_engine, make_session_factory, transaction
from server.identity import stations
from server.identity.models import Station
from tests.helpers.kiosk import choose_project, log_in, wedge_scan

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


def _revoke(database_url: str, station_id: str) -> None:
    """What ``POST /api/v1/stations/{id}/revoke`` does, while the server is down."""
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            station = session.get(Station, uuid.UUID(station_id))
            stations.revoke_station(session=session, station=station, actor=None)
    finally:
        engine.dispose()


def test_a_revoked_station_exports_its_queue_wipes_itself_and_says_so(
    qtbot, live, kiosk, tmp_path
):
    server, demo = live
    window, store = kiosk.window, kiosk.store
    log_in(qtbot, kiosk, demo["badge_code"])
    choose_project(qtbot, kiosk, 0)
    server.stop()
    queued = []
    for code in demo["unit_codes"][:2]:
        with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=5000) as recorded:
            wedge_scan(qtbot, kiosk, code)
        queued.append(str(recorded.args[0].scan.scan_id))
    assert store.queue_depth() == 2
    assert store.badge_hash_key() is not None and store.has_reference()

    _revoke(server.database_url, demo["station_id"])
    server.start()

    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.revoked, timeout=30_000)
    assert kiosk.controller.session is None
    assert window.status_bar.connection.text() == "Station revoked"
    # The mirror and the badge cache are gone ...
    assert not store.has_reference() and store.badge_hash_key() is None
    assert store.open_projects() == []
    assert store.db.execute("SELECT COUNT(*) FROM ref_badges").fetchone()[0] == 0
    # ... the queued scans are not: kept in the store and in the export file it names.
    export = store.station_revoked()
    assert export is not None and export.startswith(str(tmp_path / "kiosk"))
    assert export in window.revoked.export.text()
    exported = [json.loads(line) for line in open(export, encoding="utf-8")]
    assert [row["scan_id"] for row in exported if row["kind"] == "scan"] == queued
    for scan_id in queued:
        scan = store.get_scan(scan_id)
        assert scan.state == "rejected" and "station revoked" in scan.reason
    assert store.queue_depth() == 0

    # Nobody logs in at a revoked station, and the screen stays.
    with qtbot.waitSignal(kiosk.controller.login_failed, timeout=5000) as refused:
        kiosk.controller.login_badge(demo["badge_code"])
    assert refused.args[0] == "This station has been revoked."
    window._back()
    assert window.stack.currentWidget() is window.revoked
