"""Database engine, sessions and the column types both SQLite and PostgreSQL agree on.

One owner per transaction: the request's session dependency (``server.deps``) commits or
rolls back; services only ``flush``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator

from server.errors import NotFound

# Stable constraint names, so Alembic migrations can drop and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for Core statements (SQLAlchemy types ``__table__`` as a
    plain FromClause, which has no insert() or update())."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out; SQLite stores no offset, so we re-attach it on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


M = TypeVar("M")


def get_or_404(session: Session, model: type[M], key: Any, message: str) -> M:
    """The row of ``model`` with primary key ``key``, or NotFound with ``message`` (its
    text is the API's answer, e.g. ``f"no project {project_id}"``)."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(message)
    return row


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def one_of(
    session: Session,
    column: ColumnElement[Any] | QueryableAttribute[Any],
    values: Iterable[Any],
) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL over ONE array parameter, ``IN (SELECT unnest(:v))``.

    An IN list is a placeholder per value, so every list length is a new query text that
    psycopg must parse and PostgreSQL must plan; at ingest's 500-code batches that cost
    more than the index lookups. One array keeps the text constant (prepared once). Not
    ``= ANY(:v)``: once prepared, PostgreSQL's generic plan for that scanned the whole
    table comparing each row with every element (21 ms on 2,000 cases); the semi-join
    over ``unnest`` stays an index lookup per value.
    """
    values = list(values)
    if is_postgresql(session):
        return column.in_(select(func.unnest(bindparam(None, values, type_=ARRAY(column.type)))))
    return column.in_(values)


# PostgreSQL advisory locks, as two int4 keys ("RG", purpose), one per purpose.
LOCK_SCAN_FEED_LISTENING = {"k1": 0x5247, "k2": 1}  # held shared by LISTEN connections
LOCK_EXPORT_SCHEDULE = {"k1": 0x5247, "k2": 2}  # serializes scheduled-export claims


def lock_for_transaction(session: Session, key: dict[str, int]) -> None:
    """Serialize this transaction with every other one taking ``key``, across processes.

    PostgreSQL: a transaction-level advisory lock. SQLite needs nothing: every transaction
    here starts with ``BEGIN IMMEDIATE`` (below), which already holds the one write lock.
    """
    if is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k1, :k2)"), key)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # pysqlite's own implicit BEGIN would defeat BEGIN IMMEDIATE below; we issue BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable across app crashes
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    # Take the write lock at BEGIN: a deferred transaction that later writes can fail with
    # "database is locked" instead of waiting, which would turn concurrency into 500s.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the per-database settings this app relies on.

    Bound parameters never appear in error messages (``hide_parameters``): they are
    password and PIN hashes, e-mail and IP addresses, and error messages end up in logs.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


# A pooled connection used within this many seconds is known to be alive; one idle
# longer is pinged before use (a database restart or an idle-timeout kills connections
# silently). Pinging on *every* checkout, SQLAlchemy's ``pool_pre_ping``, cost a sixth of
# a webhook's server CPU on PostgreSQL: a round trip per transaction, several per request.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's documented pessimistic disconnect handling, for idle connections only."""

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(
        dbapi_connection: DBAPIConnection,
        record: ConnectionPoolEntry,
        _proxy: PoolProxiedConnection,
    ) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error, except an
    error marked ``keep_work`` (``server.errors.AppError``): there the refusal itself is the
    work to keep (a failed-login counter, an audit line), so it commits, then re-raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        if getattr(exc, "keep_work", False):
            session.commit()
        else:
            session.rollback()
        raise
    finally:
        session.close()
