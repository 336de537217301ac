"""Load: N stations x R scans/s for D seconds against the real server, restarted midway.

    .venv/bin/python stress/scan_load.py [--stations 20] [--rate 10] [--duration 120]
        [--database-url URL] [--workers 1] [--restart sigterm|sigkill|none]

Starts ``rentguy-server serve`` (tests/helpers/live_server.py) on a fresh PostgreSQL
database (the machine's server on 127.0.0.1:5432 unless ``--database-url``), seeds the demo
data and enrols one station per simulated kiosk. Each station makes ``--rate`` scans a
second (out/in of the demo units) into its own in-memory outbox and uploads what is queued
every 0.2 s in ``seq`` order, as the kiosk's sync thread does: a failed upload (connection
refused while the server restarts, a 5xx, a time-out) keeps the scans and is retried
with back-off. At half time the server is stopped (SIGTERM: a deploy; SIGKILL: a crash)
and started again on the same port.

After the run every outbox is drained, then the database is counted. Prints the upload
latency (one batch request: p50/p95/p99), the scan latency (made -> acknowledged), how many
scans were lost (made, never on the server) and doubled (a scan_id on the server twice),
and the answers by status. Exits 1 if any scan was lost or doubled. Loopback only; every
loop is bounded by the duration and a drain deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402

from server.db import make_engine, make_session_factory, transaction  # noqa: E402
from server.identity import service as identity  # noqa: E402
from server.warehouse.models import Scan  # noqa: E402
from shared.ids import uuid7  # noqa: E402
from shared.protocol import MAX_BATCH_SIZE  # noqa: E402
from tests.helpers.live_server import LiveServer  # noqa: E402

SYNC_INTERVAL_S = 0.2
TIMEOUT_S = 10.0
DRAIN_DEADLINE_S = 120.0


@dataclass
class Station:
    station_id: str
    token: str
    user_id: str
    project_id: str
    codes: list[str]
    seq: int = 0
    made: dict[str, float] = field(default_factory=dict)  # scan_id -> monotonic time made
    outbox: list[dict] = field(default_factory=list)

    def make_scan(self) -> None:
        self.seq += 1
        code = self.codes[self.seq % len(self.codes)]
        scan_id = str(uuid7())
        self.made[scan_id] = time.monotonic()
        self.outbox.append(
            {
                "scan_id": scan_id,
                "station_id": self.station_id,
                "seq": self.seq,
                "user_id": self.user_id,
                "project_id": self.project_id,
                "mode": "out" if (self.seq // len(self.codes)) % 2 == 0 else "in",
                "code": code,
                "symbology": "code128",
                "source": "wedge",
                "qty": 1,
                "scanned_at": datetime.now(UTC).isoformat(),
            }
        )


@dataclass
class Tally:
    upload_latency: list[float] = field(default_factory=list)
    scan_latency: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)


async def upload(client: httpx.AsyncClient, station: Station, tally: Tally) -> bool:
    """Send the outbox's head; True when the server answered every scan sent."""
    batch = station.outbox[:MAX_BATCH_SIZE]
    if not batch:
        return True
    started = time.monotonic()
    try:
        answer = await client.post(
            "/api/v1/scans/batch",
            json={"scans": batch},
            headers={"Authorization": f"Bearer {station.token}"},
        )
    except httpx.TransportError as exc:
        tally.failures[type(exc).__name__] += 1
        return False
    if answer.status_code != 200:
        tally.failures[f"HTTP {answer.status_code}"] += 1
        return False
    now = time.monotonic()
    tally.upload_latency.append(now - started)
    answered = {r["scan_id"]: r["status"] for r in answer.json()["results"]}
    for scan in batch:
        if scan["scan_id"] in answered:
            tally.statuses[answered[scan["scan_id"]]] += 1
            tally.scan_latency.append(now - station.made[scan["scan_id"]])
    station.outbox = [s for s in station.outbox if s["scan_id"] not in answered]
    return len(answered) == len(batch)


async def run_station(
    client: httpx.AsyncClient, station: Station, tally: Tally, rate: float, until: float
) -> None:
    next_scan = time.monotonic()
    next_sync = time.monotonic() + random.uniform(0, SYNC_INTERVAL_S)
    backoff = SYNC_INTERVAL_S
    while (now := time.monotonic()) < until:
        while next_scan <= now:
            station.make_scan()
            next_scan += 1 / rate
        if next_sync <= now:
            if await upload(client, station, tally):
                backoff = SYNC_INTERVAL_S
            else:  # exponential back-off with jitter, as the kiosk's sync worker
                backoff = min(backoff * 2, 5.0)
            next_sync = time.monotonic() + backoff * random.uniform(0.5, 1.0)
        await asyncio.sleep(max(0.0, min(next_scan, next_sync) - time.monotonic()))


