"""An offline login end to end (issue 15): the real server on loopback, the real kiosk.

The server goes away, the crew member logs in from the kiosk's mirror and scans; when the
server is back, the sync engine uploads the offline login in a batch of its own before any
scan, the server records (and audits) it, and the scans that name it are applied and
marked ``offline`` for review. A badge login online then names the server's session.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, select

from server.audit.models import AuditEvent
from server.identity.models import LoginSession
from server.warehouse.models import Scan
from tests.e2e.conftest import kiosk_config, running_kiosk
from tests.helpers.kiosk import choose_project, log_in, wedge_scan

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest.fixture
def uploads() -> list[dict]:
    """Every scan-batch body the kiosk sent, in order (from its own HTTP client)."""
    return []


@pytest.fixture
def kiosk(qtbot, live, tmp_path, uploads):
    """The live kiosk, noting every scan-batch body it sends."""
    server, demo = live

    def watch(request: httpx.Request) -> None:
        if request.url.path == "/api/v1/scans/batch":
            uploads.append(json.loads(request.content))

    with httpx.Client(timeout=5.0, event_hooks={"request": [watch]}) as http:
        config = kiosk_config(server, demo, tmp_path)
        with running_kiosk(qtbot, config, http_client=http) as app:
            yield app


def _record(qtbot, kiosk, code: str) -> str:
    with qtbot.waitSignal(kiosk.controller.scan_recorded, timeout=5000) as recorded:
        wedge_scan(qtbot, kiosk, code)
    return str(recorded.args[0].scan.scan_id)


def test_offline_login_is_uploaded_before_its_scans(qtbot, live, kiosk, uploads):
    server, demo = live
    server.stop()
    log_in(qtbot, kiosk, demo["badge_code"])
    session = kiosk.controller.session
    assert session.offline and session.login_session_id is not None
    [pending] = kiosk.store.pending_logins()
    assert pending["login_id"] == session.login_session_id
    assert pending["verifier"] == "scrypt-station-v1"

    choose_project(qtbot, kiosk, 0)
    speakers = [code for code in demo["unit_codes"] if "SPK" in code][:2]
    scan_ids = {_record(qtbot, kiosk, code) for code in speakers}
    assert {kiosk.store.get_scan(s).login_session_id for s in scan_ids} == {
        session.login_session_id
    }

    server.start()
    qtbot.waitUntil(lambda: kiosk.store.queue_depth() == 0, timeout=30_000)
    qtbot.waitUntil(lambda: not kiosk.store.pending_logins(), timeout=15_000)
    assert kiosk.store.login(session.login_session_id)["upload_state"] == "recorded"

    # Upload before download, logins before scans: the first batch that reached the server
    # again carried the login and no scan; every batch with scans came after one with it.
    first_with_login = next(i for i, body in enumerate(uploads) if body.get("logins"))
    assert uploads[first_with_login]["scans"] == []
    first_with_scans = next(i for i, body in enumerate(uploads) if body["scans"])
    assert first_with_login < first_with_scans

    # Online again: a fresh badge login is the server's session, and its scans name it.
    kiosk.controller.logout()
    log_in(qtbot, kiosk, demo["badge_code"])
    online = kiosk.controller.session
    assert not online.offline and online.login_session_id != session.login_session_id
    choose_project(qtbot, kiosk, 0)
    online_scan = _record(qtbot, kiosk, [c for c in demo["unit_codes"] if "TRS" in c][0])
    qtbot.waitUntil(lambda: kiosk.store.queue_depth() == 0, timeout=30_000)

    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            login = conn.execute(
                select(LoginSession).where(LoginSession.id == uuid.UUID(session.login_session_id))
            ).one()
            rows = conn.execute(
                select(Scan.scan_id, Scan.status, Scan.attribution, Scan.login_session_id)
            ).all()
            audit = conn.execute(
                select(AuditEvent.actor_station_id, AuditEvent.details).where(
                    AuditEvent.action == "auth.offline_login"
                )
            ).all()
    finally:
        engine.dispose()
    assert login.method == "offline" and str(login.station_id) == demo["station_id"]
    by_id = {str(r.scan_id): r for r in rows}
    assert set(by_id) == {*scan_ids, online_scan}
    assert {(by_id[s].status, by_id[s].attribution) for s in scan_ids} == {("applied", "offline")}
    assert {str(by_id[s].login_session_id) for s in scan_ids} == {session.login_session_id}
    assert (by_id[online_scan].status, by_id[online_scan].attribution) == ("applied", "online")
    assert str(by_id[online_scan].login_session_id) == online.login_session_id
    [(station_id, details)] = audit
    assert str(station_id) == demo["station_id"]
    assert details["login_id"] == session.login_session_id
    assert details["station"] == "Demo station"
