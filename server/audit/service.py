"""Write audit events. Call ``record`` inside the transaction of the change it describes,
so the change and its audit line commit (or roll back) together."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from server.audit.models import AuditEvent


def record(
    *,
    session: Session,
    action: str,
    outcome: str = "ok",
    actor_user_id: uuid.UUID | None = None,
    actor_station_id: uuid.UUID | None = None,
    ip: str | None = None,
    target_type: str | None = None,
    target_id: str | uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (never updated, never deleted)."""
    event = AuditEvent(
        action=action,
        outcome=outcome,
        actor_user_id=actor_user_id,
        actor_station_id=actor_station_id,
        ip=ip,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event
