"""Live scan results for admins, as server-sent events.

The ingest route hands each batch's newly decided scans to ``ScanFeed.publish_after_commit``;
they are broadcast only once the request's transaction has committed, so a stream never
shows a scan that was rolled back. Subscribers each get a bounded asyncio queue; a
subscriber too slow to keep up loses the oldest events and is told so (a ``lagged`` event)
rather than slowing ingest down.

Limits: the broadcaster lives in one server process. With several worker processes or
hosts, an admin sees only the scans that process ingested; a multi-process deployment
needs a shared channel (PostgreSQL LISTEN/NOTIFY or a broker) feeding each process's
broadcaster. ``rentguy-server serve`` runs one process, so the stream is complete there.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from shared.protocol import ScanIn

QUEUE_SIZE = 1000
HEARTBEAT_SECONDS = 15.0


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue
    lagged: int = 0


class ScanFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[_Subscriber] = []

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish_after_commit(self, session: Session, decided: list[tuple[ScanIn, dict]]) -> None:
        """Queue ``decided`` for broadcast when ``session`` commits (dropped on rollback)."""
        if not decided or not self.subscriber_count:
            return
        events = [_event(scan, result) for scan, result in decided]
        event.listen(session, "after_commit", lambda _s: self.publish(events), once=True)

    def publish(self, events: list[dict]) -> None:
        """Thread-safe: may be called from the worker thread that ran the request."""
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub, events)
            except RuntimeError:  # its event loop is gone
                self._drop(sub)

    def _drop(self, sub: _Subscriber) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    async def stream(self, *, limit: int | None = None) -> AsyncIterator[str]:
        """SSE text: one ``scan`` event per decided scan; ends after ``limit`` events."""
        sub = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(QUEUE_SIZE))
        with self._lock:
            self._subscribers.append(sub)
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
                    yield f"event: lagged\ndata: {json.dumps({'dropped': sub.lagged})}\n\n"
                    sub.lagged = 0
                yield f"event: scan\nid: {item['scan_id']}\ndata: {json.dumps(item)}\n\n"
                sent += 1
        finally:
            self._drop(sub)


def _offer(sub: _Subscriber, events: list[dict]) -> None:
    for item in events:
        if sub.queue.full():
            sub.queue.get_nowait()
            sub.lagged += 1
        sub.queue.put_nowait(item)


def _event(scan: ScanIn, result: dict) -> dict:
    return {
        "scan_id": str(scan.scan_id),
        "station_id": str(scan.station_id),
        "seq": scan.seq,
        "user_id": str(scan.user_id),
        "project_id": str(scan.project_id) if scan.project_id else None,
        "mode": scan.mode.value,
        "code": scan.code,
        "status": result["status"],
        "reason": result["reason"],
        "movements": len(result["movements"]),
    }
