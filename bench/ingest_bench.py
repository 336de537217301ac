"""Scan ingest throughput over loopback HTTP against a real ``rentguy-server serve``.

    .venv/bin/python bench/ingest_bench.py [--db sqlite|postgresql|both] [--scans 20000]
        [--workers N] [--watch]

Seeds a catalogue (≈37,000 units, 2,000 fixed cases of 10 units), then 4 simulated
stations upload 20,000 scans in batches of 500 at the same time, each from its own
thread and HTTP connection, in ``seq`` order: 10 % case scans (10 units each), 5 %
conflicts (a unit already out), 2 % unknown codes, the rest single units. Prints scans/s
applied (every scan answered and stored), movements written, then resends all 20,000 and
checks that no movement was added. ``--workers``: the server's worker processes (default:
what ``rentguy-server serve`` uses on this machine). ``--watch``: an admin follows the live
scan stream during the first upload; it must account for every scan (received, or reported
dropped by a ``lagged`` event). PostgreSQL: 127.0.0.1:5432, user postgres, trust auth (a
throw-away database is created and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))

import httpx  # noqa: E402
from sqlalchemy import create_engine, func, insert, select  # noqa: E402

from server.config import Settings, default_workers  # noqa: E402
from server.db import make_engine, make_session_factory, transaction  # noqa: E402
from server.identity import service as identity  # noqa: E402
from server.identity.login import open_session  # noqa: E402
from server.identity.models import Role  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from server.warehouse.models import (  # noqa: E402
    Case,
    CaseUnit,
    Movement,
    PickLine,
    Product,
    Project,
    Unit,
)
from shared.ids import uuid7  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402
from tests.helpers.live_server import LiveServer  # noqa: E402


def seed(url: str, *, stations: int, scans: int) -> dict:
    """Catalogue, one project per station, stations and a crew user; returns the codes."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    case_scans = scans // 10
    unit_scans = scans - case_scans
    n_cases = case_scans + stations  # a spare per station
    loose = unit_scans + 100
    with transaction(factory) as session:
        user = identity.create_user(session=session, name="Bench crew", roles=[Role.CREW])
        made = [
            identity.create_station(session=session, name=f"Bench {i}") for i in range(stations)
        ]
        products = [
            Product(id=uuid7(), sku=f"BENCH-{i:02d}", name=f"Bench {i}", tracking="serialized")
            for i in range(20)
        ]
        session.add_all(products)
        session.flush()
        units, links, cases = [], [], []
        for i in range(loose + n_cases * 10):
            units.append(
                {
                    "id": uuid7(),
                    "product_id": products[i % 20].id,
                    "barcode": f"RG-B-{i:06d}",
                    "serial": "",
                    "created_at": datetime.now(UTC),
                }
            )
        for c in range(n_cases):
            case_id = uuid7()
            cases.append(
                {"id": case_id, "barcode": f"RG-C-{c:05d}", "name": f"Case {c}", "kind": "fixed"}
            )
            for k in range(10):
                links.append({"case_id": case_id, "unit_id": units[loose + c * 10 + k]["id"]})
        session.execute(insert(Unit), units)
        session.execute(insert(Case), cases)
        session.execute(insert(CaseUnit), links)
        projects = []
        for i in range(stations):
            project = Project(name=f"Bench project {i}", customer="Bench", status="active")
            session.add(project)
            session.flush()
            for p in products:
                session.add(PickLine(project_id=project.id, product_id=p.id, qty=1_000_000))
            projects.append(project)
        watcher = identity.create_user(session=session, name="Bench admin", roles=[Role.ADMIN])
        token = open_session(
            session=session, settings=Settings(database_url=url), user=watcher
        ).access_token
        # The crew member logged in at every station (a badge login each): the scans name
        # that login, as a kiosk's do (issue 15), so attribution is part of what is timed.
        logins = [
            str(
                open_session(
                    session=session,
                    settings=Settings(database_url=url),
                    user=user,
                    method="badge",
                    station_id=s.id,
                ).session_id
            )
            for s, _token in made
        ]
        result = {
            "user_id": str(user.id),
            "admin_token": token,
            "logins": logins,
            "stations": [(str(s.id), token) for s, token in made],
            "projects": [str(p.id) for p in projects],
            "loose": [u["barcode"] for u in units[:loose]],
            "cases": [c["barcode"] for c in cases],
        }
    engine.dispose()
    return result


def make_batches(data: dict, *, scans: int, batch: int) -> list[list[list[dict]]]:
    """Per station, its batches: the realistic mix, in seq order, no two stations colliding."""
    stations = len(data["stations"])
    per_station = scans // stations
    loose = iter(data["loose"])
    cases = iter(data["cases"])
    out = []
    for s, (station_id, _) in enumerate(data["stations"]):
        made: list[dict] = []
        mine: list[str] = []
        for n in range(per_station):
            r = n % 100
            if r < 10:
                code = next(cases)
            elif r < 15 and mine:
                code = mine[(n * 7) % len(mine)]  # already out: a conflict
            elif r < 17:
                code = f"UNKNOWN-{s}-{n}"
            else:
                code = next(loose)
                mine.append(code)
            made.append(
                {
                    "scan_id": str(uuid7()),
                    "station_id": station_id,
                    "seq": n + 1,
                    "user_id": data["user_id"],
                    "login_session_id": data["logins"][s],
                    "project_id": data["projects"][s],
                    "mode": "out",
                    "code": code,
                    "symbology": "code128",
                    "source": "wedge",
                    "qty": 1,
                    "scanned_at": datetime.now(UTC).isoformat(),
                }
            )
        out.append([made[i : i + batch] for i in range(0, len(made), batch)])
    return out


