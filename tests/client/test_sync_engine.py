"""SyncEngine against an in-test server (httpx.MockTransport): answers, failures, order."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from client.store import LocalStore
from client.sync.engine import BATCH_PATH, REFERENCE_PATH, SyncEngine, SyncState
from shared.protocol import ScanBatch
from tests.helpers.server_version import stating_version

TOKEN = "station-token-1"
T0 = datetime(2025, 4, 25, 7, 30, tzinfo=UTC)


class FakeServer:
    """Answers like the real API; ``answer`` decides each scan's status by its code."""

    def __init__(self, demo) -> None:
        self.demo = demo
        self.requests: list[httpx.Request] = []
        self.batches: list[ScanBatch] = []
        self.applied: dict[str, str] = {}  # scan_id -> first status
        self.answer: Callable[[str], tuple[str, str | None]] = lambda code: ("applied", None)
        self.fail: Callable[[httpx.Request], httpx.Response | None] = lambda request: None
        self.answer_only: int | None = None  # answer just the first N scans of a batch
        self.snapshot_full = True
        self.cursor: str | None = None  # fixed cursor: identical answers every time
        # cursor sent -> the page to answer (JSON body); None: a full snapshot every time.
        self.reference: Callable[[str | None], dict] | None = None
        self.states_version = True  # False: a server from before the version headers

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self._answer(request)
        # As every server since 0.2.0 (shared.protocol); False: a server from before.
        return stating_version(response) if self.states_version else response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        failure = self.fail(request)
        if failure is not None:
            return failure
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return error(401, "unauthorized", "bad station token")
        if request.url.path == BATCH_PATH:
            batch = ScanBatch.model_validate_json(request.content)
            self.batches.append(batch)
            results = []
            for scan in batch.scans[: self.answer_only]:
                key = str(scan.scan_id)
                if key in self.applied:
                    results.append({"scan_id": key, "status": "duplicate"})
                    continue
                status, reason = self.answer(scan.code)
                self.applied[key] = status
                results.append({"scan_id": key, "status": status, "reason": reason})
            return httpx.Response(200, json={"results": results})
        if request.url.path == REFERENCE_PATH and self.reference is not None:
            return httpx.Response(200, json=self.reference(request.url.params.get("cursor")))
        if request.url.path == REFERENCE_PATH:
            snapshot = self.demo.snapshot(self.cursor or f"c{len(self.requests)}")
            body = json.loads(snapshot.model_dump_json())
            body["full"] = self.snapshot_full
            return httpx.Response(200, json=body)
        return error(404, "not_found", "no such route")

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def delta(demo, cursor: str, **rows) -> dict:
    """An empty delta page (``full=false``) with ``rows`` in it."""
    return {
        "cursor": cursor,
        "full": False,
        "has_more": False,
        "station_id": str(demo.station_id),
        "badge_hash_key": demo.badge_key.hex(),
        **rows,
    }


def error(status: int, code: str, message: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "details": None}, "request_id": "req-7"}
    return httpx.Response(status, json=body)


@pytest.fixture
def server(demo) -> FakeServer:
    return FakeServer(demo)


@pytest.fixture
def token() -> dict[str, str | None]:
    return {"value": TOKEN}


@pytest.fixture
def engine(store, server, token):
    client = httpx.Client(transport=httpx.MockTransport(server), timeout=10)
    sync = SyncEngine(
        store.path, "http://kiosk-test.invalid/", lambda: token["value"], client, batch_size=2
    )
    yield sync
    sync.close()
    client.close()


def queue(store: LocalStore, demo, *codes: str) -> list[str]:
    ids = []
    for code in codes:
        ids.append(
            store.enqueue_scan(
                station_id=str(demo.station_id),
                user_id=str(demo.user_id),
                project_id=str(demo.project_id),
                mode="out",
                code=code,
                normalized_code=code,
                source="wedge",
                scanned_at=T0,
                local_verdict="ok",
            ).scan_id
        )
    return ids


def states(store: LocalStore) -> list[tuple[str, str | None]]:
    return [(s.state, s.reason) for s in reversed(store.recent_scans(100))]


