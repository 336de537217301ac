"""Alembic: upgrade to head then downgrade to base, on SQLite and PostgreSQL."""

from sqlalchemy import create_engine, inspect

from server.migrations import current_revision, downgrade, head_revision, upgrade
from server.models import Base


def test_upgrade_head_then_downgrade_base(fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        upgrade(fresh_database_url)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        downgrade(fresh_database_url, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade(fresh_database_url)  # and back up again: downgrade left nothing behind
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_models_match_the_migrations(fresh_database_url):
    """A model change without a migration fails here (autogenerate finds a diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(fresh_database_url)
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
