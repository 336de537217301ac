"""The kiosk's side of versions (shared.protocol's rule): what it states on every request,
and *update needed* with the queue kept when kiosk and server share no protocol."""

from __future__ import annotations

import httpx
import pytest

from client.sync.engine import BATCH_PATH, SyncEngine, SyncState
from shared.protocol import (
    ACCEPTS_HEADER,
    APP_VERSION_HEADER,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    QUEUE_DEPTH_HEADER,
)
from shared.version import __version__
from tests.client.test_sync_engine import TOKEN, FakeServer, error, queue, states


@pytest.fixture
def server(demo) -> FakeServer:
    return FakeServer(demo)


@pytest.fixture
def engine(store, server):
    client = httpx.Client(transport=httpx.MockTransport(server), timeout=10)
    sync = SyncEngine(store.path, "http://kiosk-test.invalid/", lambda: TOKEN, client, batch_size=2)
    yield sync
    sync.close()
    client.close()


def test_every_request_states_protocol_release_and_queue_depth(engine, store, server, demo):
    queue(store, demo, "RG-U-0001", "RG-U-0002", "RG-U-0003")
    assert engine.sync_once().ok
    depths = []
    for request in server.requests:
        assert request.headers[PROTOCOL_HEADER] == str(PROTOCOL_VERSION)
        assert request.headers[ACCEPTS_HEADER] == f"{MIN_PROTOCOL_VERSION}-{PROTOCOL_VERSION}"
        assert request.headers[APP_VERSION_HEADER] == __version__
        depths.append(int(request.headers[QUEUE_DEPTH_HEADER]))
    assert depths == [3, 1, 0]  # before each batch of two, then before the download


def test_a_426_is_update_needed_and_the_queue_stays(engine, store, server, demo):
    ids = queue(store, demo, "RG-U-0001", "RG-U-0002", "RG-U-0003")
    server.fail = lambda request: error(426, "kiosk_too_old", "update the kiosk")
    report = engine.sync_once()
    assert report.state is SyncState.UPDATE_NEEDED and report.online
    assert "update needed" in report.error and "kiosk_too_old" in report.error
    # Not split, not set aside as poison: one request, every row still queued.
    assert server.paths() == [f"POST {BATCH_PATH}"]
    assert store.queue_depth() == 3 and states(store) == [("queued", None)] * 3
    server.fail = lambda request: None  # the server was upgraded
    assert engine.sync_once().ok and store.queue_depth() == 0
    assert set(server.applied) == set(ids)


def test_a_409_server_too_old_is_update_needed_but_other_409s_are_not(engine, store, server, demo):
    queue(store, demo, "RG-U-0001")
    server.fail = lambda request: error(409, "server_too_old", "update the server first")
    assert engine.sync_once().state is SyncState.UPDATE_NEEDED
    server.fail = lambda request: error(409, "conflict", "something else")
    assert engine.sync_once().state is SyncState.REFUSED
    assert store.queue_depth() == 1


def test_a_server_stating_a_range_without_ours_is_update_needed(engine, store, server, demo):
    queue(store, demo, "RG-U-0001")
    later = f"{PROTOCOL_VERSION + 1}-{PROTOCOL_VERSION + 2}"
    server.fail = lambda request: httpx.Response(
        200, json={"results": []}, headers={ACCEPTS_HEADER: later}
    )
    report = engine.sync_once()
    assert report.state is SyncState.UPDATE_NEEDED
    assert f"accepts protocol {later}" in report.error
    assert store.queue_depth() == 1 and server.paths() == [f"POST {BATCH_PATH}"]


def test_a_server_without_version_headers_is_protocol_one_so_update_needed(
    engine, store, server, demo
):
    # A server from before 0.2.0 states nothing: protocol 1 only. This kiosk speaks 2 (its
    # scans name their login), so the server must be upgraded first; nothing is lost.
    server.states_version = False
    queue(store, demo, "RG-U-0001")
    report = engine.sync_once()
    assert report.state is SyncState.UPDATE_NEEDED
    assert f"this kiosk speaks {PROTOCOL_VERSION}" in report.error
    assert store.queue_depth() == 1