def test_uploads_in_seq_order_then_downloads(engine, store, server, demo):
    queue(store, demo, "RG-U-0001", "RG-U-0002", "RG-U-0003", "RG-U-0004", "RG-U-0005")
    report = engine.sync_once()
    assert report.ok and report.online and report.reference_updated
    assert report.uploaded == {"applied": 5} and report.changed == 5
    # Batches of two, in seq order, and only then the reference download.
    assert server.paths() == [f"POST {BATCH_PATH}"] * 3 + [f"GET {REFERENCE_PATH}"]
    assert [[s.seq for s in b.scans] for b in server.batches] == [[1, 2], [3, 4], [5]]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert store.queue_depth() == 0
    assert store.reference_cursor() == "c4" and store.has_reference()


def test_each_answer_maps_to_a_local_state(engine, store, server, demo):
    server.answer = lambda code: {
        "A": ("applied", None),
        "C": ("conflict", "out on Bedrijfsfeest Philips"),
        "R": ("rejected", "unknown code"),
    }[code[-1]]
    queue(store, demo, "RG-A", "RG-C", "RG-R")
    report = engine.sync_once()
    assert report.uploaded == {"applied": 1, "conflict": 1, "rejected": 1}
    assert states(store) == [
        ("synced", None),
        ("conflict", "out on Bedrijfsfeest Philips"),
        ("rejected", "unknown code"),
    ]
    assert store.count_scans()["rejected"] == 1  # kept, shown: never deleted


def test_a_lost_answer_is_resent_and_deduplicated(engine, store, server, demo):
    queue(store, demo, "RG-U-0001")
    lost = {"once": True}

    def lose_first_answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == BATCH_PATH and lost.pop("once", False):
            server.applied[str(ScanBatch.model_validate_json(request.content).scans[0].scan_id)] = (
                "applied"  # the server did apply it...
            )
            raise httpx.ReadTimeout("answer lost", request=request)  # ...but we never heard
        return None

    server.fail = lose_first_answer
    report = engine.sync_once()
    assert report.state is SyncState.OFFLINE and not report.online
    assert store.queue_depth() == 1
    report = engine.sync_once()
    assert report.ok and report.uploaded == {"duplicate": 1}
    assert states(store) == [("synced", None)]


def test_connection_errors_keep_everything_queued(engine, store, server, demo):
    queue(store, demo, "RG-U-0001", "RG-U-0002")

    def refuse(request: httpx.Request):
        raise httpx.ConnectError("connection refused", request=request)

    server.fail = refuse
    report = engine.sync_once()
    assert report.state is SyncState.OFFLINE and not report.online
    assert "unreachable" in report.error
    assert store.queue_depth() == 2 and not store.has_reference()


def test_401_stops_until_the_token_changes(engine, store, server, demo, token):
    queue(store, demo, "RG-U-0001")
    token["value"] = "revoked-token"
    report = engine.sync_once()
    assert report.state is SyncState.AUTH_FAILED and report.online
    assert "station token rejected" in report.error and "bad station token" in report.error
    asked = len(server.requests)
    assert engine.sync_once().state is SyncState.AUTH_FAILED
    assert len(server.requests) == asked  # same token: no new request
    token["value"] = TOKEN  # re-enrolled
    assert engine.sync_once().ok
    assert store.queue_depth() == 0


def test_no_token_means_not_enrolled(engine, store, server, demo, token):
    token["value"] = None
    report = engine.sync_once()
    assert report.state is SyncState.NO_TOKEN and server.requests == []


def test_5xx_is_retried_later_with_nothing_lost(engine, store, server, demo):
    queue(store, demo, "RG-U-0001")
    server.fail = lambda request: error(503, "unavailable", "database restarting")
    report = engine.sync_once()
    assert report.state is SyncState.SERVER_ERROR
    assert "database restarting" in report.error
    assert store.queue_depth() == 1
    server.fail = lambda request: None
    assert engine.sync_once().ok and store.queue_depth() == 0


