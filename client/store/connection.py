"""The store's SQLite connection, its transactions and its errors: what every part shares.

Every connection runs in WAL mode with ``synchronous=FULL``: a scan acknowledged to the
operator survives a power cut (SPEC §3: commit, only then feedback). The UI thread and the
sync thread each open their own store on the same file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database

from client.timeutil import utc_now

# A row as sqlite-utils returns it: column name -> value.
Row = dict[str, Any]


class StoreError(Exception):
    """Base class of the local store's errors."""


class SchemaVersionError(StoreError):
    """The file was written by a newer kiosk (it has migrations this one does not know)."""


class UnknownScanError(StoreError, KeyError):
    """No scan with that id."""


class StoreConnection:
    """One connection to the store file. Not thread-safe: one instance per thread."""

    def __init__(self, path: str | Path, *, now: Callable[[], datetime] = utc_now) -> None:
        self.path = str(path)
        self._now = now
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the driver never opens hidden transactions; atomic() does.
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        self.db = Database(conn, execute_plugins=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[Self]:
        """One transaction; nested blocks become savepoints (as in sqlite-utils).

        The outer block starts with BEGIN IMMEDIATE, not sqlite-utils' deferred BEGIN: two
        connections share this file, and a deferred reader that later writes fails with
        SQLITE_BUSY at once instead of waiting for the other writer.
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _one(self, sql: str, params: list[object]) -> Row | None:
        """The first row of a query, or None."""
        return next(iter(self.db.query(sql, params)), None)
