"""A poison scan never blocks a station: the real kiosk sync engine against the real server
on loopback (issue 14 defect 2), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from client.store import LocalStore
from client.sync.engine import SyncEngine, SyncState
from tests.helpers.live_server import LiveServer


def _live(database_url, tmp_path, **env):
    server = LiveServer(database_url, tmp_path / "server.log", env=env)
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    server.start()
    return server, demo


@pytest.fixture
def store(tmp_path):
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    yield store
    store.close()


def _queue(store: LocalStore, demo: dict, codes: list[str]) -> list[str]:
    # Logged in as the kiosk's controller records it: the scans name this login (issue 15).
    if store.latest_login_id(demo["crew_user_id"], demo["station_id"]) is None:
        store.record_login(
            user_id=demo["crew_user_id"],
            station_id=demo["station_id"],
            offline=True,
            verifier="mirror-hmac-v1",
        )
    return [
        store.enqueue_scan(
            station_id=demo["station_id"],
            user_id=demo["crew_user_id"],
            project_id=demo["project_id"],
            mode="out",
            code=code,
            normalized_code=code,
            symbology="code128",
            source="serial",
            scanned_at=datetime.now(UTC),
            local_verdict="ok",
        ).scan_id
        for code in codes
    ]


def _sync(server, demo, store, batch_size=500):
    token = demo["station_token"]
    engine = SyncEngine(store.path, server.url, lambda: token, batch_size=batch_size)
    try:
        return engine.sync_once()
    finally:
        engine.close()


def _state_of(store: LocalStore) -> dict[str, tuple[str, str | None]]:
    return {s.scan_id: (s.state, s.reason) for s in store.recent_scans(1000)}


def test_serial_noise_rejects_its_scan_and_the_queue_moves_on(
    fresh_database_url, tmp_path, store
):
    server, demo = _live(fresh_database_url, tmp_path)
    try:
        codes = demo["unit_codes"][:4]
        ids = _queue(store, demo, [codes[0], codes[1] + "\x00\x00", codes[2], codes[3]])
        report = _sync(server, demo, store)
        assert report.state is SyncState.OK, report.error
        assert store.queue_depth() == 0
        states = _state_of(store)
        assert states[ids[1]][0] == "rejected"
        assert states[ids[1]][1].startswith("invalid_text: code contains U+0000")
        assert [states[i][0] for i in (ids[0], ids[2], ids[3])] == ["synced"] * 3
        # The next round has nothing left to send: the station is not blocked.
        assert _sync(server, demo, store).state is SyncState.OK
    finally:
        server.stop()


def test_a_batch_the_server_refuses_as_too_large_is_split(fresh_database_url, tmp_path, store):
    # A proxy or server limit well under a full batch: 413 until the halves fit.
    server, demo = _live(fresh_database_url, tmp_path, RENTGUY_MAX_BODY_BYTES="3000")
    try:
        codes = [f"NOT-A-UNIT-{n:03}" for n in range(24)]
        ids = _queue(store, demo, codes)
        report = _sync(server, demo, store)
        assert report.state is SyncState.OK, report.error
        assert store.queue_depth() == 0
        states = _state_of(store)
        # Unknown codes: every one answered by the server (rejected, with its reason).
        assert {states[i][0] for i in ids} == {"rejected"}
        assert all("unknown code" in states[i][1] for i in ids)
    finally:
        server.stop()
