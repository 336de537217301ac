"""The live scan feed shared across processes (PostgreSQL NOTIFY, SQLite rowid tail).

Each test gives a second "process" an engine and a feed of its own, as a second server
worker has: it streams there while the scans are ingested through the first. The real
multi-process server is tested in tests/server/test_workers.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid

import pytest
from sqlalchemy import event, text

from server.db import make_engine
from server.identity.models import Station
from server.warehouse import feed as feed_module
from server.warehouse.feed import (
    _PG_LISTENING,
    PG_LOCK_KEYS,
    PgNotifySource,
    SqliteTailSource,
    feed_for,
)
from server.warehouse.ingest import ingest_batch
from shared.protocol import ScanBatch, ScanIn
from tests.helpers.scans import ScanFactory


@pytest.fixture
def other_process(database_url):
    """The engine and feed a second server process would have."""
    engine = make_engine(database_url)
    feed = feed_for(engine)
    yield feed
    feed.close()
    engine.dispose()


@pytest.fixture
def this_process(engine):
    feed = feed_for(engine)
    yield feed
    feed.close()


def ingest(session_factory, feed, demo, scans: list[dict], *, commit: bool = True) -> None:
    """What the ingest route does, in a transaction that commits or rolls back."""
    with session_factory() as session:
        station = session.get(Station, uuid.UUID(demo["station_id"]))
        ingest_batch(
            session=session,
            station=station,
            batch=ScanBatch.model_validate({"scans": scans}),
            on_applied=lambda decided: feed.publish_after_commit(session, decided),
        )
        if commit:
            session.commit()
        else:
            session.rollback()


def scan_events(chunks: list[str]) -> list[dict]:
    return [
        json.loads(re.search(r"^data: (.*)$", chunk, re.M).group(1))
        for chunk in chunks
        if chunk.startswith("event: scan")
    ]


def test_the_shared_source_follows_the_database(this_process, other_process, engine):
    wanted = PgNotifySource if engine.dialect.name == "postgresql" else SqliteTailSource
    assert isinstance(this_process._source, wanted)
    assert isinstance(other_process._source, wanted)


def test_a_stream_sees_another_process_commits_never_its_rollbacks(
    session_factory, this_process, other_process, demo
):
    scans = ScanFactory.for_demo(demo)
    rolled_back = [scans.scan(code) for code in demo["unit_codes"][:3]]
    committed = [scans.scan(code) for code in demo["unit_codes"][3:6]] + [scans.scan("NOPE-1")]
    committed.reverse()  # the batch's order is not seq order: events come in seq order

    async def main() -> list[str]:
        stream = other_process.stream(limit=len(committed))
        assert await anext(stream) == ": connected\n\n"
        await asyncio.to_thread(
            ingest, session_factory, this_process, demo, rolled_back, commit=False
        )
        await asyncio.to_thread(ingest, session_factory, this_process, demo, committed)
        return [chunk async for chunk in stream]

    events = scan_events(asyncio.run(main()))
    assert [e["scan_id"] for e in events] == [s["scan_id"] for s in reversed(committed)]
    assert [e["status"] for e in events] == ["applied"] * 3 + ["rejected"]
    assert events[0]["movements"] == 1 and events[-1]["movements"] == 0
    assert events[-1]["reason"] == "unknown code 'NOPE-1'"
    assert events[-1]["reason_code"] == "unknown_code"  # for consoles that translate
    assert events[0]["reason_code"] is None
    assert events[0]["station_id"] == demo["station_id"]


def test_with_nobody_listening_ingest_publishes_nothing(session_factory, this_process, demo):
    """No subscriber anywhere: PostgreSQL pays one lock look-up per batch, SQLite nothing."""
    scan = ScanIn.model_validate(ScanFactory.for_demo(demo).scan("X"))
    decided = [(scan, {"status": "rejected", "reason": "unknown code", "movements": []})]
    statements: list[str] = []
    with session_factory() as session:
        session.execute(text("SELECT 1"))  # the transaction is open, as in ingest
        engine = session.get_bind()

        def record(_conn, _cursor, statement, *_args) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            this_process.publish_after_commit(session, decided)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        session.commit()
    if engine.dialect.name == "postgresql":
        assert len(statements) == 1 and "pg_locks" in statements[0]
    else:
        assert statements == []


def test_a_slow_subscriber_is_told_what_it_lost(
    session_factory, this_process, other_process, demo, monkeypatch
):
    monkeypatch.setattr(feed_module, "QUEUE_SIZE", 3)
    scans = ScanFactory.for_demo(demo)
    batch = [scans.scan(f"NOPE-{i}") for i in range(5)]

    async def main() -> list[str]:
        stream = other_process.stream(limit=3)
        assert await anext(stream) == ": connected\n\n"
        await asyncio.to_thread(ingest, session_factory, this_process, demo, batch)
        [sub] = other_process._subscribers
        deadline = time.monotonic() + 30
        while sub.lagged < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return [chunk async for chunk in stream]

    chunks = asyncio.run(main())
    assert chunks[0] == 'event: lagged\ndata: {"dropped": 2}\n\n'
    assert [e["code"] for e in scan_events(chunks)] == ["NOPE-2", "NOPE-3", "NOPE-4"]


def test_the_channel_closes_with_the_last_subscriber(other_process, session_factory):
    async def probe() -> list[str]:
        return [chunk async for chunk in other_process.stream(limit=0)]

    assert asyncio.run(probe()) == [": connected\n\n"]
    assert other_process.subscriber_count == 0
    source = other_process._source
    if isinstance(source, PgNotifySource):
        # The LISTEN connection goes, with its lock: ingest stops notifying.
        def open_() -> bool:
            with session_factory() as session:
                return session.execute(_PG_LISTENING, PG_LOCK_KEYS).scalar()
    else:

        def open_() -> bool:
            return source._live

    deadline = time.monotonic() + 30
    while open_() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not open_()


def test_a_closed_feed_says_so_instead_of_hanging(database_url):
    engine = make_engine(database_url)
    feed = feed_for(engine)
    feed.close()

    async def probe() -> list[str]:
        return [chunk async for chunk in feed.stream(limit=0)]

    [chunk] = asyncio.run(probe())
    assert chunk.startswith("event: unavailable")  # closed: says so, never hangs
    engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_uses_the_in_process_feed(url):
    engine = make_engine(url)
    assert type(feed_for(engine)._source).__name__ == "LocalSource"
    engine.dispose()


_LISTENER_PIDS = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = :k1 AND objid = :k2 AND objsubid = 2"
)


def test_a_lost_listen_connection_is_reopened(
    session_factory, engine, this_process, other_process, demo
):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's poller opens a connection per poll: nothing to lose")
    scans = ScanFactory.for_demo(demo)
    batch = [scans.scan("NOPE-AFTER")]

    def listeners() -> set[int]:
        with engine.connect() as conn:
            return set(conn.execute(_LISTENER_PIDS, PG_LOCK_KEYS).scalars())

    async def main() -> list[str]:
        stream = other_process.stream(limit=1)
        assert await anext(stream) == ": connected\n\n"
        [first] = listeners()
        with engine.connect() as conn:  # as a database restart would
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        deadline = time.monotonic() + 60
        while listeners() in (set(), {first}) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert listeners() and first not in listeners()
        await asyncio.to_thread(ingest, session_factory, this_process, demo, batch)
        return [chunk async for chunk in stream]

    chunks = asyncio.run(main())
    assert [e["code"] for e in scan_events(chunks)] == ["NOPE-AFTER"]
    # The open stream was told it may have missed scans while the channel was down.
    gaps = [c for c in chunks if c.startswith("event: gap")]
    assert len(gaps) == 1 and chunks.index(gaps[0]) < len(chunks) - 1
