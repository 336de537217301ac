"""The sync engine sets a refused scan aside and sends the rest (issue 14 defect 2); the
live-server counterpart is tests/e2e/test_poison_sync.py."""

from __future__ import annotations

import httpx
import pytest

from client.sync.engine import BATCH_PATH, SyncEngine, SyncState
from shared.protocol import ScanBatch
from tests.client.test_sync_engine import TOKEN, FakeServer, error, queue
from tests.helpers.server_version import current_server


@pytest.fixture
def server(demo) -> FakeServer:
    return FakeServer(demo)


@pytest.fixture
def engine(store, server):
    client = httpx.Client(transport=current_server(server), timeout=10)
    sync = SyncEngine(store.path, "http://kiosk-test.invalid/", lambda: TOKEN, client)
    yield sync
    sync.close()
    client.close()


def _refuse_code(poison: str):
    """A server that refuses any batch holding ``poison`` with a 422 naming that scan."""

    def fail(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != BATCH_PATH:
            return None
        scans = ScanBatch.model_validate_json(request.content).scans
        bad = [i for i, scan in enumerate(scans) if scan.code == poison]
        if not bad:
            return None
        response = error(422, "validation_error", f"body.scans.{bad[0]}.code: not allowed")
        body = response.json()
        body["error"]["details"] = [
            {"loc": ["body", "scans", i, "code"], "msg": "not allowed", "type": "x"} for i in bad
        ]
        return httpx.Response(422, json=body)

    return fail


def test_a_scan_the_server_names_is_rejected_locally_and_the_rest_sent(engine, store, server, demo):
    ids = queue(store, demo, "RG-U-0001", "POISON", "RG-U-0002", "RG-U-0003")
    server.fail = _refuse_code("POISON")
    report = engine.sync_once()
    assert report.state is SyncState.OK, report.error
    assert store.queue_depth() == 0
    states = {s.scan_id: (s.state, s.reason) for s in store.recent_scans(100)}
    assert states[ids[1]][0] == "rejected"
    assert "body.scans.1.code: not allowed (validation_error)" in states[ids[1]][1]
    assert sorted(server.applied) == sorted([ids[0], ids[2], ids[3]])


def test_a_422_naming_no_scan_is_split_until_the_scan_stands_alone(engine, store, server, demo):
    ids = queue(store, demo, *[f"RG-U-{n:04}" for n in range(1, 8)])
    poison = ids[5]

    def fail(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == BATCH_PATH and poison in request.content.decode():
            return error(422, "validation_error", "something in this batch")
        return None

    server.fail = fail
    report = engine.sync_once()
    assert report.state is SyncState.OK, report.error
    assert store.queue_depth() == 0
    states = {s.scan_id: (s.state, s.reason) for s in store.recent_scans(100)}
    assert states[poison] == (
        "rejected",
        "server refused the request: something in this batch"
        " (validation_error) [request req-7]",
    )
    assert sorted(server.applied) == sorted(i for i in ids if i != poison)


def test_a_server_that_refuses_everything_rejects_nothing_locally(engine, store, server, demo):
    queue(store, demo, *[f"RG-U-{n:04}" for n in range(1, 6)])
    server.fail = lambda request: error(422, "validation_error", "protocol 9 only")
    report = engine.sync_once()
    assert report.state is SyncState.REFUSED
    assert store.queue_depth() == 5  # kept, for a server that speaks our protocol


def test_a_413_is_split_and_everything_goes(engine, store, server, demo):
    ids = queue(store, demo, *[f"RG-U-{n:04}" for n in range(1, 9)])

    def fail(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == BATCH_PATH and request.content.count(b"scan_id") > 2:
            return error(413, "payload_too_large", "request body larger than 1000 bytes")
        return None

    server.fail = fail
    assert engine.sync_once().state is SyncState.OK
    assert sorted(server.applied) == sorted(ids)
