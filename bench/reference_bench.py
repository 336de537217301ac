"""Reference download of 50,000 units over loopback HTTP: full, paged, and empty delta.

    .venv/bin/python bench/reference_bench.py [--db sqlite|postgresql|both] [--units 50000]

Seeds 50,000 units (200 products, 500 fixed cases of 10 units, 20 open projects with
pick lists, 5,000 units out), starts ``rentguy-server serve`` and measures, as a kiosk
does it: one full download in one page, a full download in pages of 5,000, an empty
delta (same cursor, no rows), and a delta after 100 scans. Prints times and payload sizes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))

import httpx  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.seed import product_rows  # noqa: E402
from server.db import make_engine, make_session_factory, transaction  # noqa: E402
from server.identity import service as identity  # noqa: E402
from server.identity.models import Role  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from server.warehouse.models import Case, CaseUnit, Movement, PickLine, Product, Project, Scan, Unit  # noqa: E402,E501
from shared.ids import uuid7  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402
from tests.helpers.live_server import LiveServer  # noqa: E402

# Units 0-4,999 are in cases, 10,000-14,999 are out, 20,000-20,099 get scanned.
MIN_UNITS = 20_100


def seed(url: str, units: int) -> dict:
    engine = make_engine(url)
    now = datetime.now(UTC)
    with transaction(make_session_factory(engine)) as session:
        user = identity.create_user(session=session, name="Bench crew", roles=[Role.CREW])
        station, token = identity.create_station(session=session, name="Bench")
        products = product_rows(200, now)
        session.execute(insert(Product), products)
        unit_rows = [
            {
                "id": uuid7(),
                "product_id": products[i % 200]["id"],
                "barcode": f"RG-U-{i:06d}",
                "serial": f"{i:06d}",
                "created_at": now,
            }
            for i in range(units)
        ]
        session.execute(insert(Unit), unit_rows)
        cases = [
            {"id": uuid7(), "barcode": f"RG-K-{c:04d}", "name": f"Case {c}", "kind": "fixed"}
            for c in range(500)
        ]
        session.execute(insert(Case), cases)
        session.execute(
            insert(CaseUnit),
            [
                {"case_id": cases[c]["id"], "unit_id": unit_rows[c * 10 + k]["id"]}
                for c in range(500)
                for k in range(10)
            ],
        )
        projects = []
        for j in range(20):
            project = Project(name=f"Project {j}", customer="Bench", status="active")
            session.add(project)
            session.flush()
            projects.append(project.id)
            for p in products[:50]:
                session.add(PickLine(project_id=project.id, product_id=p["id"], qty=10))
        scan_rows, moves = [], []
        for n, unit in enumerate(unit_rows[10_000:15_000]):
            scan_id = uuid7()
            scan_rows.append(
                {
                    "scan_id": scan_id,
                    "station_id": station.id,
                    "seq": n + 1,
                    "user_id": user.id,
                    "project_id": projects[n % 20],
                    "mode": "out",
                    "code": unit["barcode"],
                    "symbology": "",
                    "source": "wedge",
                    "qty": 1,
                    "scanned_at": now,
                    "received_at": now,
                    "status": "applied",
                }
            )
            moves.append(
                {
                    "id": uuid7(),
                    "scan_id": scan_id,
                    "kind": "out",
                    "product_id": unit["product_id"],
                    "unit_id": unit["id"],
                    "project_id": projects[n % 20],
                    "qty": 1,
                    "created_at": now,
                }
            )
        session.execute(insert(Scan), scan_rows)
        session.execute(insert(Movement), moves)
        out = {
            "token": token,
            "station_id": str(station.id),
            "user_id": str(user.id),
            "project_id": str(projects[0]),
            "codes": [u["barcode"] for u in unit_rows[20_000:MIN_UNITS]],
        }
    engine.dispose()
    return out


def get(client: httpx.Client, **params) -> tuple[dict, int, float]:
    start = time.perf_counter()
    response = client.get("/api/v1/sync/reference", params=params)
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return response.json(), len(response.content), elapsed


def rows(page: dict) -> int:
    return sum(len(page[k]) for k in ("products", "units", "cases", "projects", "badges"))


def run(db: str, units: int, workdir: Path) -> None:
    cleanup = None
    if db == "sqlite":
        url = f"sqlite:///{workdir / 'ref.sqlite3'}"
    else:
        pg_name, url = create_pg_database()

        def cleanup() -> None:
            drop_pg_database(pg_name)

    try:
        upgrade(url)
        data = seed(url, units)
        os.environ["RENTGUY_LOG_LEVEL"] = "WARNING"
        server = LiveServer(url, workdir / f"ref-{db}.log")
        server.start()
        try:
            headers = {"Authorization": f"Bearer {data['token']}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=300) as client:
                full, size, t_full = get(client, limit=20_000)
                pages, total_size, cursor, t_paged, n = 0, 0, None, 0.0, 0
                while True:
                    params = {"limit": 5000, **({"cursor": cursor} if cursor else {})}
                    page, size_p, t = get(client, **params)
                    pages += 1
                    total_size += size_p
                    t_paged += t
                    n += rows(page)
                    cursor = page["cursor"]
                    if not page["has_more"]:
                        break
                print(
                    f"[{db}] full download, pages of 5,000: {pages} pages, {n} rows, "
                    f"{total_size / 1e6:.1f} MB, {t_paged:.2f}s"
                )
                empty, size_e, t_empty = get(client, cursor=cursor)
                assert rows(empty) == 0 and empty["cursor"] == cursor
                print(f"[{db}] empty delta: {t_empty * 1000:.0f} ms, {size_e} bytes, same cursor")
                scans = [
                    {
                        "scan_id": str(uuid7()),
                        "station_id": data["station_id"],
                        "seq": 10_000 + i,
                        "user_id": data["user_id"],
                        "project_id": data["project_id"],
                        "mode": "out",
                        "code": code,
                        "source": "wedge",
                        "scanned_at": datetime.now(UTC).isoformat(),
                    }
                    for i, code in enumerate(data["codes"])
                ]
                client.post("/api/v1/scans/batch", json={"scans": scans}).raise_for_status()
                delta, size_d, t_delta = get(client, cursor=cursor)
                print(
                    f"[{db}] delta after 100 scans: {rows(delta)} rows, {size_d / 1e3:.1f} kB, "
                    f"{t_delta * 1000:.0f} ms"
                )
                print(
                    f"[{db}] (first request, one page of {rows(full)} rows (max page), incl. "
                    f"storing the version: {t_full:.2f}s, {size / 1e6:.1f} MB)"
                )
        finally:
            server.stop()
    finally:
        if cleanup:
            cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--units", type=int, default=50_000)
    args = parser.parse_args()
    if args.units < MIN_UNITS:  # the seed's fixed layout: cases, units out, units scanned
        parser.error(f"--units must be at least {MIN_UNITS:,}")
    print(f"machine: {os.cpu_count()} CPUs (shared with other work: numbers are indicative)")
    with tempfile.TemporaryDirectory() as tmp:
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            run(db, args.units, Path(tmp))


if __name__ == "__main__":
    main()
