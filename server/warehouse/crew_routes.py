"""Crew routes: the planners' ``/crew-assignments`` and the caller's ``/me`` (who it is,
its roles and permissions, and today's assignments).

Here, not in ``server.identity``: crew assignments put people on projects, so they sit
next to projects, above identity (docs/architecture.md); ``/me`` lists them. Paths, tags
and answers are the ones the identity routers had.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.deps import AccessClaimsDep, CrewReader, CrewWriter, PagingDep, SelfReader, SessionDep
from server.edge import UtcDatetime
from server.identity.permissions import permissions_for
from server.identity.schemas import UserOut
from server.paging import Page, paged
from server.warehouse import crew
from server.warehouse.schemas import (
    AssignmentCreate,
    AssignmentOut,
    AssignmentUpdate,
    MeResponse,
)

router = APIRouter(prefix="/api/v1")

AwareDatetimeQuery = UtcDatetime | None


@router.get("/crew-assignments", response_model=Page[AssignmentOut], tags=["admin", "crew"])
def list_assignments(
    _: CrewReader,
    session: SessionDep,
    paging: PagingDep,
    user_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    overlaps_from: Annotated[AwareDatetimeQuery, Query(alias="from")] = None,
    overlaps_until: Annotated[AwareDatetimeQuery, Query(alias="until")] = None,
) -> Page[AssignmentOut]:
    matching = crew.assignments_query(
        user_id=user_id,
        project_id=project_id,
        overlaps_from=overlaps_from,
        overlaps_until=overlaps_until,
    )
    return paged(session, matching, paging, AssignmentOut.model_validate)


@router.post(
    "/crew-assignments", response_model=AssignmentOut, status_code=201, tags=["admin", "crew"]
)
def create_assignment(
    body: AssignmentCreate, actor: CrewWriter, session: SessionDep
) -> AssignmentOut:
    assignment = crew.create_assignment(session=session, actor=actor, **body.model_dump())
    return AssignmentOut.model_validate(assignment)


@router.get(
    "/crew-assignments/{assignment_id}", response_model=AssignmentOut, tags=["admin", "crew"]
)
def get_assignment(assignment_id: uuid.UUID, _: CrewReader, session: SessionDep) -> AssignmentOut:
    return AssignmentOut.model_validate(
        crew.require_assignment(session=session, assignment_id=assignment_id)
    )


@router.patch(
    "/crew-assignments/{assignment_id}", response_model=AssignmentOut, tags=["admin", "crew"]
)
def update_assignment(
    assignment_id: uuid.UUID,
    body: AssignmentUpdate,
    actor: CrewWriter,
    session: SessionDep,
) -> AssignmentOut:
    assignment = crew.require_assignment(session=session, assignment_id=assignment_id)
    crew.update_assignment(
        session=session,
        assignment=assignment,
        changes=body.model_dump(exclude_unset=True),
        actor=actor,
    )
    return AssignmentOut.model_validate(assignment)


@router.delete("/crew-assignments/{assignment_id}", status_code=204, tags=["admin", "crew"])
def delete_assignment(assignment_id: uuid.UUID, actor: CrewWriter, session: SessionDep) -> Response:
    assignment = crew.require_assignment(session=session, assignment_id=assignment_id)
    crew.delete_assignment(session=session, assignment=assignment, actor=actor)
    return Response(status_code=204)


@router.get("/me", response_model=MeResponse, tags=["auth"])
def me(user: SelfReader, claims: AccessClaimsDep, session: SessionDep) -> MeResponse:
    """The caller, its roles and permissions, and today's crew assignments."""
    today = crew.assignments_today(session=session, user_id=user.id)
    return MeResponse(
        user=UserOut.of(user),
        roles=user.role_names,
        permissions=sorted(p.value for p in permissions_for(user.role_names)),
        station_id=claims.station_id,
        assignments_today=[AssignmentOut.model_validate(a) for a in today],
    )