async def drain(client: httpx.AsyncClient, stations: list[Station], tally: Tally) -> None:
    deadline = time.monotonic() + DRAIN_DEADLINE_S
    while any(s.outbox for s in stations) and time.monotonic() < deadline:
        await asyncio.gather(*(upload(client, s, tally) for s in stations if s.outbox))
        await asyncio.sleep(0.1)


async def restart_midway(server: LiveServer, at: float, how: str, log: list[str]) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    t0 = time.monotonic()
    if how == "sigkill":
        # A crash takes the whole service down (systemd kills its control group): the
        # workers too, or they would go on serving on the shared socket.
        for pid in server.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    await asyncio.to_thread(server.stop, signal.SIGKILL if how == "sigkill" else signal.SIGTERM)
    await asyncio.to_thread(server.start)
    log.append(f"server restarted ({how}) in {time.monotonic() - t0:.1f} s")


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    p50, p95, p99 = (cuts[n - 1] * 1000 for n in (50, 95, 99))
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms"


def enrol(database_url: str, demo: dict, count: int) -> list[Station]:
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            made = [
                identity.create_station(session=session, name=f"load station {n}")
                for n in range(count)
            ]
        return [
            Station(
                str(station.id),
                token,
                demo["crew_user_id"],
                demo["project_id"],
                demo["unit_codes"],
            )
            for station, token in made
        ]
    finally:
        engine.dispose()


def server_counts(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Scan.scan_id, func.count()).group_by(Scan.scan_id))
            return Counter({str(scan_id): n for scan_id, n in rows})
    finally:
        engine.dispose()


async def load(args: argparse.Namespace, server: LiveServer, stations: list[Station]) -> int:
    tally, log = Tally(), []
    limits = httpx.Limits(max_connections=args.stations, max_keepalive_connections=args.stations)
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT_S, limits=limits) as client:
        started = time.monotonic()
        until = started + args.duration
        tasks = [run_station(client, s, tally, args.rate, until) for s in stations]
        if args.restart != "none":
            tasks.append(restart_midway(server, started + args.duration / 2, args.restart, log))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
        await drain(client, stations, tally)

    made = {scan_id for s in stations for scan_id in s.made}
    on_server = server_counts(server.database_url)
    lost = len(made - set(on_server))
    doubled = sum(1 for n in on_server.values() if n > 1)
    left = sum(len(s.outbox) for s in stations)
    kind = server.database_url.split(":")[0]
    print(
        f"load: {args.stations} stations x {args.rate:g} scans/s for {elapsed:.0f} s"
        f" -> {server.url} ({kind}, {args.workers} worker(s))"
    )
    for line in log:
        print(f"  {line}")
    print(f"  scans made {len(made)}, on server {len(on_server)}, still queued {left}")
    print(f"  upload latency (one batch request): {percentiles(tally.upload_latency)}")
    print(f"  scan latency (made -> acknowledged): {percentiles(tally.scan_latency)}")
    print(f"  lost {lost}, doubled {doubled}")
    print(f"  answers {dict(tally.statuses)}; failed uploads {dict(tally.failures)}")
    return 1 if lost or doubled or left else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0, help="scans a second per station")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds")
    parser.add_argument("--database-url", help="default: a fresh PostgreSQL database")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--restart", choices=["sigterm", "sigkill", "none"], default="sigterm")
    args = parser.parse_args()
    os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))  # a throwaway server
    tmp = Path(tempfile.mkdtemp(prefix="rg-load-"))
    dropped = None
    database_url = args.database_url
    if database_url is None:
        from tests.conftest import create_pg_database, drop_pg_database

        dropped, database_url = create_pg_database()
    server = LiveServer(database_url, tmp / "server.log", workers=args.workers)
    try:
        server.cli("migrate")
        demo = json.loads(server.cli("seed-demo"))
        stations = enrol(database_url, demo, args.stations)
        server.start()
        return asyncio.run(load(args, server, stations))
    finally:
        server.stop()
        if dropped is not None:
            drop_pg_database(dropped)


if __name__ == "__main__":
    sys.exit(main())
