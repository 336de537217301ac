"""Login sessions that scans are bound to (issue 15): who was logged in at which station.

An online badge login opens one (``open_badge_session``, called by ``login._issue``: its
id is the refresh-token family, the access token's ``sid``). An offline login is recorded
by the kiosk and uploaded in its next batch, ahead of its scans (``record_offline_logins``:
idempotent by the kiosk's UUIDv7 ``login_id``, audited as ``auth.offline_login`` with
station and times). The ingest (``server.warehouse.ingest``) then attributes each scan:
see ``shared.protocol.Attribution`` and ``attribute``.

A session is not checked for expiry: a scan recorded offline reaches the server long after
its login ended, and a scan is a fact to keep. What is checked is that the login exists,
is of the scan's user and was made at the uploading station.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.audit.service import Actor, record
from server.db import is_postgresql, one_of, table_of, utcnow
from server.errors import BadRequest
from server.identity.models import LoginSession, Station, User
from shared.protocol import Attribution, LoginStatus, OfflineLoginIn, ScanIn
from shared.reasons import Reason, ReasonCode, reason

BADGE = "badge"
OFFLINE = "offline"


def open_badge_session(
    *,
    session: Session,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    station_id: uuid.UUID,
    now: datetime,
) -> None:
    """Record an online badge login at ``station_id`` (id: its refresh-token family)."""
    session.add(
        LoginSession(
            id=session_id,
            user_id=user_id,
            station_id=station_id,
            method=BADGE,
            started_at=now,
            received_at=now,
        )
    )


def record_offline_logins(
    *, session: Session, station: Station, logins: list[OfflineLoginIn]
) -> list[dict]:
    """Store the station's offline logins (each once, ever); one acknowledgement each,
    shaped as ``shared.protocol.LoginAck``. Runs before the batch's scans are decided."""
    foreign = [login.login_id for login in logins if login.station_id != station.id]
    if foreign:
        raise BadRequest(
            f"{len(foreign)} login(s) carry a station_id other than this station's "
            f"({station.id}); first: {foreign[0]}",
            code="station_mismatch",
        )
    acks = []
    for login in logins:
        status, why = _record_one(session, station, login)
        acks.append({"login_id": login.login_id, "status": status.value, "reason": why})
    return acks


def _record_one(
    session: Session, station: Station, login: OfflineLoginIn
) -> tuple[LoginStatus, str | None]:
    user = session.get(User, login.user_id)
    if user is None:
        return LoginStatus.REJECTED, f"unknown user {login.user_id}"
    try:
        logged_in_at = login.logged_in_at.astimezone(UTC)
    except OverflowError:  # e.g. year 1 at +01:00: no such instant in UTC
        return LoginStatus.REJECTED, "logged_in_at is outside the years 1-9999 in UTC"
    received = utcnow()
    values = {
        "id": login.login_id,
        "user_id": login.user_id,
        "station_id": station.id,
        "method": OFFLINE,
        "verifier": login.verifier,
        "started_at": logged_in_at,
        "received_at": received,
    }
    make = pg_insert if is_postgresql(session) else sqlite_insert
    # RETURNING, not rowcount: psycopg reports -1 for ON CONFLICT DO NOTHING here.
    table = table_of(LoginSession)
    stmt = make(table).values(**values).on_conflict_do_nothing(index_elements=["id"])
    inserted = session.execute(stmt.returning(table.c.id)).first() is not None
    if not inserted:
        existing = session.get(LoginSession, login.login_id)
        same = (
            existing is not None
            and existing.method == OFFLINE
            and existing.station_id == station.id
            and existing.user_id == login.user_id
        )
        if same:
            return LoginStatus.DUPLICATE, None
        return LoginStatus.REJECTED, f"login id {login.login_id} is already taken"
    record(
        session=session,
        action="auth.offline_login",
        actor=Actor(user_id=user.id, station_id=station.id),
        target_type="user",
        target_id=user.id,
        details={
            "login_id": str(login.login_id),
            "station": station.name,
            "logged_in_at": logged_in_at.isoformat(),
            "received_at": received.isoformat(),
            "verifier": login.verifier,
            "user_active": user.active,
        },
    )
    return LoginStatus.RECORDED, None


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What attributing a batch's scans needs, loaded with two queries."""

    named: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, str]]  # id -> user, station, method
    users_here: set[uuid.UUID]  # users with any login at the uploading station

    @classmethod
    def load(cls, *, session: Session, station: Station, scans: list[ScanIn]) -> SessionFacts:
        ids = list({s.login_session_id for s in scans if s.login_session_id is not None})
        named = {}
        if ids:
            named = {
                row.id: (row.user_id, row.station_id, row.method)
                for row in session.execute(
                    select(
                        LoginSession.id,
                        LoginSession.user_id,
                        LoginSession.station_id,
                        LoginSession.method,
                    ).where(one_of(session, LoginSession.id, ids))
                )
            }
        unbound = list({s.user_id for s in scans if s.login_session_id is None})
        users_here: set[uuid.UUID] = set()
        if unbound:
            users_here = set(
                session.scalars(
                    select(LoginSession.user_id)
                    .where(
                        LoginSession.station_id == station.id,
                        one_of(session, LoginSession.user_id, unbound),
                    )
                    .distinct()
                )
            )
        return cls(named, users_here)

    def attribute(self, station: Station, scan: ScanIn) -> tuple[Attribution, Reason | None]:
        """How ``scan`` is tied to a login, and the conflict reason when it is not."""
        if scan.login_session_id is None:
            if scan.user_id in self.users_here:
                return Attribution.UNBOUND, None
            return Attribution.NONE, reason(ReasonCode.NO_LOGIN_SESSION, user_id=scan.user_id)
        found = self.named.get(scan.login_session_id)
        if found is None:
            return Attribution.NONE, reason(ReasonCode.NO_LOGIN_SESSION, user_id=scan.user_id)
        user_id, station_id, method = found
        if user_id != scan.user_id or station_id != station.id:
            return Attribution.NONE, reason(
                ReasonCode.LOGIN_SESSION_MISMATCH, login_session_id=scan.login_session_id
            )
        return (Attribution.OFFLINE if method == OFFLINE else Attribution.ONLINE), None
