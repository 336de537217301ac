"""Crew assignments: a user on a project in a crew role for a time window (SPEC §1)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from server.audit.service import Actor, record
from server.db import get_or_404, utcnow
from server.errors import BadRequest
from server.identity.models import User
from server.integrity import delete_row
from server.warehouse.models import CrewAssignment, Project

# "Today" on /me is the warehouse's day, not UTC's: a 00:30 call is still tonight's show.
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def _check_window(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise BadRequest("ends_at must be after starts_at")
    if ends_at - starts_at > timedelta(days=366):
        raise BadRequest("an assignment may span at most a year")


def _check_refs(session: Session, user_id: uuid.UUID, project_id: uuid.UUID) -> None:
    user = get_or_404(session, User, user_id, f"no user with id {user_id}")
    if not user.active:
        raise BadRequest("cannot assign a deactivated user")
    get_or_404(session, Project, project_id, f"no project with id {project_id}")


def create_assignment(
    *,
    session: Session,
    user_id: uuid.UUID,
    project_id: uuid.UUID,
    role: str,
    starts_at: datetime,
    ends_at: datetime,
    notes: str = "",
    actor: Actor,
) -> CrewAssignment:
    _check_window(starts_at, ends_at)
    _check_refs(session, user_id, project_id)
    assignment = CrewAssignment(
        user_id=user_id,
        project_id=project_id,
        role=role.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        notes=notes,
    )
    session.add(assignment)
    session.flush()
    record(
        session=session,
        action="crew.assigned",
        actor=actor,
        target_type="crew_assignment",
        target_id=assignment.id,
        details={"user_id": str(user_id), "project_id": str(project_id), "role": role},
    )
    return assignment


def require_assignment(*, session: Session, assignment_id: uuid.UUID) -> CrewAssignment:
    return get_or_404(
        session, CrewAssignment, assignment_id, f"no crew assignment with id {assignment_id}"
    )


def update_assignment(
    *, session: Session, assignment: CrewAssignment, changes: dict[str, Any], actor: Actor
) -> CrewAssignment:
    allowed = {"role", "starts_at", "ends_at", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))}")
    if any(changes.get(key) is None for key in changes):
        raise BadRequest("fields of an assignment cannot be null")
    _check_window(
        changes.get("starts_at", assignment.starts_at), changes.get("ends_at", assignment.ends_at)
    )
    for key, value in changes.items():
        setattr(assignment, key, value)
    session.flush()
    record(
        session=session,
        action="crew.assignment_updated",
        actor=actor,
        target_type="crew_assignment",
        target_id=assignment.id,
        details={"fields": sorted(changes)},
    )
    return assignment


def delete_assignment(*, session: Session, assignment: CrewAssignment, actor: Actor) -> None:
    record(
        session=session,
        action="crew.unassigned",
        actor=actor,
        target_type="crew_assignment",
        target_id=assignment.id,
        details={"user_id": str(assignment.user_id), "project_id": str(assignment.project_id)},
    )
    delete_row(session, assignment, "the crew assignment")


def assignments_query(
    *,
    user_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    overlaps_from: datetime | None = None,
    overlaps_until: datetime | None = None,
) -> Select[CrewAssignment]:
    """Assignments matching the filters; the window filter keeps those overlapping it."""
    conditions = []
    if user_id is not None:
        conditions.append(CrewAssignment.user_id == user_id)
    if project_id is not None:
        conditions.append(CrewAssignment.project_id == project_id)
    if overlaps_from is not None:
        conditions.append(CrewAssignment.ends_at > overlaps_from)
    if overlaps_until is not None:
        conditions.append(CrewAssignment.starts_at < overlaps_until)
    stmt = (
        select(CrewAssignment)
        .where(*conditions)
        .order_by(CrewAssignment.starts_at, CrewAssignment.id)
    )
    return stmt


def today_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of the local (Amsterdam) day containing ``now``, as aware datetimes."""
    local = (now or utcnow()).astimezone(LOCAL_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)  # wall-clock arithmetic: next midnight, DST or not
    return start, end


def assignments_today(*, session: Session, user_id: uuid.UUID) -> list[CrewAssignment]:
    start, end = today_window()
    today = assignments_query(user_id=user_id, overlaps_from=start, overlaps_until=end)
    return list(session.scalars(today.limit(100)))
