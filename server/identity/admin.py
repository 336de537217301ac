"""Admin API: users (+ roles, password, PIN), badges, stations (crew assignments:
``server.warehouse.crew_routes``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from server.deps import (
    PagingDep,
    SessionDep,
    SettingsDep,
    StationsAdmin,
    UsersReader,
    UsersWriter,
)
from server.errors import BadRequest
from server.identity import service, stations
from server.identity.models import Role
from server.identity.schemas import (
    BadgeDetail,
    BadgeIssue,
    BadgeIssued,
    BadgeOut,
    EnrollmentCreate,
    EnrollmentOut,
    PasswordReset,
    PinSet,
    StationOut,
    StationRename,
    StationSyncOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from server.paging import Page, paged

router = APIRouter(prefix="/api/v1", tags=["admin"])

# users


@router.get("/users", response_model=Page[UserOut], tags=["users"])
def list_users(
    _: UsersReader,
    session: SessionDep,
    paging: PagingDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    role: Role | None = None,
    active: bool | None = None,
) -> Page[UserOut]:
    by_name = service.users_query(q=q, role=role, active=active)
    return paged(session, by_name, paging, UserOut.of)


@router.post("/users", response_model=UserOut, status_code=201, tags=["users"])
def create_user(
    body: UserCreate,
    actor: UsersWriter,
    session: SessionDep,
    settings: SettingsDep,
) -> UserOut:
    user = service.create_user(
        session=session,
        actor=actor,
        pin_key=settings.badge_pin_key,
        **body.model_dump(),
    )
    return UserOut.of(user)


@router.get("/users/{user_id}", response_model=UserOut, tags=["users"])
def get_user(user_id: uuid.UUID, _: UsersReader, session: SessionDep) -> UserOut:
    return UserOut.of(service.require_user(session=session, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["users"])
def update_user(
    user_id: uuid.UUID, body: UserUpdate, actor: UsersWriter, session: SessionDep
) -> UserOut:
    """Change profile and crew details, roles and the active flag (only the fields sent)."""
    user = service.require_user(session=session, user_id=user_id)
    changes = body.model_dump(exclude_unset=True)
    roles = changes.pop("roles", ...)  # never null: UserUpdate refuses it
    active = changes.pop("active", ...)
    service.update_profile(session=session, user=user, changes=changes, actor=actor)
    if roles is not ...:
        service.set_roles(session=session, user=user, roles=roles, actor=actor)
    if active is not ...:
        service.set_active(session=session, user=user, active=active, actor=actor)
    return UserOut.of(user)


@router.delete("/users/{user_id}", response_model=UserOut, tags=["users"])
def deactivate_user(user_id: uuid.UUID, actor: UsersWriter, session: SessionDep) -> UserOut:
    """Deactivate (people are never hard-deleted: scans and audit lines point at them)."""
    user = service.require_user(session=session, user_id=user_id)
    service.set_active(session=session, user=user, active=False, actor=actor)
    return UserOut.of(user)


@router.put("/users/{user_id}/password", response_model=UserOut, tags=["users"])
def reset_password(
    user_id: uuid.UUID,
    body: PasswordReset,
    actor: UsersWriter,
    session: SessionDep,
) -> UserOut:
    """Set (or clear) a password; the user's sessions end."""
    user = service.require_user(session=session, user_id=user_id)
    service.set_password(session=session, user=user, password=body.password, actor=actor)
    return UserOut.of(user)


@router.put("/users/{user_id}/pin", response_model=UserOut, tags=["users"])
def set_pin(
    user_id: uuid.UUID,
    body: PinSet,
    actor: UsersWriter,
    session: SessionDep,
    settings: SettingsDep,
) -> UserOut:
    user = service.require_user(session=session, user_id=user_id)
    service.set_pin(
        session=session,
        user=user,
        pin=body.pin,
        actor=actor,
        pin_key=settings.badge_pin_key,
    )
    return UserOut.of(user)


# badges


