"""The identity migration downgrades and upgrades a database that holds people and badges
without losing rows (SQLite's batch copy of "users" would trip or cascade foreign keys)."""

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from server.db import make_engine, make_session_factory, transaction
from server.demo import seed_demo
from server.migrations import MIGRATIONS_DIR, downgrade, upgrade
from tests.conftest import create_pg_database, drop_pg_database, require_pg


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data.sqlite3'}"
        return
    require_pg()
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)


def _counts(url):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                for table in ("users", "user_roles", "badges", "stations")
            }
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_keep_people(fresh_url, settings):
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    with transaction(make_session_factory(engine)) as session:
        seed_demo(session=session, settings=settings)
    engine.dispose()
    before = _counts(fresh_url)
    assert before["users"] == 2 and before["badges"] == 2  # crew and admin badge

    previous = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision("0003_identity").down_revision
    downgrade(fresh_url, previous)
    assert _counts(fresh_url) == before
    upgrade(fresh_url)
    assert _counts(fresh_url) == before
