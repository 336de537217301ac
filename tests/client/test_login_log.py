"""The kiosk's login log (issue 15): logins recorded, scans naming them, offline logins
uploaded ahead of their scans, and a revoked station's export."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from client.store import LocalStore
from client.sync.engine import BATCH_PATH, SyncEngine, SyncState
from shared.protocol import ScanBatch
from tests.helpers.server_version import current_server

TOKEN = "station-token-1"
T0 = datetime(2025, 4, 25, 7, 30, tzinfo=UTC)


class Server:
    """Acknowledges logins and applies scans; ``refuse_logins`` plays an older server."""

    def __init__(self, demo) -> None:
        self.demo = demo
        self.batches: list[ScanBatch] = []
        self.refuse_logins = False
        self.revoked = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.revoked:
            return httpx.Response(
                401, json={"error": {"code": "station_revoked", "message": "revoked"}}
            )
        if request.url.path == BATCH_PATH:
            batch = ScanBatch.model_validate_json(request.content)
            if batch.logins and self.refuse_logins:
                return httpx.Response(
                    422, json={"error": {"code": "validation_error", "message": "logins?"}}
                )
            self.batches.append(batch)
            return httpx.Response(
                200,
                json={
                    "results": [
                        {"scan_id": str(s.scan_id), "status": "applied"} for s in batch.scans
                    ],
                    "logins": [
                        {"login_id": str(login.login_id), "status": "recorded"}
                        for login in batch.logins
                    ],
                },
            )
        body = json.loads(self.demo.snapshot("c1").model_dump_json())
        return httpx.Response(200, json=body)


@pytest.fixture
def server(demo) -> Server:
    return Server(demo)


@pytest.fixture
def engine(mirrored_store, server, tmp_path):
    client = httpx.Client(transport=current_server(server))
    sync = SyncEngine(mirrored_store.path, "http://kiosk.invalid", lambda: TOKEN, client)
    yield sync
    sync.close()
    client.close()


def _scan(store: LocalStore, demo, code: str = "RG-U-0001", **extra) -> str:
    return store.enqueue_scan(
        station_id=str(demo.station_id),
        user_id=str(demo.user_id),
        project_id=str(demo.project_id),
        mode="out",
        code=code,
        normalized_code=code,
        source="wedge",
        scanned_at=T0,
        local_verdict="ok",
        **extra,
    ).scan_id


def test_a_scan_names_the_users_latest_login(mirrored_store, demo):
    store = mirrored_store
    assert store.get_scan(_scan(store, demo)).login_session_id is None  # no login: none
    online = store.record_login(
        user_id=str(demo.user_id),
        station_id=str(demo.station_id),
        offline=False,
        login_id="01900000-0000-7000-8000-000000000001",
    )
    assert store.get_scan(_scan(store, demo)).login_session_id == online
    offline = store.record_login(
        user_id=str(demo.user_id), station_id=str(demo.station_id), offline=True, verifier="v"
    )
    scan = store.get_scan(_scan(store, demo))
    assert scan.login_session_id == offline
    assert str(scan.to_scan_in().login_session_id) == offline
    assert [row["login_id"] for row in store.pending_logins()] == [offline]  # online: none
    # A login under an earlier enrolment (another station id) is not this station's.
    store.record_login(user_id=str(demo.user_id), station_id="old-station", offline=True)
    assert store.get_scan(_scan(store, demo)).login_session_id == offline
    with pytest.raises(ValueError):
        store.record_login(user_id="u", station_id="s", offline=False)


def test_offline_logins_go_first_in_a_batch_of_their_own(engine, mirrored_store, server, demo):
    store = mirrored_store
    login = store.record_login(
        user_id=str(demo.user_id),
        station_id=str(demo.station_id),
        offline=True,
        verifier="mirror-hmac-v1",
    )
    scan = _scan(store, demo)
    assert engine.sync_once().ok
    first, second = server.batches
    assert [str(x.login_id) for x in first.logins] == [login] and first.scans == []
    assert [str(s.scan_id) for s in second.scans] == [scan] and second.logins == []
    assert str(second.scans[0].login_session_id) == login
    assert store.login(login)["upload_state"] == "recorded"
    assert engine.sync_once().ok
    assert len(server.batches) == 2  # acknowledged: never sent again


def test_refused_logins_do_not_hold_the_scans_up(engine, mirrored_store, server, demo):
    store = mirrored_store
    store.record_login(
        user_id=str(demo.user_id), station_id=str(demo.station_id), offline=True, verifier="v"
    )
    _scan(store, demo)
    server.refuse_logins = True
    assert engine.sync_once().ok
    assert store.queue_depth() == 0
    assert len(store.pending_logins()) == 1  # offered again next round


def test_a_revoked_station_exports_and_wipes_once(engine, mirrored_store, server, demo, tmp_path):
    store = mirrored_store
    store.record_login(
        user_id=str(demo.user_id), station_id=str(demo.station_id), offline=True, verifier="v"
    )
    ids = [_scan(store, demo, code) for code in ("RG-U-0001", "RG-U-0002")]
    server.revoked = True
    report = engine.sync_once()
    assert report.state is SyncState.STATION_REVOKED and report.online
    export = store.station_revoked()
    assert export is not None and export in report.error
    rows = [json.loads(line) for line in open(export, encoding="utf-8")]
    assert [r["scan_id"] for r in rows if r["kind"] == "scan"] == ids
    assert [r["kind"] for r in rows].count("offline_login") == 1
    assert not store.has_reference() and store.badge_hash_key() is None
    assert store.count_scans() == {"queued": 0, "synced": 0, "conflict": 0, "rejected": 2}
    assert not store.pending_logins()
    # The same answer again: no second export, nothing sent.
    again = engine.sync_once()
    assert again.state is SyncState.STATION_REVOKED
    assert store.wipe_revoked(tmp_path) == type(tmp_path)(export)
    store.clear_revoked()
    assert store.station_revoked() is None and store.station_id() is None
