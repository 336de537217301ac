"""Write and read audit events. Call ``record`` inside the transaction of the change it
describes, so the change and its audit line commit (or roll back) together."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.sqlutil import flush_unique


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it and from where: a user, a station, or both (a badge login at a kiosk)."""

    user_id: uuid.UUID | None = None
    station_id: uuid.UUID | None = None
    ip: str | None = None


@dataclass(frozen=True, slots=True)
class UserActor(Actor):
    """An ``Actor`` that is a signed-in user (what a route's permission gate answers)."""

    user_id: uuid.UUID


def record(
    *,
    session: Session,
    action: str,
    outcome: str = "ok",
    actor: Actor | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_station_id: uuid.UUID | None = None,
    ip: str | None = None,
    target_type: str | None = None,
    target_id: str | uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (never updated, never deleted)."""
    if actor is not None:
        actor_user_id = actor_user_id or actor.user_id
        actor_station_id = actor_station_id or actor.station_id
        ip = ip or actor.ip
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor_user_id=actor_user_id,
        actor_station_id=actor_station_id,
        ip=ip[:64] if ip else None,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event


def record_update(
    *,
    session: Session,
    row: Any,
    values: dict[str, Any],
    action: str,
    actor: Actor | None,
    target_type: str,
    unique_what: str,
) -> list[str]:
    """Apply ``values`` to ``row``; audit the names of the fields that really changed
    (values stay out of the trail: they may be personal data). A unique-key race is a 409.
    Returns the changed field names."""
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key in changed:
        setattr(row, key, values[key])
    flush_unique(session, unique_what)
    if changed:
        record(
            session=session,
            action=action,
            actor=actor,
            target_type=target_type,
            target_id=row.id,
            details={"fields": changed},
        )
    return changed


def events_query(
    *,
    action: str | None = None,
    outcome: str | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_station_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[AuditEvent]:
    """Events matching the filters, newest first (``server.paging`` pages them).

    ``action`` matches exactly, or as a prefix when it ends in ``.*`` (``auth.*``).
    """
    conditions: list[ColumnElement[bool]] = []
    if action:
        if action.endswith(".*"):
            prefix = action[:-1].replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
            conditions.append(AuditEvent.action.like(prefix + "%", escape="\\"))
        else:
            conditions.append(AuditEvent.action == action)
    if outcome:
        conditions.append(AuditEvent.outcome == outcome)
    if actor_user_id:
        conditions.append(AuditEvent.actor_user_id == actor_user_id)
    if actor_station_id:
        conditions.append(AuditEvent.actor_station_id == actor_station_id)
    if target_type:
        conditions.append(AuditEvent.target_type == target_type)
    if target_id:
        conditions.append(AuditEvent.target_id == target_id)
    if since:
        conditions.append(AuditEvent.occurred_at >= since)
    if until:
        conditions.append(AuditEvent.occurred_at < until)
    return (
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