def test_a_refused_batch_keeps_its_rows_and_shows_the_message(engine, store, server, demo):
    queue(store, demo, "RG-U-0001")
    server.fail = lambda request: error(422, "validation_error", "seq must grow")
    report = engine.sync_once()
    assert report.state is SyncState.REFUSED
    assert (
        report.error == "server refused the request: seq must grow (validation_error)"
        " [request req-7]"
    )
    assert store.queue_depth() == 1
    assert [p for p in server.paths() if p.startswith("GET")] == []  # no download after it


def test_an_unreadable_answer_is_a_server_error(engine, store, server, demo):
    queue(store, demo, "RG-U-0001")
    server.fail = lambda request: httpx.Response(200, text="<html>proxy login</html>")
    report = engine.sync_once()
    assert report.state is SyncState.SERVER_ERROR and store.queue_depth() == 1


def test_a_partial_answer_resends_the_rest(engine, store, server, demo):
    queue(store, demo, "RG-U-0001", "RG-U-0002")
    server.answer_only = 1
    report = engine.sync_once()
    # One answered per round: the loop goes on while the server makes progress.
    assert report.ok and report.uploaded == {"applied": 2}
    server.answer_only = 0
    queue(store, demo, "RG-U-0003")
    report = engine.sync_once()
    assert report.state is SyncState.SERVER_ERROR and "answered none" in report.error
    assert store.queue_depth() == 1


def test_a_row_that_can_never_be_sent_does_not_block_the_queue(engine, store, server, demo):
    queue(store, demo, "X" * 300, "RG-U-0002")  # longer than the protocol allows
    report = engine.sync_once()
    assert report.ok and report.uploaded == {"applied": 1}
    first, second = reversed(store.recent_scans(2))
    assert first.state == "rejected" and first.reason.startswith("cannot be sent")
    assert second.state == "synced"


def test_download_sends_the_cursor_and_reports_only_real_changes(engine, store, server, demo):
    engine.sync_once()
    assert "cursor" not in server.requests[0].url.params
    assert engine.sync_once().reference_updated  # a full answer always replaces the mirror
    assert server.requests[1].url.params["cursor"] == "c1"
    server.reference = lambda cursor: {**delta(demo, cursor or "x"), "cursor": cursor}
    assert not engine.sync_once().reference_updated  # same cursor, no rows: nothing changed
    queue(store, demo, "RG-U-0001")
    engine.sync_once()
    assert store.get_scan(store.recent_scans(1)[0].scan_id).state == "synced"


def test_a_delta_without_a_cursor_is_refused(engine, store, server, demo):
    server.snapshot_full = False
    report = engine.sync_once()
    assert report.state is SyncState.SERVER_ERROR and "delta" in report.error
    assert not store.has_reference()


def test_the_engine_opens_its_own_connection(engine, store):
    assert engine.store is not store and engine.store.path == store.path


def test_a_server_too_slow_for_a_full_batch_gets_smaller_ones(store, server, demo):
    """A batch that times out is halved until the server answers in time, then grows."""

    def slow_for_big_batches(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == BATCH_PATH:
            if len(ScanBatch.model_validate_json(request.content).scans) > 12:
                raise httpx.ReadTimeout("server still busy", request=request)
        return None

    server.fail = slow_for_big_batches
    client = httpx.Client(transport=httpx.MockTransport(server))
    engine = SyncEngine(
        store.path, "http://kiosk-test.invalid", lambda: TOKEN, client, batch_size=100
    )
    try:
        queue(store, demo, *[f"RG-U-{n:04d}" for n in range(60)])
        states_seen = [engine.sync_once().state for _ in range(4)]
        assert states_seen[:3] == [SyncState.OFFLINE] * 3  # 100, 50, 25: too big
        assert states_seen[3] is SyncState.OK and store.queue_depth() == 0
        assert [len(b.scans) for b in server.batches] == [12] * 5  # the ones answered
        assert engine.current_batch_size == 24  # after a clean round it grows again
    finally:
        engine.close()
        client.close()
