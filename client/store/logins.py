"""Who logged in at this kiosk (issue 15), and the offline badge check's lock-out.

Every scan names the login it was made under. An online login is the server's session
(nothing to upload); an offline one gets its id here and waits in ``logins`` to be
uploaded ahead of the scans that name it. Failed offline badge checks are counted per badge
in ``badge_failures``, in the file: a restart does not reset them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from enum import StrEnum
from typing import TypedDict, cast

from client.store.connection import StoreConnection
from client.timeutil import from_iso, to_iso
from shared.ids import uuid7
from shared.protocol import LoginStatus


class LoginUploadState(StrEnum):
    """``logins.upload_state`` as stored (the text is the stored value)."""

    NOT_NEEDED = "not_needed"  # an online login: the server made it
    PENDING = "pending"  # an offline login, not yet acknowledged by the server
    RECORDED = "recorded"  # the server recorded it (or had already)
    REJECTED = "rejected"  # the server refused it, or it can never be sent


class LoginMethod(StrEnum):
    """``logins.method`` as stored."""

    ONLINE = "online"
    OFFLINE = "offline"


class LoginRow(TypedDict):
    """One ``logins`` row as stored (times as ISO text)."""

    login_id: str
    user_id: str
    station_id: str
    method: str  # a LoginMethod value
    verifier: str | None  # offline: how the badge was checked (client.auth's *_VERIFIER)
    logged_in_at: str
    upload_state: str  # a LoginUploadState value
    reason: str | None  # why the server refused it
    uploaded_at: str | None


class LoginLog(StoreConnection):
    """The ``logins`` table and the offline lock-out (``badge_failures``)."""

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
                    LoginMethod.OFFLINE if offline else LoginMethod.ONLINE,
                    verifier,
                    to_iso(self._now()),
                    LoginUploadState.PENDING if offline else LoginUploadState.NOT_NEEDED,
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
        if row is None:
            return None
        login_id: str = row[0]
        return login_id

    def pending_logins(self, limit: int = 100) -> list[LoginRow]:
        """Offline logins not yet acknowledged by the server, oldest first."""
        rows = self.db.query(
            "SELECT * FROM logins WHERE upload_state = ? ORDER BY logged_in_at, rowid LIMIT ?",
            [LoginUploadState.PENDING, limit],
        )
        return [cast(LoginRow, row) for row in rows]

    def mark_logins(self, acks: Iterable[tuple[str, LoginStatus, str | None]]) -> int:
        """Record the server's answers ``(login_id, status, reason)``; returns how many
        pending logins changed (a duplicate means recorded by an earlier upload)."""
        uploaded_at = to_iso(self._now())
        changed = 0
        with self.atomic():
            for login_id, status, reason in acks:
                state = (
                    LoginUploadState.REJECTED
                    if status is LoginStatus.REJECTED
                    else LoginUploadState.RECORDED
                )
                changed += self.db.conn.execute(
                    "UPDATE logins SET upload_state = ?, reason = ?, uploaded_at = ?"
                    " WHERE login_id = ? AND upload_state = ?",
                    [state, reason, uploaded_at, login_id, LoginUploadState.PENDING],
                ).rowcount
        return changed

    def login(self, login_id: str) -> LoginRow | None:
        row = self._one("SELECT * FROM logins WHERE login_id = ?", [login_id])
        return None if row is None else cast(LoginRow, row)

    # -- offline badge lock-out ---------------------------------------------------------

    def badge_locked_for(self, bucket: str) -> float:
        """Seconds the offline badge check of ``bucket`` stays locked (0: not locked)."""
        row = self.db.conn.execute(
            "SELECT locked_until FROM badge_failures WHERE bucket = ?", [bucket]
        ).fetchone()
        locked_until = None if row is None else from_iso(row[0])
        if locked_until is None:
            return 0.0
        return max(0.0, (locked_until - self._now()).total_seconds())

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
            failures: int = 0 if row is None else row[0]
            last_failure = from_iso(row[1]) if row is not None and row[1] else None
            if last_failure is not None and now - last_failure > forget_after:
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
