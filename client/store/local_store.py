"""``LocalStore``: the kiosk's one SQLite file, with all its parts (outbox, logins, mirror,
settings), migrated on open; and what spans them all: a revoked station's wipe."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from client.store.connection import Row
from client.store.logins import LoginUploadState
from client.store.migrations import applied_migrations, migrate
from client.store.mirror import Mirror
from client.store.outbox import Outbox, ScanState
from client.timeutil import utc_now


class LocalStore(Outbox, Mirror):
    """The local database. Not thread-safe: one instance per thread."""

    def __init__(self, path: str | Path, *, now: Callable[[], datetime] = utc_now) -> None:
        super().__init__(path, now=now)
        migrate(self)

    def applied_migrations(self) -> list[Row]:
        return applied_migrations(self)

    def schema_version(self) -> int:
        return max((int(m["id"]) for m in self.applied_migrations()), default=0)

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
            queued = self.db.query(
                "SELECT * FROM scans WHERE state = ? ORDER BY seq", [ScanState.QUEUED]
            )
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
                "UPDATE scans SET state = ?, reason = ?, reason_codes = NULL WHERE state = ?",
                [ScanState.REJECTED, why, ScanState.QUEUED],
            )
            self.db.conn.execute(
                "UPDATE logins SET upload_state = ?, reason = ? WHERE upload_state = ?",
                [LoginUploadState.REJECTED, why, LoginUploadState.PENDING],
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
