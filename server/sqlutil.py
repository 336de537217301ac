"""Portable ``INSERT … ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL, and a flush that
turns a unique-key race into a 409."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import is_postgresql
from server.errors import Conflict
from server.integrity import as_app_error


def insert_ignore(session: Session, model: type, values: dict[str, Any], keys: list[str]) -> bool:
    """Insert ``values`` unless a row with the same ``keys`` exists; True when inserted.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and
    then does nothing, so exactly one caller sees True.
    """
    make = pg_insert if is_postgresql(session) else sqlite_insert
    stmt = make(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    # RETURNING, not rowcount: psycopg 3.3 reports rowcount -1 for this statement, so
    # "inserted" read False on PostgreSQL every time.
    key = getattr(model, keys[0])
    return session.execute(stmt.returning(key)).first() is not None


def flush_unique(session: Session, what: str) -> None:
    # The up-front checks answer the common case; this catches the race between two writers.
    try:
        session.flush()
    except IntegrityError as exc:
        error = as_app_error(exc)
        if error.code == "already_exists":
            raise Conflict(f"{what} already exists") from exc
        raise error from exc  # not a unique key: a foreign key or NOT NULL says so itself
