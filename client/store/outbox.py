"""The outbox: every scan the kiosk recorded (``scans``), queued until the server answers.

A scan is committed before the operator sees its verdict (SPEC §3) and leaves the queue
only by an answer from the server, or by being marked rejected locally when it can never
be sent; rows are never deleted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from client.store.connection import UnknownScanError
from client.store.logins import LoginLog
from client.timeutil import from_iso, to_iso
from shared.ids import uuid7
from shared.protocol import ScanIn, ScanMode, ScanResult, ScanStatus


class ScanState(StrEnum):
    """``scans.state`` as stored (the text is the stored value: existing files keep working)."""

    QUEUED = "queued"  # waiting to be uploaded
    SYNCED = "synced"  # the server applied it (or had already: a duplicate)
    CONFLICT = "conflict"  # the server recorded it as a conflict
    REJECTED = "rejected"  # refused by the server, or never sendable (local-only)


# A duplicate means the server already applied it: locally that is the same as applied.
_STATE_FOR_STATUS = {
    ScanStatus.APPLIED: ScanState.SYNCED,
    ScanStatus.DUPLICATE: ScanState.SYNCED,
    ScanStatus.CONFLICT: ScanState.CONFLICT,
    ScanStatus.REJECTED: ScanState.REJECTED,
}


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
    state: ScanState
    reason: str | None
    local_verdict: str
    server_result: dict[str, Any] | None
    synced_at: datetime | None
    product_id: str | None
    unit_id: str | None
    case_id: str | None
    condition: str | None = None
    unit_ids: tuple[str, ...] = ()
    effects: Mapping[str, int] | None = None
    # The kiosk's own verdict as reason codes ({"code", "params"}; client.reasons): shown
    # in the kiosk's language until the server answers (its codes are in server_result).
    reason_codes: tuple[dict[str, Any], ...] = ()
    # The login it was made under (issue 15): the server's session id or an offline login.
    login_session_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> QueuedScan:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["state"] = ScanState(row["state"])
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
        # Validated from a mapping: the stored text becomes the protocol's enums (or fails).
        return ScanIn.model_validate(
            {
                "scan_id": uuid.UUID(self.scan_id),
                "station_id": uuid.UUID(self.station_id),
                "seq": self.seq,
                "user_id": uuid.UUID(self.user_id),
                "project_id": uuid.UUID(self.project_id) if self.project_id else None,
                "mode": self.mode,
                "code": self.code,
                "symbology": self.symbology,
                "source": self.source,
                "qty": self.qty,
                "scanned_at": self.scanned_at,
                "annuls_scan_id": uuid.UUID(self.annuls_scan_id) if self.annuls_scan_id else None,
                # Only returns carry a condition (shared.protocol.ReturnCondition).
                "condition": self.condition if self.mode == ScanMode.IN else None,
                "login_session_id": (
                    uuid.UUID(self.login_session_id) if self.login_session_id else None
                ),
            }
        )


class Outbox(LoginLog):
    """The ``scans`` table: record, queue, answer and list scans."""

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
        reason_codes: Iterable[Mapping[str, Any]] = (),
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
                    ScanState.REJECTED if local_only else ScanState.QUEUED,
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
        row = self._one("SELECT * FROM scans WHERE scan_id = ?", [str(scan_id)])
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
        depth: int = self.db.conn.execute(
            "SELECT COUNT(*) FROM scans WHERE state = 'queued'"
        ).fetchone()[0]
        return depth

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
        count: int = self.db.conn.execute(
            f"SELECT COUNT(*) FROM scans WHERE state IN ({marks})", states
        ).fetchone()[0]
        return count

    def count_scans(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(ScanState, 0)
        for state, n in self.db.conn.execute("SELECT state, COUNT(*) FROM scans GROUP BY state"):
            counts[state] = n
        return counts
