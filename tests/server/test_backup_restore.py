"""The backup of docs/operations.md, performed: ``pg_dump -Fc`` of a live database,
``pg_restore`` into a scratch database, and the restored copy is the same and serves.

Checked: every table's row count, the schema revision, ``/readyz`` on the restored copy,
and that exactly-once survives a restore (the kiosk's resent scans answer ``duplicate``).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_session_factory, transaction
from server.demo import seed_demo
from server.migrations import current_revision, upgrade
from tests.conftest import create_pg_database, drop_pg_database, require_pg
from tests.helpers.scans import ScanFactory

pytestmark = pytest.mark.postgres


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
    finally:
        engine.dispose()


@pytest.fixture
def databases():
    require_pg()
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not installed (Debian package postgresql-client; dev.sh)")
    made = [create_pg_database(), create_pg_database()]
    yield [url for _name, url in made]
    for name, _url in made:
        drop_pg_database(name)


def _settings(url: str) -> Settings:
    secret = os.environ["RENTGUY_SECRET_KEY"]
    return Settings(database_url=url, secret_key=secret, environment="test", log_json=False)


def revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def test_pg_dump_then_restore_on_a_scratch_database(databases, tmp_path):
    live, scratch = databases
    upgrade(live)
    live_settings = _settings(live)
    engine = make_engine(live)
    with transaction(make_session_factory(engine)) as session:
        demo = seed_demo(session=session, settings=live_settings)
    engine.dispose()
    factory = ScanFactory.for_demo(demo)
    scans = [factory.scan(code) for code in demo["unit_codes"][:4]]
    headers = {"Authorization": f"Bearer {demo['station_token']}"}
    with TestClient(create_app(live_settings)) as client:
        answer = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=headers)
        assert answer.status_code == 200, answer.text

    dump = tmp_path / "rentguy.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--file", str(dump), libpq_url(live)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    subprocess.run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
         "--dbname", libpq_url(scratch), str(dump)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip

    before, after = row_counts(live), row_counts(scratch)
    assert after == before
    assert before["scans"] == 4 and before["stations"] >= 1 and before["badges"] >= 1
    assert revision(scratch) == revision(live) is not None
    with TestClient(create_app(_settings(scratch))) as client:
        assert client.get("/readyz").status_code == 200
        again = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=headers)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 4
