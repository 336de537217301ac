"""The kiosk's local SQLite store: the scan outbox, the reference mirror and settings.

Shaped like sqlite-utils (whose ``Database`` it wraps as ``.db``): open it with a path or
``":memory:"``, group writes in ``atomic()``, catch named errors. Every connection runs
in WAL mode with ``synchronous=FULL``: a scan acknowledged to the operator survives a
power cut (SPEC §3: commit, only then feedback). The UI thread and the sync thread each
open their own ``LocalStore`` on the same file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from client.migrations import MIGRATIONS
from client.mirror import MirrorQueries
from client.timeutil import from_iso, to_iso, utc_now
from shared.ids import uuid7
from shared.protocol import ScanIn, ScanResult, ScanStatus

SCAN_STATES = ("queued", "synced", "conflict", "rejected")
# A duplicate means the server already applied it: locally that is the same as applied.
_STATE_FOR_STATUS = {
    ScanStatus.APPLIED: "synced",
    ScanStatus.DUPLICATE: "synced",
    ScanStatus.CONFLICT: "conflict",
    ScanStatus.REJECTED: "rejected",
}


class StoreError(Exception):
    """Base class of the local store's errors."""


class SchemaVersionError(StoreError):
    """The file was written by a newer kiosk (it has migrations this one does not know)."""


class UnknownScanError(StoreError, KeyError):
    """No scan with that id."""


@dataclass(frozen=True)
class QueuedScan:
    """One row of the outbox, as stored."""

    scan_id: str
    seq: int | None
    station_id: str
    user_id: str
    project_id: str | None
    mode: str
    code: str
    normalized_code: str | None
    symbology: str
    source: str
    qty: int
    scanned_at: datetime
    annuls_scan_id: str | None
    state: str
    reason: str | None
    local_verdict: str
    server_result: dict | None
    synced_at: datetime | None
    product_id: str | None
    unit_id: str | None
    case_id: str | None
    condition: str | None = None
    unit_ids: tuple[str, ...] = ()
    effects: Mapping[str, int] | None = None
    # The kiosk's own verdict as reason codes ({"code", "params"}; client.reasons): shown
    # in the kiosk's language until the server answers (its codes are in server_result).
    reason_codes: tuple[dict, ...] = ()
    # The login it was made under (issue 15): the server's session id or an offline login.
    login_session_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping) -> QueuedScan:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["scanned_at"] = from_iso(row["scanned_at"])
        values["synced_at"] = from_iso(row["synced_at"])
        values["server_result"] = json.loads(row["server_result"] or "null")
        values["unit_ids"] = tuple(json.loads(row["unit_ids"] or "[]"))
        values["effects"] = json.loads(row["effects"] or "{}")
        values["reason_codes"] = tuple(json.loads(row["reason_codes"] or "[]"))
        return cls(**values)

    def to_scan_in(self) -> ScanIn:
        """The wire form (shared.protocol); raises pydantic's ValidationError if unsendable."""
        if self.seq is None:
            raise ValueError("a scan without seq is local-only and is never sent")
        return ScanIn(
            scan_id=uuid.UUID(self.scan_id),
            station_id=uuid.UUID(self.station_id),
            seq=self.seq,
            user_id=uuid.UUID(self.user_id),
            project_id=uuid.UUID(self.project_id) if self.project_id else None,
            mode=self.mode,
            code=self.code,
            symbology=self.symbology,
            source=self.source,
            qty=self.qty,
            scanned_at=self.scanned_at,
            annuls_scan_id=uuid.UUID(self.annuls_scan_id) if self.annuls_scan_id else None,
            # Only returns carry a condition (shared.protocol.ReturnCondition).
            condition=self.condition if self.mode == "in" else None,
            login_session_id=uuid.UUID(self.login_session_id) if self.login_session_id else None,
        )


