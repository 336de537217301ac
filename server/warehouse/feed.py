"""Live scan results for admins, as server-sent events, complete across worker processes.

Each server process has one ``ScanFeed``: a broadcaster to the SSE subscribers connected to
*that* process. Each subscriber gets a bounded asyncio queue; one too slow to keep up loses
the oldest events and is told so (a ``lagged`` event) rather than slowing ingest down.
When the shared channel below is lost (a database restart), the streams are told with a
``gap`` event: scans committed until it reopens are not shown, so re-read the status.

What feeds the broadcasters is a channel all processes share, so an admin connected to
one worker sees the scans every worker ingests (``rentguy-server serve --workers N``, or
several servers on one database). It is chosen by database (``feed_for``):

- PostgreSQL (``PgNotifySource``): the ingest transaction sends one ``NOTIFY`` per newly
  decided scan, in one statement. PostgreSQL delivers notifications only when that
  transaction commits, so a rolled-back batch is never seen. A process with subscribers
  holds a LISTEN connection, and on it a shared advisory lock that tells ingest someone is
  listening: with no subscriber anywhere, ingest pays one ``pg_locks`` look-up per batch
  and notifies nothing (a notifying commit is serialized cluster-wide, so it is not free).
- SQLite (``SqliteTailSource``): writers are serialized (``BEGIN IMMEDIATE``), so the rowid
  order of committed ``scans`` rows is commit order, and a reader only ever sees committed
  rows. A process with subscribers polls the rows after the last rowid it has seen;
  ingest does nothing extra at all.
- ``LocalSource`` (no database; SQLite in memory): the batch is broadcast in this process
  after its transaction commits (``after_commit``; dropped on rollback).

The LISTEN connection or the poller runs only while its process has subscribers. A stream
says ``: connected`` once that channel is live; every scan decided after that arrives (a
stream may also get a few scans committed just before it connected). Events come in
commit order, and in ``seq`` order within a batch. A lost database connection is logged and
re-opened; events committed while it was down are not replayed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from server.db import LOCK_SCAN_FEED_LISTENING
from shared.protocol import ScanIn

if TYPE_CHECKING:  # imported when a PostgreSQL listener starts (not on SQLite)
    import psycopg

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
HEARTBEAT_SECONDS = 15.0
# How long a new stream waits for the shared channel to come up before it gives up.
START_TIMEOUT_SECONDS = 10.0
RETRY_SECONDS = 1.0
# Reasons can list many barcodes; the feed shows the start (the scan row keeps it all) and
# stays far below PostgreSQL's 8000-byte NOTIFY payload limit (codes are <= 256 chars).
REASON_CHARS = 1000


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue
    lagged: int = 0


class ScanFeed:
    def __init__(self, source: FeedSource | None = None) -> None:
        # Guards the subscriber list; the source's thread waits on it for subscribers.
        self._cond = threading.Condition()
        self._subscribers: list[_Subscriber] = []
        self._joining = 0  # streams waiting for the source to go live
        self._source = source or LocalSource()
        self._source.bind(self)

    @property
    def subscriber_count(self) -> int:
        """Streams told ``: connected`` (each one receives every later scan)."""
        with self._cond:
            return len(self._subscribers)

    def _wanted(self) -> bool:  # call with self._cond held
        return bool(self._subscribers) or self._joining > 0

    def publish_after_commit(self, session: Session, decided: list[tuple[ScanIn, dict]]) -> None:
        """Called inside the ingest transaction with its newly decided scans: they reach the
        subscribers of every process once ``session`` commits, never if it rolls back."""
        if decided:
            self._source.publish_after_commit(self, session, decided)

    def publish(self, events: list[dict]) -> None:
        """Broadcast to this process's subscribers; thread-safe (sources call it from theirs)."""
        with self._cond:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub, events)
            except RuntimeError:  # its event loop is gone
                self._drop(sub)

    def interrupted(self) -> None:
        """The channel was lost: scans committed until it reopens never reach this
        process's streams, so each is told (a ``gap`` event) to re-read what it shows."""
        self.publish([_GAP])

    def _drop(self, sub: _Subscriber) -> None:
        with self._cond:
            if sub in self._subscribers:
                self._subscribers.remove(sub)
            self._cond.notify_all()

    def close(self) -> None:
        """Stop the source (its thread and connection); app shutdown."""
        self._source.close()

    async def stream(self, *, limit: int | None = None) -> AsyncIterator[str]:
        """SSE text: one ``scan`` event per decided scan; ends after ``limit`` events."""
        sub = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(QUEUE_SIZE))
        with self._cond:
            self._joining += 1
            self._cond.notify_all()
        live = False
        try:
            live = await asyncio.to_thread(self._source.wait_live, START_TIMEOUT_SECONDS)
        finally:
            with self._cond:
                self._joining -= 1
                if live:
                    self._subscribers.append(sub)
                self._cond.notify_all()
        if not live:
            yield _sse("unavailable", {"reason": "the live scan channel is not available"})
            return
        sent = 0
        try:
            yield ": connected\n\n"
            while limit is None or sent < limit:
                try:
                    item = await asyncio.wait_for(sub.queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if sub.lagged:
                    yield _sse("lagged", {"dropped": sub.lagged})
                    sub.lagged = 0
                if item is _GAP:
                    yield _sse("gap", {"reason": "the live channel was interrupted"})
                    continue
                yield f"event: scan\nid: {item['scan_id']}\ndata: {json.dumps(item)}\n\n"
                sent += 1
        finally:
            self._drop(sub)


# Queued like a scan, so a stream reports the gap in order with the scans around it.
_GAP: dict = {"gap": True}


def _sse(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _offer(sub: _Subscriber, events: list[dict]) -> None:
    for item in events:
        if sub.queue.full():
            sub.queue.get_nowait()
            sub.lagged += 1
        sub.queue.put_nowait(item)


def _event(
    *,
    scan_id: object,
    station_id: object,
    seq: int,
    user_id: object,
    project_id: object | None,
    mode: str,
    code: str,
    status: str,
    reason: str | None,
    movements: int,  # how many
    reason_code: str | None = None,
) -> dict:
    # The first reason's code (shared.reasons) for consoles that translate; the English
    # ``reason`` is cut to fit a NOTIFY payload, the code never is.
    if reason is not None and len(reason) > REASON_CHARS:
        reason = reason[: REASON_CHARS - 1] + "…"
    return {
        "scan_id": str(scan_id),
        "station_id": str(station_id),
        "seq": seq,
        "user_id": str(user_id),
        "project_id": str(project_id) if project_id else None,
        "mode": mode,
        "code": code,
        "status": status,
        "reason": reason,
        "reason_code": reason_code,
        "movements": movements,
    }


def _decided_events(decided: list[tuple[ScanIn, dict]]) -> list[dict]:
    return [
        _event(
            scan_id=scan.scan_id,
            station_id=scan.station_id,
            seq=scan.seq,
            user_id=scan.user_id,
            project_id=scan.project_id,
            mode=scan.mode.value,
            code=scan.code,
            status=result["status"],
            reason=result["reason"],
            reason_code=result.get("reason_code"),
            movements=len(result["movements"]),
        )
        for scan, result in decided
    ]


class FeedSource:
    """Where a process's feed gets its events from; see the module docstring."""

    def bind(self, feed: ScanFeed) -> None:
        self.feed = feed

    def publish_after_commit(
        self, feed: ScanFeed, session: Session, decided: list[tuple[ScanIn, dict]]
    ) -> None:
        raise NotImplementedError

    def wait_live(self, timeout: float) -> bool:
        """Block until a new subscriber will receive every scan decided from now on."""
        return True

    def close(self) -> None:
        pass


class LocalSource(FeedSource):
    """One process only: broadcast after the ingest transaction commits."""

    def publish_after_commit(
        self, feed: ScanFeed, session: Session, decided: list[tuple[ScanIn, dict]]
    ) -> None:
        if not feed.subscriber_count:
            return
        events = _decided_events(decided)
        event.listen(session, "after_commit", lambda _s: feed.publish(events), once=True)


class _TailSource(FeedSource):
    """A daemon thread with a database channel open while the feed has subscribers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._live = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def wait_live(self, timeout: float) -> bool:
        cond = self.feed._cond
        with cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"scan-feed-{type(self).__name__}", daemon=True
                )
                self._thread.start()
            cond.notify_all()
            return cond.wait_for(lambda: self._live or self._closed, timeout) and self._live

    def close(self) -> None:
        with self.feed._cond:
            self._closed = True
            self.feed._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        cond = self.feed._cond
        while True:
            with cond:
                cond.wait_for(lambda: self._closed or self.feed._wanted())
                if self._closed:
                    return
            try:
                self._open()
            except Exception:
                log.warning("live scan feed: cannot open its channel; retrying", exc_info=True)
                with cond:
                    cond.wait(RETRY_SECONDS)
                continue
            lost = False
            try:
                with cond:
                    self._live = True
                    cond.notify_all()
                while True:
                    with cond:
                        if self._closed or not self.feed._wanted():
                            self._live = False  # a stream joining from now waits for a reopen
                            break
                    self._step()
            except Exception:
                log.warning("live scan feed: channel lost; re-opening", exc_info=True)
                lost = True
                self.feed.interrupted()
            finally:
                with cond:
                    self._live = False
                self._shut()
            if lost:
                with cond:
                    cond.wait(RETRY_SECONDS)

    def _open(self) -> None:
        raise NotImplementedError

    def _step(self) -> None:
        """Wait a little for events and publish what arrived."""
        raise NotImplementedError

    def _shut(self) -> None:
        pass


# The channel, and the advisory lock that a LISTEN connection holds shared so that ingest
# can tell whether anyone listens.
PG_CHANNEL = "rentguy_scans"
PG_LOCK_KEYS = LOCK_SCAN_FEED_LISTENING
_PG_LISTENING = text(
    "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = :k1 AND objid = :k2 AND objsubid = 2)"
)
# One statement, one notification per event (each is far below the 8000-byte limit).
_PG_NOTIFY = text(
    "SELECT count(pg_notify(:channel, value::text)) FROM json_array_elements(CAST(:events AS json))"
)
PG_WAIT_SECONDS = 0.05


class PgNotifySource(_TailSource):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._conn: psycopg.Connection[Any] | None = None

    def publish_after_commit(
        self, feed: ScanFeed, session: Session, decided: list[tuple[ScanIn, dict]]
    ) -> None:
        if not session.execute(_PG_LISTENING, PG_LOCK_KEYS).scalar():
            return
        events = orjson.dumps(_decided_events(decided)).decode()
        session.execute(_PG_NOTIFY, {"channel": PG_CHANNEL, "events": events})

    def _open(self) -> None:
        import psycopg

        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        cparams.pop("context", None)  # SQLAlchemy's type adapters; plain psycopg here
        conn = psycopg.connect(*cargs, **cparams, autocommit=True)
        try:
            conn.execute(f"LISTEN {PG_CHANNEL}")
            conn.execute("SELECT pg_advisory_lock_shared(%(k1)s, %(k2)s)", PG_LOCK_KEYS)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _step(self) -> None:
        # Gather what arrives in a short window, then broadcast it as one list.
        assert self._conn is not None  # connected before the first step
        events = [orjson.loads(n.payload) for n in self._conn.notifies(timeout=PG_WAIT_SECONDS)]
        if events:
            self.feed.publish(events)

    def _shut(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # ends the LISTEN and releases the advisory lock


SQLITE_POLL_SECONDS = 0.1
SQLITE_CHUNK = 5000
_SQLITE_TAIL = (
    "SELECT s.rowid, s.received_at, s.scan_id, s.station_id, s.seq, s.user_id, s.project_id,"
    " s.mode, s.code, s.status, s.reason,"
    " (SELECT count(*) FROM movements m WHERE m.scan_id = s.scan_id), s.reasons"
    " FROM scans s WHERE s.rowid > ? ORDER BY s.rowid LIMIT ?"
)


def _uuid(value: object) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


class SqliteTailSource(_TailSource):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._after = 0

    def publish_after_commit(
        self, feed: ScanFeed, session: Session, decided: list[tuple[ScanIn, dict]]
    ) -> None:
        pass  # the committed rows are the channel

    def _query(self, sql: str, params: tuple = ()) -> list:
        # A raw DBAPI connection in autocommit: one statement reads one committed snapshot
        # and takes no write lock (the engine's own transactions BEGIN IMMEDIATE).
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            conn.close()

    def _open(self) -> None:
        [(last,)] = self._query("SELECT max(rowid) FROM scans")
        self._after = last or 0

    def _step(self) -> None:
        rows = self._query(_SQLITE_TAIL, (self._after, SQLITE_CHUNK))
        if not rows:
            with self.feed._cond:
                self.feed._cond.wait(SQLITE_POLL_SECONDS)  # woken early by close()
            return
        self._after = rows[-1][0]
        rows = _batches_in_seq_order(rows)
        self.feed.publish(
            [
                _event(
                    scan_id=_uuid(r[2]),
                    station_id=_uuid(r[3]),
                    seq=r[4],
                    user_id=_uuid(r[5]),
                    project_id=_uuid(r[6]),
                    mode=r[7],
                    code=r[8],
                    status=r[9],
                    reason=r[10],
                    movements=r[11],
                    reason_code=_first_code(r[12]),
                )
                for r in rows
            ]
        )


def _first_code(reasons: str | None) -> str | None:
    """The first code of a stored ``scans.reasons`` (JSON), or None."""
    first = next(iter(orjson.loads(reasons)), None) if reasons else None
    return first["code"] if first else None


def _batches_in_seq_order(rows: list) -> list:
    """Rows of one batch (same station and received_at, consecutive rowids) were inserted
    in scan_id order, ingest's lock order: keep batches in commit order, each in seq order."""
    group, previous, keyed = 0, None, []
    for row in rows:
        batch = (row[1], row[3])
        if batch != previous:
            group, previous = group + 1, batch
        keyed.append(((group, row[4]), row))
    keyed.sort(key=lambda pair: pair[0])
    return [row for _key, row in keyed]


def feed_for(engine: Engine) -> ScanFeed:
    """The feed for an app on ``engine``: shared across processes when the database allows."""
    if engine.dialect.name == "postgresql":
        return ScanFeed(PgNotifySource(engine))
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return ScanFeed(SqliteTailSource(engine))
    return ScanFeed(LocalSource())
