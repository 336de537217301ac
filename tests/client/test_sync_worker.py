"""SyncWorker on its QThread: syncs on poke, reports status, shuts down cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from client.sync.engine import SyncEngine, SyncReport, SyncState
from client.sync.worker import SyncEvents, SyncWorker, start_sync_thread, stop_sync_thread
from tests.helpers.server_version import current_server

TOKEN = "station-token-1"


class Harness:
    def __init__(self, worker: SyncWorker) -> None:
        self.worker = worker
        self.events = SyncEvents(worker)  # GUI-thread side: safe to wait on
        self.statuses = []
        self.events.status_changed.connect(self.statuses.append)
        self.threads = []

    def start(self) -> None:
        self.threads.append(start_sync_thread(self.worker))


@pytest.fixture
def transport_state():
    return {"online": True, "scans": 0}


@pytest.fixture
def harness(qapp, store, demo, transport_state):
    def handler(request: httpx.Request) -> httpx.Response:
        if not transport_state["online"]:
            raise httpx.ConnectError("network down", request=request)
        if request.url.path.endswith("/scans/batch"):
            scans = httpx.Response(200, content=request.content).json()["scans"]
            transport_state["scans"] += len(scans)
            return httpx.Response(
                200,
                json={"results": [{"scan_id": s["scan_id"], "status": "applied"} for s in scans]},
            )
        return httpx.Response(200, content=demo.snapshot().model_dump_json())

    client = httpx.Client(transport=current_server(handler))
    worker = SyncWorker(
        lambda: SyncEngine(store.path, "http://kiosk-test.invalid", lambda: TOKEN, client),
        interval_s=60.0,
    )  # long: these tests drive it with poke()
    rig = Harness(worker)
    yield rig
    for thread in rig.threads:
        assert stop_sync_thread(worker, thread)
    client.close()


def enqueue(store, demo):
    return store.enqueue_scan(
        station_id=str(demo.station_id),
        user_id=str(demo.user_id),
        project_id=str(demo.project_id),
        mode="out",
        code="RG-U-0001",
        normalized_code="RG-U-0001",
        source="wedge",
        scanned_at=datetime.now(UTC),
        local_verdict="ok",
    )


def test_first_round_downloads_reference_and_reports_online(qtbot, harness, store):
    with qtbot.waitSignal(harness.events.reference_updated, timeout=5000):
        harness.start()
    qtbot.waitUntil(lambda: harness.events.last_status.state == "ok", timeout=5000)
    status = harness.events.last_status
    assert status.online and status.queue_depth == 0 and status.last_error is None
    assert status.last_sync_at is not None and status.last_sync_at.tzinfo is not None
    assert store.has_reference()
    assert harness.statuses[0].state == "starting"


def test_poke_uploads_a_new_scan(qtbot, harness, store, demo, transport_state):
    with qtbot.waitSignal(harness.events.reference_updated, timeout=5000):
        harness.start()
    scan = enqueue(store, demo)
    with qtbot.waitSignal(harness.events.scans_updated, timeout=5000):
        harness.worker.poke()
    assert store.get_scan(scan.scan_id).state == "synced"
    assert transport_state["scans"] == 1
    qtbot.waitUntil(lambda: harness.events.last_status.queue_depth == 0, timeout=5000)


def test_offline_keeps_the_scan_and_says_so(qtbot, harness, store, demo, transport_state):
    transport_state["online"] = False
    scan = enqueue(store, demo)
    with qtbot.waitSignal(
        harness.events.status_changed,
        timeout=5000,
        check_params_cb=lambda status: status.state == "offline",
    ):
        harness.start()
    status = harness.events.last_status
    assert not status.online and status.queue_depth == 1 and "unreachable" in status.last_error
    assert store.get_scan(scan.scan_id).state == "queued"
    # Back online: the back-off timer retries on its own (full jitter: at most 1 s here).
    transport_state["online"] = True
    with qtbot.waitSignal(harness.events.scans_updated, timeout=10_000):
        pass
    assert store.get_scan(scan.scan_id).state == "synced"


def test_stop_ends_the_thread_even_while_the_gui_thread_waits(qtbot, harness):
    with qtbot.waitSignal(harness.events.reference_updated, timeout=5000):
        harness.start()
    thread = harness.threads.pop()
    assert stop_sync_thread(harness.worker, thread, timeout_ms=10_000)
    assert thread.isFinished()


def test_an_unexpected_error_is_reported_and_syncing_goes_on(qtbot, qapp, monkeypatch):
    calls = []

    class FlakyEngine:
        class store:  # noqa: N801 - stands in for the engine's LocalStore
            @staticmethod
            def queue_depth() -> int:
                return 0

        def sync_once(self) -> SyncReport:
            calls.append(1)
            if len(calls) == 1:
                raise OSError("disk full")
            return SyncReport(SyncState.OK)

        def close(self) -> None:
            pass

    monkeypatch.setattr("client.sync.worker.backoff_delay", lambda failures: 0.0)
    worker = SyncWorker(FlakyEngine, interval_s=60.0)
    events = SyncEvents(worker)
    states = []
    events.status_changed.connect(lambda status: states.append(status.state))
    with qtbot.waitSignal(
        events.status_changed, timeout=5000, check_params_cb=lambda status: status.state == "ok"
    ):
        thread = start_sync_thread(worker)
    assert states == ["starting", "local_error", "ok"]
    assert stop_sync_thread(worker, thread)
