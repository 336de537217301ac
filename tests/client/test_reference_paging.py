"""The reference download contract (shared.reference): pages, deltas, tombstones, resume."""

from __future__ import annotations

import json

import httpx
import pytest

from client.sync.engine import REFERENCE_PATH, SyncEngine, SyncState
from tests.client.test_sync_engine import TOKEN, FakeServer, delta, queue
from tests.helpers.server_version import current_server


def _pages(demo, n: int) -> list[dict]:
    """The demo snapshot cut into ``n`` pages: the first ``full``, the last without more."""
    body = json.loads(demo.snapshot().model_dump_json())
    tables = ("products", "units", "cases", "projects", "badges")
    pages = []
    for i in range(n):
        page = {k: v for k, v in body.items() if k not in tables}
        for table in tables:
            page[table] = body[table][i::n]
        page.update(cursor=f"p{i + 1}", full=i == 0, has_more=i < n - 1)
        pages.append(page)
    return pages


@pytest.fixture
def server(demo) -> FakeServer:
    return FakeServer(demo)


@pytest.fixture
def engine(store, server):
    client = httpx.Client(transport=current_server(server), timeout=10)
    sync = SyncEngine(store.path, "http://kiosk-test.invalid", lambda: TOKEN, client)
    yield sync
    sync.close()
    client.close()


def cursors_sent(server: FakeServer) -> list[str | None]:
    return [r.url.params.get("cursor") for r in server.requests if r.url.path == REFERENCE_PATH]


def test_pages_are_fetched_until_has_more_is_false(engine, store, server, demo):
    pages = _pages(demo, 3)
    by_cursor = {None: pages[0], "p1": pages[1], "p2": pages[2]}
    server.reference = lambda cursor: by_cursor[cursor]
    report = engine.sync_once()
    assert report.ok and report.reference_updated
    assert cursors_sent(server) == [None, "p1", "p2"]
    assert store.reference_cursor() == "p3" and store.reference_complete()
    # Everything from all three pages is there, as from one full snapshot.
    assert store.lookup_code(demo.unit_code(13)) is not None
    assert store.lookup_code("RG-C-0001").units  # a case whose units came on other pages
    assert len(store.open_projects()) == 2


def test_an_interrupted_first_download_resumes_from_the_last_stored_page(
    engine, store, server, demo
):
    pages = _pages(demo, 3)
    by_cursor = {None: pages[0], "p1": pages[1], "p2": pages[2]}
    dead = {"on": "p2"}

    def answer(cursor):
        if cursor == dead["on"]:
            raise httpx.ConnectError("wifi gone")
        return by_cursor[cursor]

    server.reference = answer
    report = engine.sync_once()
    assert report.state is SyncState.OFFLINE
    assert store.reference_cursor() == "p2" and not store.reference_complete()
    assert store.lookup_code(demo.unit_code(1)) is not None  # pages 1-2 are kept
    dead["on"] = None
    server.requests.clear()
    assert engine.sync_once().ok
    assert cursors_sent(server) == ["p2"]  # not from scratch
    assert store.reference_complete() and len(store.open_projects()) == 2


def test_a_full_first_page_discards_the_old_mirror(engine, store, server, demo):
    store.replace_reference(demo.snapshot("old"))
    page = _pages(demo, 1)[0]
    page["units"] = [u for u in page["units"] if u["barcode"] != demo.unit_code(1)]
    server.reference = lambda cursor: page
    assert engine.sync_once().ok
    assert cursors_sent(server) == ["old"]  # asked for a delta, the server could not
    assert store.lookup_code(demo.unit_code(1)) is None  # gone, because full=true


def test_a_delta_upserts_and_tombstones_delete(engine, store, server, demo):
    store.replace_reference(demo.snapshot("c1"))
    unit2 = next(u for u in demo.snapshot().units if u.barcode == demo.unit_code(2))
    moved = json.loads(unit2.model_dump_json()) | {"status": "maintenance"}
    new_entry = demo.badge_entry("BADGE-NIEUW", "Nieuw", [])
    new_badge = json.loads(new_entry.model_dump_json())
    old_entry = demo.snapshot().badges[0]
    old_badge = str(old_entry.id)
    server.reference = lambda cursor: delta(
        demo,
        "c2",
        units=[moved],
        badges=[new_badge],
        deleted={
            "units": [str(demo.unit_id(3))],
            "projects": [str(demo.other_project_id)],
            "badges": [old_badge],
        },
    )
    report = engine.sync_once()
    assert report.ok and report.reference_updated
    assert cursors_sent(server) == ["c1"]
    assert store.lookup_code(demo.unit_code(2)).unit_status == "maintenance"
    assert store.lookup_code(demo.unit_code(3)) is None
    assert store.lookup_code(demo.unit_code(1)) is not None  # untouched rows stay
    assert [p.id for p in store.open_projects()] == [str(demo.project_id)]
    assert store.project_counts(str(demo.other_project_id)) == []  # its pick lines went too
    assert store.find_badge(old_entry.verifier, pin=False) is None
    assert store.find_badge(new_entry.verifier, pin=False).name == "Nieuw"


def test_a_project_in_a_delta_replaces_its_pick_list(engine, store, server, demo):
    store.replace_reference(demo.snapshot("c1"))
    project = json.loads(demo.snapshot().projects[0].model_dump_json())
    project["pick_lines"] = [{"product_id": str(demo.sm58), "qty": 9, "out": 3}]
    server.reference = lambda cursor: delta(demo, "c2", projects=[project])
    engine.sync_once()
    lines = store.project_counts(str(demo.project_id))
    assert [(line.product_id, line.expected, line.out) for line in lines] == [
        (str(demo.sm58), 9, 3)
    ]


def test_answered_scans_count_from_the_server_after_the_last_page(engine, store, server, demo):
    store.replace_reference(demo.snapshot("c1", pick_out=1))
    queue(store, demo, demo.unit_code(1))
    scan = store.recent_scans(1)[0]
    store.db.conn.execute(
        "UPDATE scans SET effects = ? WHERE scan_id = ?",
        [json.dumps({str(demo.sm58): 1}), scan.scan_id],
    )
    project = json.loads(demo.snapshot(pick_out=2).projects[0].model_dump_json())
    server.reference = lambda cursor: delta(demo, "c2", projects=[project])
    assert engine.sync_once().ok
    sm58 = next(
        line
        for line in store.project_counts(str(demo.project_id))
        if line.product_id == str(demo.sm58)
    )
    assert sm58.out == 2  # the server's 2 includes our scan: not counted twice


def test_has_more_without_a_new_cursor_is_a_server_error(engine, store, server, demo):
    store.replace_reference(demo.snapshot("c1"))
    server.reference = lambda cursor: delta(demo, "c1", has_more=True)
    report = engine.sync_once()
    assert report.state is SyncState.SERVER_ERROR and "cursor" in report.error
