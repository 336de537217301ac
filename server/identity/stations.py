"""Station lifecycle: one-time enrolment codes, enrolment, list, rename, revoke (SPEC §1).

An admin creates an enrolment code (shown once, stored as a SHA-256 hash, expiring); the
new kiosk exchanges it at ``POST /api/v1/stations/enroll`` for its station token (shown
once, stored hashed). Codes are single-use; wrong codes count against the caller's IP.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from server.audit.service import Actor, record
from server.db import get_or_404, utcnow
from server.errors import Conflict, Unauthorized
from server.identity import throttle
from server.identity.models import Station, StationEnrollment
from server.identity.security import (
    new_enrollment_code,
    normalize_enrollment_code,
    token_hash,
)
from server.identity.service import create_station, revoke_refresh_tokens

ENROLL_FAILED = "invalid, used or expired enrolment code"
# Guessing codes is cheaper than guessing passwords: lock a source after 10 misses.
ENROLL_SOURCE = throttle.Policy(10, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=6))


def _name_taken(session: Session, name: str, exclude: uuid.UUID | None = None) -> bool:
    stmt = select(Station.id).where(func.lower(Station.name) == name.lower())
    if exclude is not None:
        stmt = stmt.where(Station.id != exclude)
    return session.scalar(stmt) is not None


def create_enrollment(
    *, session: Session, name: str, ttl: timedelta, actor: Actor
) -> tuple[StationEnrollment, str]:
    """A one-time code for a new station called ``name``; the code is returned once."""
    name = name.strip()
    if _name_taken(session, name):
        raise Conflict(f"a station named {name!r} already exists")
    code = new_enrollment_code()
    enrollment = StationEnrollment(
        code_hash=token_hash(normalize_enrollment_code(code)),
        name=name,
        created_by=actor.user_id,
        expires_at=utcnow() + ttl,
    )
    session.add(enrollment)
    session.flush()
    record(
        session=session,
        action="station.enrollment_created",
        actor=actor,
        target_type="station_enrollment",
        target_id=enrollment.id,
        details={"name": name, "expires_at": enrollment.expires_at.isoformat()},
    )
    return enrollment, code


def enroll(*, session: Session, code: str, name: str | None, ip: str | None) -> tuple[Station, str]:
    """Exchange a valid, unused, unexpired code for a new station and its token."""
    keys = [(f"enroll-ip:{ip}", ENROLL_SOURCE)]
    throttle.ensure_not_locked(session, keys)
    now = utcnow()
    enrollment = session.scalar(
        select(StationEnrollment)
        .where(StationEnrollment.code_hash == token_hash(normalize_enrollment_code(code)))
        .with_for_update()
    )
    if enrollment is None or enrollment.used_at is not None or enrollment.expires_at <= now:
        throttle.record_failure(session, keys, now)
        record(
            session=session,
            action="station.enrolled",
            outcome="failed",
            actor=Actor(ip=ip),
            details={"reason": "unknown" if enrollment is None else "used or expired"},
        )
        raise Unauthorized(ENROLL_FAILED, keep_work=True)
    final_name = (name or enrollment.name).strip()
    if _name_taken(session, final_name):
        raise Conflict(f"a station named {final_name!r} already exists")
    station, token = create_station(session=session, name=final_name)
    enrollment.used_at = now
    enrollment.station_id = station.id
    session.flush()
    record(
        session=session,
        action="station.enrolled",
        actor=Actor(station_id=station.id, ip=ip, user_id=enrollment.created_by),
        target_type="station",
        target_id=station.id,
        details={"name": final_name, "enrollment_id": str(enrollment.id)},
    )
    return station, token


def stations_query(*, active: bool | None = None) -> Select[Station]:
    conditions = [] if active is None else [Station.active.is_(active)]
    return select(Station).where(*conditions).order_by(Station.name)


def not_synced_since(*, session: Session, since: datetime) -> list[Station]:
    """Active stations that have not proved holding the reference data since ``since``
    (never synced counts as not synced)."""
    return list(
        session.scalars(
            select(Station)
            .where(
                Station.active.is_(True),
                or_(Station.reference_synced_at.is_(None), Station.reference_synced_at < since),
            )
            .order_by(Station.name)
        )
    )


def require_station(*, session: Session, station_id: uuid.UUID) -> Station:
    return get_or_404(session, Station, station_id, f"no station with id {station_id}")


def rename_station(*, session: Session, station: Station, name: str, actor: Actor) -> Station:
    name = name.strip()
    if name == station.name:
        return station
    if _name_taken(session, name, exclude=station.id):
        raise Conflict(f"a station named {name!r} already exists")
    before = station.name
    station.name = name
    session.flush()
    record(
        session=session,
        action="station.renamed",
        actor=actor,
        target_type="station",
        target_id=station.id,
        details={"before": before, "after": name},
    )
    return station


def revoke_station(*, session: Session, station: Station, actor: Actor) -> Station:
    """Revoke for good: the token stops working at once, and so do kiosk sessions' refresh."""
    if not station.active and station.token_hash is None:
        return station
    station.active = False
    # The old token can never come back; its hash is kept only to answer "revoked".
    station.revoked_token_hash = station.token_hash or station.revoked_token_hash
    station.token_hash = None
    station.revoked_at = utcnow()
    revoked = revoke_refresh_tokens(session=session, station_id=station.id)
    session.flush()
    record(
        session=session,
        action="station.revoked",
        actor=actor,
        target_type="station",
        target_id=station.id,
        details={"name": station.name, "refresh_tokens_revoked": revoked},
    )
    return station
