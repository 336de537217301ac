"""Alembic environment: the URL comes from the Alembic config or ``RENTGUY_DATABASE_URL``."""

from __future__ import annotations

import os

from alembic import context

from server.db import make_engine
from server.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    # Without the full settings object: migrations need no secret key.
    return os.environ.get("RENTGUY_DATABASE_URL", "sqlite:///var/rentguy.sqlite3")


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,  # SQLite cannot ALTER most things; batch mode copies
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
