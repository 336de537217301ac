"""A headless kiosk in its own process: the client's own queue and sync engine, no Qt.

python -m tests.helpers.sync_kiosk burst --data-dir D --server-url U --token-file T
    --badge B [--scans N] [--rate R]
    downloads the reference, logs the badge in offline, then records N scans (0: until
    killed; out/in of the demo units, alternating) at R a second into its SQLite queue, printing
    ``FEEDBACK <scan_id>`` after each commit (when a kiosk gives feedback), while a sync
    thread uploads as the real kiosk's does. Prints ``BURST-DONE`` when all are recorded.
python -m tests.helpers.sync_kiosk drain --data-dir D --server-url U --token-file T
    syncs until the queue is empty; prints ``DRAINED <n synced>``; exit 1 on time-out.

The fault suites (tests/faults) and the load script (stress/) start several of these.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from pathlib import Path

import httpx

from client.auth import offline_login
from client.store import LocalStore
from client.sync.engine import SyncEngine
from client.timeutil import utc_now


def _engine(args: argparse.Namespace) -> SyncEngine:
    token = Path(args.token_file).read_text().strip()
    # A connection per request: the fault proxy decides per connection, as a flaky
    # network does per request; keep-alive would let one good connection carry all.
    client = httpx.Client(
        timeout=args.timeout, limits=httpx.Limits(max_keepalive_connections=0)
    )
    return SyncEngine(
        Path(args.data_dir) / "kiosk.sqlite3",
        args.server_url,
        lambda: token,
        http_client=client,
        batch_size=args.batch_size,
    )


def _sync_until(engine: SyncEngine, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        engine.sync_once()
        stop.wait(interval)


def burst(args: argparse.Namespace) -> int:
    engine = _engine(args)
    deadline = time.monotonic() + 60
    while not engine.sync_once().ok:  # the reference (projects, badges) first
        if time.monotonic() > deadline:
            print("NO-REFERENCE", flush=True)
            return 1
        time.sleep(0.2)
    engine.close()  # its store belongs to this thread; the sync thread opens its own
    store = LocalStore(engine.store_path)
    session = offline_login(store, args.badge)
    project = store.open_projects()[0]
    station = store.station_id()
    # As the kiosk's controller does: the login is recorded, uploaded ahead of the scans,
    # and every scan names it (issue 15).
    store.record_login(
        user_id=session.user_id, station_id=station, offline=True, verifier=session.verifier
    )
    units = [unit for unit in args.codes.split(",") if unit]
    stop = threading.Event()
    syncer = threading.Thread(target=_sync_until, args=(engine, stop, args.sync_interval))
    syncer.start()
    print("READY", flush=True)
    try:
        for i in itertools.islice(itertools.count(), args.scans or None):
            code = units[i % len(units)]
            scan = store.enqueue_scan(
                station_id=station,
                user_id=session.user_id,
                project_id=project.id,
                mode="out" if (i // len(units)) % 2 == 0 else "in",
                code=code,
                normalized_code=code,
                source="wedge",
                scanned_at=utc_now(),
                local_verdict="ok",
            )
            print(f"FEEDBACK {scan.scan_id}", flush=True)  # committed: now the beep
            time.sleep(1 / args.rate)
        print("BURST-DONE", flush=True)
        while not args.exit_when_done:  # keep syncing until the test stops us
            time.sleep(0.5)
    finally:
        stop.set()
        syncer.join()
    return 0


def drain(args: argparse.Namespace) -> int:
    engine = _engine(args)
    deadline = time.monotonic() + args.drain_timeout
    synced = 0
    while time.monotonic() < deadline:
        report = engine.sync_once()
        synced += report.changed
        if report.ok and engine.store.queue_depth() == 0:
            print(f"DRAINED {synced}", flush=True)
            return 0
        time.sleep(0.2)
    print(f"NOT-DRAINED {engine.store.queue_depth()}: {report.error}", flush=True)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["burst", "drain"])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--server-url", required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--badge", default="")
    parser.add_argument("--codes", default="")
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="scans a second")
    parser.add_argument("--timeout", type=float, default=2.0, help="HTTP timeout (s)")
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--sync-interval", type=float, default=0.2)
    parser.add_argument("--drain-timeout", type=float, default=90.0)
    parser.add_argument("--exit-when-done", action="store_true")
    args = parser.parse_args(argv)
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    return burst(args) if args.mode == "burst" else drain(args)


if __name__ == "__main__":
    sys.exit(main())