class LocalStore(MirrorQueries):
    """The local database. Not thread-safe: one instance per thread."""

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
        self._migrate()

    # -- connection ------------------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[LocalStore]:
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

    def _migrate(self) -> None:
        conn = self.db.conn
        conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations"
            " (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        known = {m.number for m in MIGRATIONS}
        with self.atomic():  # one writer upgrades; a second opener waits, then sees it done
            done = {row[0] for row in conn.execute("SELECT id FROM migrations")}
            if done - known:
                raise SchemaVersionError(
                    f"{self.path} has migrations {sorted(done - known)} this kiosk does not know"
                )
            for migration in MIGRATIONS:
                if migration.number not in done:
                    with self.atomic():
                        migration.apply(self.db)
                        conn.execute(
                            "INSERT INTO migrations VALUES (?, ?, ?)",
                            [migration.number, migration.name, to_iso(self._now())],
                        )

    def applied_migrations(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM migrations ORDER BY id"))

    def schema_version(self) -> int:
        return max((m["id"] for m in self.applied_migrations()), default=0)

    # -- settings --------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        row = self.db.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return None if row is None else row[0]

    def _set_setting(self, key: str, value: str) -> None:
        self.db.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def set_setting(self, key: str, value: str) -> None:
        with self.atomic():
            self._set_setting(key, value)

    # -- offline badge lock-out ---------------------------------------------------------

    def badge_locked_for(self, bucket: str) -> float:
        """Seconds the offline badge check of ``bucket`` stays locked (0: not locked)."""
        row = self.db.conn.execute(
            "SELECT locked_until FROM badge_failures WHERE bucket = ?", [bucket]
        ).fetchone()
        if row is None or row[0] is None:
            return 0.0
        return max(0.0, (from_iso(row[0]) - self._now()).total_seconds())

    def record_badge_failure(
        self, bucket: str, lock_for: Callable[[int], timedelta | None], forget_after: timedelta
    ) -> int:
        """Count one failed offline attempt; ``lock_for(failures)`` says how long it locks.
        Returns the count. Kept in the file: a restart does not reset it."""
        now = self._now()
        with self.atomic():
            row = self.db.conn.execute(
                "SELECT failures, last_failure_at FROM badge_failures WHERE bucket = ?", [bucket]
            ).fetchone()
            failures = 0 if row is None else row[0]
            if row is not None and row[1] and now - from_iso(row[1]) > forget_after:
                failures = 0
            failures += 1
            duration = lock_for(failures)
            self.db.conn.execute(
                "INSERT INTO badge_failures (bucket, failures, last_failure_at, locked_until)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET"
                " failures = excluded.failures, last_failure_at = excluded.last_failure_at,"
                " locked_until = excluded.locked_until",
                [bucket, failures, to_iso(now), to_iso(now + duration) if duration else None],
            )
        return failures

    def clear_badge_failures(self, bucket: str) -> None:
        with self.atomic():
            self.db.conn.execute("DELETE FROM badge_failures WHERE bucket = ?", [bucket])

    # -- outbox ----------------------------------------------------------------------

    def enqueue_scan(
        self,
        *,
        station_id: str,
        user_id: str,
        project_id: str | None,
        mode: str,
        code: str,
        normalized_code: str | None,
        symbology: str = "",
        source: str,
        qty: int = 1,
        scanned_at: datetime,
        local_verdict: str,
        reason: str | None = None,
        local_only: bool = False,
        annuls_scan_id: str | None = None,
        product_id: str | None = None,
        unit_id: str | None = None,
        case_id: str | None = None,
        unit_ids: Iterable[str] = (),
        effects: Mapping[str, int] | None = None,
        condition: str | None = None,
        reason_codes: Iterable[Mapping] = (),
        login_session_id: str | None = None,
    ) -> QueuedScan:
        """Record a scan durably; returns only after COMMIT (fsynced: synchronous=FULL).

        ``local_only`` rows (codes that cannot be sent at all) are stored as ``rejected``
        without a ``seq`` so they are shown but never uploaded and leave no gap in ``seq``.
        ``login_session_id`` defaults to the user's newest login at this station (``logins``).
        """
        scan_id = str(uuid7())
        with self.atomic():
            if login_session_id is None:
                login_session_id = self.latest_login_id(user_id, station_id)
            # seq is allocated inside the insert's transaction: no two rows can share one,
            # and a rolled-back insert does not burn a number. Rows are never deleted, so
            # MAX(seq) only grows.
            seq = (
                None
                if local_only
                else self.db.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM scans").fetchone()[
                    0
                ]
            )
            self.db.conn.execute(
                "INSERT INTO scans (scan_id, seq, station_id, user_id, project_id, mode, code,"
                " normalized_code, symbology, source, qty, scanned_at, annuls_scan_id, state,"
                " reason, local_verdict, product_id, unit_id, case_id, unit_ids, effects,"
                " condition, reason_codes, login_session_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    scan_id,
                    seq,
                    station_id,
                    user_id,
                    project_id,
                    mode,
                    code,
                    normalized_code,
                    symbology,
                    source,
                    qty,
                    to_iso(scanned_at),
                    annuls_scan_id,
                    "rejected" if local_only else "queued",
                    reason,
                    local_verdict,
                    product_id,
                    unit_id,
                    case_id,
                    json.dumps(list(unit_ids)),
                    json.dumps(dict(effects or {})),
                    condition,
                    json.dumps([dict(r) for r in reason_codes]) if reason_codes else None,
                    login_session_id,
                ],
            )
        return self.get_scan(scan_id)

    def get_scan(self, scan_id: str | uuid.UUID) -> QueuedScan:
        row = next(
            iter(self.db.query("SELECT * FROM scans WHERE scan_id = ?", [str(scan_id)])), None
        )
        if row is None:
            raise UnknownScanError(str(scan_id))
        return QueuedScan.from_row(row)

    def queued_batch(self, limit: int) -> list[QueuedScan]:
        """The oldest queued scans, in ``seq`` order: the next batch to upload."""
        rows = self.db.query(
            "SELECT * FROM scans WHERE state = 'queued' ORDER BY seq LIMIT ?", [limit]
        )
        return [QueuedScan.from_row(row) for row in rows]

    def apply_results(self, results: Iterable[ScanResult]) -> int:
        """Record the server's answers; returns how many queued rows changed state.

        Only queued rows change: a late answer to a resent scan never overwrites the
        first answer that was already recorded.
        """
        synced_at = to_iso(self._now())
        changed = 0
        with self.atomic():
            for result in results:
                changed += self.db.conn.execute(
                    "UPDATE scans SET state = ?, reason = ?, server_result = ?, synced_at = ?"
                    " WHERE scan_id = ? AND state = 'queued'",
                    [
                        _STATE_FOR_STATUS[result.status],
                        result.reason,
                        result.model_dump_json(),
                        synced_at,
                        str(result.scan_id),
                    ],
                ).rowcount
        return changed

    def reject_locally(self, scan_id: str, reason: str) -> None:
        """Take a queued scan out of the outbox because it can never be sent (kept, shown)."""
        with self.atomic():
            self.db.conn.execute(
                "UPDATE scans SET state = 'rejected', reason = ?, reason_codes = NULL"
                " WHERE scan_id = ?"
                " AND state = 'queued'",
                [reason, scan_id],
            )

    def queue_depth(self) -> int:
        return self.db.conn.execute("SELECT COUNT(*) FROM scans WHERE state = 'queued'").fetchone()[
            0
        ]

    def recent_scans(self, limit: int = 20, project_id: str | None = None) -> list[QueuedScan]:
        """The newest scans first (including local-only rejected ones), optionally of one
        project."""
        where, params = ("WHERE project_id = ?", [project_id]) if project_id else ("", [])
        rows = self.db.query(
            f"SELECT * FROM scans {where} ORDER BY rowid DESC LIMIT ?", [*params, limit]
        )
        return [QueuedScan.from_row(row) for row in rows]

    def last_undoable_scan(self, user_id: str, project_id: str) -> QueuedScan | None:
        """The user's newest out/in/audit scan on the project that is not annulled yet."""
        row = next(
            iter(
                self.db.query(
                    "SELECT * FROM scans s WHERE s.user_id = ? AND s.project_id = ?"
                    " AND s.seq IS NOT NULL AND s.mode <> 'annul' AND s.state <> 'rejected'"
                    " AND NOT EXISTS (SELECT 1 FROM scans a WHERE a.annuls_scan_id = s.scan_id)"
                    " ORDER BY s.rowid DESC LIMIT 1",
                    [user_id, project_id],
                )
            ),
            None,
        )
        return None if row is None else QueuedScan.from_row(row)

    def annulled_ids(self, scan_ids: Iterable[str]) -> set[str]:
        ids = list(scan_ids)
        marks = ",".join("?" * len(ids))
        return {
            row[0]
            for row in self.db.conn.execute(
                f"SELECT annuls_scan_id FROM scans WHERE annuls_scan_id IN ({marks})"
                " AND state <> 'rejected'",
                ids,
            )
        }

    def problem_scans(self, limit: int = 200) -> list[QueuedScan]:
        """Conflicts and rejections, newest first: the operator's "problems" list."""
        rows = self.db.query(
            "SELECT * FROM scans WHERE state IN ('conflict', 'rejected') ORDER BY rowid DESC"
            " LIMIT ?",
            [limit],
        )
        return [QueuedScan.from_row(row) for row in rows]

    def count_scans_in(self, *states: str) -> int:
        marks = ",".join("?" * len(states))
        return self.db.conn.execute(
            f"SELECT COUNT(*) FROM scans WHERE state IN ({marks})", states
        ).fetchone()[0]

    def count_scans(self) -> dict[str, int]:
        counts = dict.fromkeys(SCAN_STATES, 0)
        for state, n in self.db.conn.execute("SELECT state, COUNT(*) FROM scans GROUP BY state"):
            counts[state] = n
        return counts

    # -- logins (issue 15) -----------------------------------------------------------

    def record_login(
        self,
        *,
        user_id: str,
        station_id: str,
        offline: bool,
        login_id: str | None = None,
        verifier: str | None = None,
    ) -> str:
        """Record who logged in here; returns the login's id, which every scan made under
        it carries. An online login is the server's session (``login_id``: nothing to
        upload); an offline one gets a UUIDv7 here and waits to be uploaded."""
        if not offline and login_id is None:
            raise ValueError("an online login is the server's session: pass its id")
        login_id = login_id or str(uuid7())
        with self.atomic():
            self.db.conn.execute(
                "INSERT OR IGNORE INTO logins (login_id, user_id, station_id, method, verifier,"
                " logged_in_at, upload_state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    login_id,
                    user_id,
                    station_id,
                    "offline" if offline else "online",
                    verifier,
                    to_iso(self._now()),
                    "pending" if offline else "not_needed",
                ],
            )
        return login_id

    def latest_login_id(self, user_id: str, station_id: str) -> str | None:
        """The user's newest login at this station (an earlier enrolment's do not count)."""
        row = self.db.conn.execute(
            "SELECT login_id FROM logins WHERE user_id = ? AND station_id = ?"
            " ORDER BY logged_in_at DESC, rowid DESC LIMIT 1",
            [user_id, station_id],
        ).fetchone()
        return None if row is None else row[0]

    def pending_logins(self, limit: int = 100) -> list[dict]:
        """Offline logins not yet acknowledged by the server, oldest first."""
        return list(
            self.db.query(
                "SELECT * FROM logins WHERE upload_state = 'pending'"
                " ORDER BY logged_in_at, rowid LIMIT ?",
                [limit],
            )
        )

    def mark_logins(self, acks: Iterable[tuple[str, str, str | None]]) -> int:
        """Record the server's answers ``(login_id, status, reason)``; returns how many
        pending logins changed (a duplicate means recorded by an earlier upload)."""
        uploaded_at = to_iso(self._now())
        changed = 0
        with self.atomic():
            for login_id, status, reason in acks:
                state = "rejected" if status == "rejected" else "recorded"
                changed += self.db.conn.execute(
                    "UPDATE logins SET upload_state = ?, reason = ?, uploaded_at = ?"
                    " WHERE login_id = ? AND upload_state = 'pending'",
                    [state, reason, uploaded_at, login_id],
                ).rowcount
        return changed

    def login(self, login_id: str) -> dict | None:
        return next(
            iter(self.db.query("SELECT * FROM logins WHERE login_id = ?", [login_id])), None
        )

    # -- a revoked station (issue 15) --------------------------------------------------

    def station_revoked(self) -> str | None:
        """Where the revoked station's unsent work was exported, once it learned it is
        revoked (None: not revoked)."""
        return self.get_setting("station_revoked_export")

    def wipe_revoked(self, export_dir: str | Path) -> Path:
        """The server said this station is revoked: export what it did not accept, take it
        out of the queue (kept, marked rejected: nothing is ever deleted), and wipe the
        mirror and the badge cache. Returns the export file (JSON lines, fsynced first).

        Idempotent: a second call exports nothing new and returns the first file."""
        done = self.station_revoked()
        if done is not None:
            return Path(done)
        stamp = self._now().strftime("%Y%m%dT%H%M%SZ")
        path = Path(export_dir) / f"revoked-station-export-{stamp}.jsonl"
        why = f"station revoked: not accepted by the server; exported to {path}"
        # One write transaction: no scan recorded meanwhile can miss the export.
        with self.atomic():
            queued = self.db.query("SELECT * FROM scans WHERE state = 'queued' ORDER BY seq")
            # The rows as stored (every column: the wire form can be rebuilt from them).
            lines = [json.dumps({"kind": "scan", **dict(row)}) for row in queued]
            lines += [
                json.dumps({"kind": "offline_login", **row}) for row in self.pending_logins(10**6)
            ]
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in lines))
                out.flush()
                os.fsync(out.fileno())
            self.db.conn.execute(
                "UPDATE scans SET state = 'rejected', reason = ?, reason_codes = NULL"
                " WHERE state = 'queued'",
                [why],
            )
            self.db.conn.execute(
                "UPDATE logins SET upload_state = 'rejected', reason = ?"
                " WHERE upload_state = 'pending'",
                [why],
            )
            self.wipe_mirror()
            self._set_setting("station_revoked_export", str(path))
        return path

    def clear_revoked(self) -> None:
        """A new enrolment: this kiosk is a (new) station again."""
        with self.atomic():
            self.db.conn.execute(
                "DELETE FROM settings WHERE key IN ('station_revoked_export', 'station_id')"
            )
