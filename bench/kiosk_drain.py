"""Drain: N queued scans reach the real server over loopback; how long it takes.

    .venv/bin/python bench/kiosk_drain.py [--scans 10000] [--database-url URL]

Starts ``rentguy-server serve`` (tests/helpers/live_server.py) on a fresh SQLite file by
default (or the given database), seeds the demo data, lets a kiosk store download the
reference, queues N scans (out/in of the demo units, alternating) and times one sync
round of the real SyncEngine with one shared httpx.Client, batches of 1000 (the
protocol's maximum). Target: 10,000 scans in under 5 s on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from client.auth import offline_login  # noqa: E402
from client.config import KioskConfig  # noqa: E402
from client.store import LocalStore  # noqa: E402
from client.sync.engine import SyncEngine  # noqa: E402
from client.timeutil import utc_now  # noqa: E402
from shared.protocol import version_headers  # noqa: E402
from shared.version import __version__  # noqa: E402
from tests.helpers.live_server import LiveServer  # noqa: E402
from tests.helpers.server_version import current_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))  # a throwaway server
    tmp = Path(tempfile.mkdtemp(prefix="rg-drain-"))
    server = LiveServer(
        args.database_url or f"sqlite:///{tmp / 'server.sqlite3'}", tmp / "server.log"
    )
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    server.start()
    try:
        config = KioskConfig(server_url=server.url, data_dir=tmp / "kiosk")
        config.write_station_token(demo["station_token"])
        engine = SyncEngine(
            config.store_path,
            server.url,
            config.read_station_token,
            batch_size=args.batch_size,
            timeout_s=300,  # measure the server, however slow, rather than give up
        )
        first = engine.sync_once()
        assert first.ok, first.error
        store = LocalStore(config.store_path)
        session = offline_login(store, demo["badge_code"])
        project = store.open_projects()[0]
        station = store.station_id()
        # Recorded as the kiosk's controller does: uploaded ahead of the scans naming it.
        store.record_login(
            user_id=session.user_id, station_id=station, offline=True, verifier=session.verifier
        )
        units = demo["unit_codes"]
        t0 = time.perf_counter()
        with store.atomic():
            for i in range(args.scans):
                store.enqueue_scan(
                    station_id=station,
                    user_id=session.user_id,
                    project_id=project.id,
                    mode="out" if (i // len(units)) % 2 == 0 else "in",
                    code=units[i % len(units)],
                    normalized_code=units[i % len(units)],
                    source="wedge",
                    scanned_at=utc_now(),
                    local_verdict="ok",
                )
        queued = time.perf_counter() - t0
        assert store.queue_depth() == args.scans
        t0 = time.perf_counter()
        report = engine.sync_once()
        drained = time.perf_counter() - t0
        assert report.ok, report.error
        assert store.queue_depth() == 0
        kind = server.database_url.split(":")[0]
        print(f"drain: {args.scans} queued scans → {server.url} ({kind})")
        print(f"  queued locally in {queued:.2f} s (one transaction)")
        print(
            f"  uploaded + answered in {drained:.2f} s"
            f" = {args.scans / drained:,.0f} scans/s, batches of {args.batch_size};"
            f" answers {dict(report.uploaded)}"
        )
        # The kiosk's own share: the same drain against an answerer that costs nothing.
        with store.atomic():
            store.db.conn.execute("UPDATE scans SET state = 'queued' WHERE seq IS NOT NULL")

        def instant(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/scans/batch"):
                ids = [s["scan_id"] for s in json.loads(request.content)["scans"]]
                return httpx.Response(
                    200, json={"results": [{"scan_id": i, "status": "applied"} for i in ids]}
                )
            return httpx.Response(200, content=reference)

        reference = httpx.get(
            f"{server.url}/api/v1/sync/reference",
            headers={
                "Authorization": f"Bearer {demo['station_token']}",
                **version_headers(__version__),
            },
        ).content
        local = SyncEngine(
            config.store_path,
            "http://instant.invalid",
            config.read_station_token,
            httpx.Client(transport=current_server(instant)),
            batch_size=args.batch_size,
        )
        t0 = time.perf_counter()
        assert local.sync_once().ok and store.queue_depth() == 0
        kiosk_side = time.perf_counter() - t0
        print(f"  kiosk-side cost alone (instant answers): {kiosk_side:.2f} s")
        local.close()
        store.close()
        engine.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