def upload_all(url: str, data: dict, batches: list[list[list[dict]]]) -> tuple[float, Counter]:
    statuses: Counter = Counter()
    lock = threading.Lock()
    errors: list[str] = []
    barrier = threading.Barrier(len(batches))

    def station(i: int) -> None:
        token = data["stations"][i][1]
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as client:
            barrier.wait()
            for batch in batches[i]:
                response = client.post("/api/v1/scans/batch", json={"scans": batch})
                if response.status_code != 200:
                    errors.append(response.text[:300])
                    return
                counts = Counter(r["status"] for r in response.json()["results"])
                with lock:
                    statuses.update(counts)

    threads = [threading.Thread(target=station, args=(i,)) for i in range(len(batches))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"upload failed: {errors[0]}")
    return elapsed, statuses


class Watcher(threading.Thread):
    """An admin on the live scan stream until ``expected`` scans are accounted for."""

    def __init__(self, url: str, token: str, expected: int) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.expected = url, token, expected
        self.connected = threading.Event()
        self.received = self.dropped = 0

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=120) as client:
            with client.stream("GET", "/api/v1/scans/stream") as response:
                buffer = ""
                for chunk in response.iter_text():
                    buffer += chunk
                    *events, buffer = buffer.split("\n\n")
                    for item in events:
                        if item.startswith(": connected"):
                            self.connected.set()
                        elif item.startswith("event: scan"):
                            self.received += 1
                        elif item.startswith("event: lagged"):
                            data = re.search(r"^data: (.*)$", item, re.M).group(1)
                            self.dropped += json.loads(data)["dropped"]
                    if self.received + self.dropped >= self.expected:
                        return


def movements(url: str) -> int:
    engine = create_engine(url, hide_parameters=True)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Movement))
    engine.dispose()
    return n


def run(
    db: str, *, scans: int, batch: int, stations: int, workers: int, watch: bool, workdir: Path
) -> None:
    if db == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        cleanup = None
    else:
        pg_name, url = create_pg_database()

        def cleanup() -> None:
            drop_pg_database(pg_name)

    try:
        upgrade(url)
        t0 = time.perf_counter()
        data = seed(url, stations=stations, scans=scans)
        print(
            f"[{db}] seeded {len(data['loose']) + 10 * len(data['cases'])} units "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        batches = make_batches(data, scans=scans, batch=batch)
        server = LiveServer(url, workdir / f"server-{db}.log", workers=workers)
        os.environ["RENTGUY_LOG_LEVEL"] = "WARNING"
        server.start()
        try:
            watcher = None
            if watch:
                expected = sum(len(b) for station in batches for b in station)
                watcher = Watcher(server.url, data["admin_token"], expected)
                watcher.start()
                if not watcher.connected.wait(60):
                    raise SystemExit("the live scan stream never connected")
            elapsed, statuses = upload_all(server.url, data, batches)
            moved = movements(url)
            total = sum(statuses.values())
            print(
                f"[{db}] {total} scans from {stations} stations in batches of {batch}, "
                f"{workers} server worker(s){', watched' if watch else ''}: "
                f"{elapsed:.2f}s = {total / elapsed:,.0f} scans/s applied; "
                f"{moved} movements; answers {dict(statuses)}"
            )
            if watcher is not None:
                watcher.join(timeout=120)
                print(
                    f"[{db}] live stream: {watcher.received} scan events + "
                    f"{watcher.dropped} reported dropped (lagged) of {total}"
                )
                if watcher.received + watcher.dropped != total:
                    raise SystemExit("the live stream lost scans without saying so!")
            elapsed2, statuses2 = upload_all(server.url, data, batches)
            moved2 = movements(url)
            print(
                f"[{db}] resend of all {sum(statuses2.values())}: {elapsed2:.2f}s "
                f"({sum(statuses2.values()) / elapsed2:,.0f} scans/s); answers {dict(statuses2)}; "
                f"new movements: {moved2 - moved}"
            )
            if moved2 != moved or set(statuses2) != {"duplicate"}:
                raise SystemExit("resend changed the ledger!")
        finally:
            server.stop()
    finally:
        if cleanup:
            cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--scans", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--watch", action="store_true", help="an admin on the live stream")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs (shared with other work: numbers are indicative); "
        f"server workers: {args.workers}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            run(
                db,
                scans=args.scans,
                batch=args.batch,
                stations=args.stations,
                workers=args.workers,
                watch=args.watch,
                workdir=Path(tmp),
            )


if __name__ == "__main__":
    main()
