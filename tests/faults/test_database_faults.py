"""The database goes away under the server: it answers 503 (not 500) meanwhile, recovers
by itself, and no request is half-applied.

- In-process, both databases: SQLite locked by another process's writer past the busy
  timeout; PostgreSQL refusing connections to our test database (``ALLOW_CONNECTIONS
  false`` and its backends terminated: only this test's database, other engineers share
  the server, so no restart).
- The live server on PostgreSQL: backends terminated with ``pg_terminate_backend`` while
  kiosks' batches are being ingested; and the server's only way to PostgreSQL (a TCP proxy
  we own) severed and healed.

"Not half-applied": a batch that got a 503 is sent again once the database is back; its
scans answer either all ``applied`` (nothing had been committed) or all ``duplicate`` (the
commit went through but its answer was lost), never a mix.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from server.warehouse.models import Scan
from tests.conftest import PG_HOST, PG_PORT, _pg_admin_engine, require_pg
from tests.helpers.fault_proxy import FaultProxy
from tests.helpers.live_server import LiveServer
from tests.helpers.scans import ScanFactory

BATCH = "/api/v1/scans/batch"


def _batch(scans: ScanFactory, demo: dict, size: int = 5) -> dict:
    codes = demo["unit_codes"]
    return {"scans": [scans.scan(codes[i % len(codes)], mode="audit") for i in range(size)]}


def _terminate_backends(database: str) -> int:
    engine = _pg_admin_engine()
    try:
        with engine.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                ).all()
            )
    finally:
        engine.dispose()


def _allow_connections(database: str, allow: bool) -> None:
    engine = _pg_admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {allow}'))
    finally:
        engine.dispose()


class _SqliteWriterLock:
    """Another process holding SQLite's write lock (a backup, a stuck migration)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def __enter__(self):
        self.conn.execute("BEGIN EXCLUSIVE")
        return self

    def __exit__(self, *exc):
        self.conn.execute("ROLLBACK")
        self.conn.close()


def _unavailable(database_url: str):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _SqliteWriterLock(url.database)

    class _Refused:
        def __enter__(self):
            _allow_connections(url.database, False)
            _terminate_backends(url.database)

        def __exit__(self, *exc):
            _allow_connections(url.database, True)

    return _Refused()


def _scan_statuses(answer: httpx.Response) -> Counter[str]:
    return Counter(result["status"] for result in answer.json()["results"])


def test_an_unavailable_database_is_a_503_and_the_server_recovers(
    client, demo, station_headers, database_url, engine
):
    scans = ScanFactory.for_demo(demo)
    assert client.post(BATCH, json=_batch(scans, demo), headers=station_headers).status_code == 200
    refused = _batch(scans, demo)
    with _unavailable(database_url):
        answer = client.post(BATCH, json=refused, headers=station_headers)
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"].isdigit()
        assert answer.json()["error"]["code"] == "database_unavailable"
        if engine.dialect.name == "postgresql":  # (SQLite: another 10 s busy wait)
            assert client.get("/readyz").status_code == 503
    engine.dispose()  # the fixtures' own pooled connections were terminated too
    # Back by itself (no restart): the refused batch was not applied, not even in part.
    again = _post_as_a_kiosk(client, refused, station_headers)
    assert again.status_code == 200, again.text
    assert _scan_statuses(again) == Counter({"applied": len(refused["scans"])})
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def pg_live(pg_fresh, tmp_path):
    """A live server on a fresh PostgreSQL database; yields (server, demo, database)."""
    import json

    url, name = pg_fresh
    server = LiveServer(url, tmp_path / "server.log")
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    yield server, demo, name


@pytest.fixture
def pg_fresh():
    from tests.conftest import create_pg_database, drop_pg_database

    require_pg()
    name, url = create_pg_database()
    yield url, name
    drop_pg_database(name)


def _post_as_a_kiosk(http, body: dict, headers: dict, tries: int = 10) -> httpx.Response:
    """POST, and on a 503 try again as a kiosk would (bounded): a pooled connection the
    database dropped can fail one more request after the database is back; the server
    discards it and the retry gets a fresh one."""
    for _ in range(tries):
        answer = http.post(BATCH, json=body, headers=headers)
        if answer.status_code != 503:
            return answer
        time.sleep(0.2)  # a kiosk honours Retry-After; the test need not wait that long
    return answer


def _resend_all_or_nothing(http: httpx.Client, headers: dict, refused: list[dict]) -> None:
    for body in refused:
        answer = _post_as_a_kiosk(http, body, headers)
        assert answer.status_code == 200, answer.text
        statuses = set(_scan_statuses(answer))
        assert statuses in ({"applied"}, {"duplicate"}), statuses  # never half-applied


def _server_scans(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Scan.scan_id, func.count()).group_by(Scan.scan_id))
            return Counter({str(scan_id): count for scan_id, count in rows})
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.e2e
def test_backends_terminated_during_ingest(pg_live):
    server, demo, database = pg_live
    server.start()
    headers = {"Authorization": f"Bearer {demo['station_token']}"}
    scans = ScanFactory.for_demo(demo)
    answered: Counter[int] = Counter()
    refused: list[dict] = []
    sent: list[dict] = []
    stop = threading.Event()
    terminated = 0
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:

            def ingest() -> None:
                while not stop.is_set():
                    body = _batch(scans, demo, size=20)
                    sent.append(body)
                    answer = http.post(BATCH, json=body, headers=headers)
                    answered[answer.status_code] += 1
                    if answer.status_code != 200:
                        refused.append(body)

            worker = threading.Thread(target=ingest)
            worker.start()
            for _ in range(15):
                time.sleep(0.1)
                terminated += _terminate_backends(database)
            stop.set()
            worker.join(60)
            assert set(answered) <= {200, 503}, answered  # never a 500
            _resend_all_or_nothing(http, headers, refused)
    finally:
        server.stop()
    assert terminated > 0
    on_server = _server_scans(server.database_url)
    expected = {scan["scan_id"] for body in sent for scan in body["scans"]}
    assert set(on_server) == expected and set(on_server.values()) == {1}
    print(f"answers {dict(answered)}, backends terminated {terminated}")


@pytest.mark.postgres
@pytest.mark.e2e
def test_database_cut_off_then_back(pg_live):
    server, demo, database = pg_live
    proxy = FaultProxy(int(PG_PORT), upstream_host=PG_HOST).start()
    url = make_url(server.database_url).set(host="127.0.0.1", port=proxy.port)
    server.database_url = url.render_as_string(hide_password=False)
    server.start()
    headers = {"Authorization": f"Bearer {demo['station_token']}"}
    scans = ScanFactory.for_demo(demo)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            assert http.post(BATCH, json=_batch(scans, demo), headers=headers).status_code == 200
            proxy.sever()
            refused = [_batch(scans, demo) for _ in range(3)]
            for body in refused:
                answer = http.post(BATCH, json=body, headers=headers)
                assert answer.status_code == 503, answer.text
                assert answer.json()["error"]["code"] == "database_unavailable"
            assert http.get("/readyz").status_code == 503
            proxy.heal()
            # Recovers by itself: the pool replaces the dead connections.
            _resend_all_or_nothing(http, headers, refused)
            assert http.get("/readyz").status_code == 200
    finally:
        server.stop()
        proxy.stop()