@router.post(
    "/users/{user_id}/badges", response_model=BadgeIssued, status_code=201, tags=["badges"]
)
def issue_badge(
    user_id: uuid.UUID,
    body: BadgeIssue,
    actor: UsersWriter,
    session: SessionDep,
    settings: SettingsDep,
) -> BadgeIssued:
    """Without ``code`` the server makes one (80 random bits + check character, or a signed
    QR payload with ``signed``) and answers it once; a given code is stored as weak."""
    user = service.require_user(session=session, user_id=user_id)
    if body.code is not None:
        if body.signed:
            raise BadRequest("signed: a signed badge's code is made by the server; omit code")
        badge = service.issue_badge(
            session=session,
            user=user,
            code=body.code,
            key=settings.badge_hash_key,
            label=body.label,
            actor=actor,
        )
        return BadgeIssued.model_validate(badge)
    badge, code = service.issue_generated_badge(
        session=session,
        user=user,
        key=settings.badge_hash_key,
        label=body.label,
        actor=actor,
        signing_key=settings.badge_signing_key if body.signed else None,
    )
    return BadgeIssued.model_validate(badge).model_copy(update={"code": code})


@router.get("/badges", response_model=Page[BadgeOut], tags=["badges"])
def list_badges(
    _: UsersReader,
    session: SessionDep,
    paging: PagingDep,
    user_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> Page[BadgeOut]:
    oldest_first = service.badges_query(user_id=user_id, active=active)
    return paged(session, oldest_first, paging, BadgeOut.model_validate)


def _badge_detail(session, badge) -> BadgeDetail:
    behind = (
        stations.not_synced_since(session=session, since=badge.revoked_at)
        if badge.revoked_at is not None
        else []
    )
    return BadgeDetail.model_validate(badge).model_copy(
        update={"stations_not_synced": [StationSyncOut.model_validate(s) for s in behind]}
    )


@router.get("/badges/{badge_id}", response_model=BadgeDetail, tags=["badges"])
def get_badge(badge_id: uuid.UUID, _: UsersReader, session: SessionDep) -> BadgeDetail:
    """A badge; once revoked, also the stations that may still let it in offline."""
    return _badge_detail(session, service.require_badge(session=session, badge_id=badge_id))


@router.post("/badges/{badge_id}/revoke", response_model=BadgeDetail, tags=["badges"])
def revoke_badge(badge_id: uuid.UUID, actor: UsersWriter, session: SessionDep) -> BadgeDetail:
    """Revoke at once online; offline at each station's next reference sync (the answer
    lists the stations that have not synced since)."""
    badge = service.require_badge(session=session, badge_id=badge_id)
    service.revoke_badge(session=session, badge=badge, actor=actor)
    return _badge_detail(session, badge)


# stations


@router.get("/stations", response_model=Page[StationOut], tags=["stations"])
def list_stations(
    _: StationsAdmin, session: SessionDep, paging: PagingDep, active: bool | None = None
) -> Page[StationOut]:
    by_name = stations.stations_query(active=active)
    return paged(session, by_name, paging, StationOut.model_validate)


@router.post(
    "/stations/enrollments", response_model=EnrollmentOut, status_code=201, tags=["stations"]
)
def create_enrollment(
    body: EnrollmentCreate, actor: StationsAdmin, session: SessionDep
) -> EnrollmentOut:
    """A one-time code for a new kiosk (shown once; expires after ``ttl_minutes``)."""
    enrollment, code = stations.create_enrollment(
        session=session,
        name=body.name,
        ttl=timedelta(minutes=body.ttl_minutes),
        actor=actor,
    )
    return EnrollmentOut(
        id=enrollment.id, name=enrollment.name, code=code, expires_at=enrollment.expires_at
    )


@router.get("/stations/{station_id}", response_model=StationOut, tags=["stations"])
def get_station(station_id: uuid.UUID, _: StationsAdmin, session: SessionDep) -> StationOut:
    return StationOut.model_validate(
        stations.require_station(session=session, station_id=station_id)
    )


@router.patch("/stations/{station_id}", response_model=StationOut, tags=["stations"])
def rename_station(
    station_id: uuid.UUID,
    body: StationRename,
    actor: StationsAdmin,
    session: SessionDep,
) -> StationOut:
    station = stations.require_station(session=session, station_id=station_id)
    stations.rename_station(session=session, station=station, name=body.name, actor=actor)
    return StationOut.model_validate(station)


@router.post("/stations/{station_id}/revoke", response_model=StationOut, tags=["stations"])
def revoke_station(station_id: uuid.UUID, actor: StationsAdmin, session: SessionDep) -> StationOut:
    """Revoke for good: the station's next call gets 401."""
    station = stations.require_station(session=session, station_id=station_id)
    stations.revoke_station(session=session, station=station, actor=actor)
    return StationOut.model_validate(station)
