"""``GET /api/v1/audit``: the audit trail for admins, filtered and paged, newest first.

The route lives here, not in ``server.audit``: reading the trail needs the caller's
permission (identity), while identity records into the trail, so ``server.audit`` stays a
leaf that every domain may write to (docs/architecture.md)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from server.audit.schemas import AuditEventOut
from server.audit.service import events_query
from server.deps import AuditReader, PagingDep, SessionDep
from server.edge import UtcDatetime
from server.errors import BadRequest
from server.paging import Page, paged

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=Page[AuditEventOut])
def list_audit_events(
    _: AuditReader,
    session: SessionDep,
    paging: PagingDep,
    action: Annotated[str | None, Query(max_length=64, description="exact, or 'auth.*'")] = None,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    actor: Annotated[uuid.UUID | None, Query(description="acting user id")] = None,
    station: Annotated[uuid.UUID | None, Query(description="acting station id")] = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[UtcDatetime | None, Query(description="inclusive")] = None,
    until: Annotated[UtcDatetime | None, Query(description="exclusive")] = None,
) -> Page[AuditEventOut]:
    if since and until and until <= since:
        raise BadRequest("until must be after since")
    matching = events_query(
        action=action,
        outcome=outcome,
        actor_user_id=actor,
        actor_station_id=station,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
    )
    return paged(session, matching, paging, AuditEventOut.model_validate)
