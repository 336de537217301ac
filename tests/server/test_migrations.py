"""Alembic: upgrade to head then downgrade to base, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import create_engine, inspect

from server.migrations import current_revision, downgrade, head_revision, upgrade
from server.models import Base
from tests.conftest import create_pg_database, drop_pg_database, require_pg


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    require_pg()
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)


def test_upgrade_head_then_downgrade_base(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        upgrade(empty_database_url)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        downgrade(empty_database_url, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade(empty_database_url)  # and back up again: downgrade left nothing behind
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_models_match_the_migrations(empty_database_url):
    """A model change without a migration fails here (autogenerate finds a diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
