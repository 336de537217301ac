"""Auth routes: enrolment, password and badge login, refresh, logout, (shared.auth).

``/me`` (the caller with today's crew assignments) is ``server.warehouse.crew_routes``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from server.audit.service import Actor
from server.deps import (
    ActingWith,
    ClientAddress,
    CurrentStation,
    CurrentUser,
    SessionDep,
    SettingsDep,
)
from server.identity import login, stations
from server.identity.login import LoginGrant
from server.identity.permissions import Permission
from server.identity.schemas import (
    LogoutRequest,
    LogoutResponse,
)
from shared.auth import (
    BadgeLoginRequest,
    EnrollRequest,
    EnrollResponse,
    LoginResponse,
    PasswordLoginRequest,
    RefreshRequest,
    UserInfo,
)

router = APIRouter(prefix="/api/v1", tags=["auth"])


def _answer(grant: LoginGrant) -> LoginResponse:
    user = grant.user
    return LoginResponse(
        access_token=grant.access_token,
        expires_in=grant.expires_in,
        refresh_token=grant.refresh_token,
        user=UserInfo(id=user.id, name=user.name, email=user.email, roles=user.role_names),
        login_session_id=grant.session_id,
    )


@contextmanager
def _counted(request: Request, kind: str) -> Iterator[None]:
    """``rentguy_logins_total{kind, outcome}``: ok, or failed (refused, throttled, error)."""
    logins = request.app.state.metrics.logins
    try:
        yield
    except Exception:
        logins.labels(kind, "failed").inc()
        raise
    logins.labels(kind, "ok").inc()


@router.post("/stations/enroll", response_model=EnrollResponse, tags=["stations"])
def enroll_station(
    body: EnrollRequest, address: ClientAddress, session: SessionDep
) -> EnrollResponse:
    """Exchange a one-time enrolment code for a station token (shown once)."""
    station, token = stations.enroll(session=session, code=body.code, name=body.name, ip=address)
    return EnrollResponse(station_id=station.id, name=station.name, token=token)


@router.post("/auth/login", response_model=LoginResponse)
def password_login(
    body: PasswordLoginRequest,
    request: Request,
    address: ClientAddress,
    session: SessionDep,
    settings: SettingsDep,
) -> LoginResponse:
    """Email + password. One 401 for every failure; 429 with Retry-After while locked."""
    with _counted(request, "password"):
        grant = login.password_login(
            session=session,
            settings=settings,
            email=body.email,
            password=body.password,
            ip=address,
        )
    return _answer(grant)


@router.post("/auth/badge", response_model=LoginResponse)
def badge_login(
    body: BadgeLoginRequest,
    request: Request,
    address: ClientAddress,
    station: CurrentStation,
    session: SessionDep,
    settings: SettingsDep,
) -> LoginResponse:
    """A badge scanned at this station (+ PIN where set). Needs the station token."""
    with _counted(request, "badge"):
        grant = login.badge_login(
            session=session,
            settings=settings,
            station=station,
            badge_code=body.badge_code,
            pin=body.pin,
            ip=address,
        )
    return _answer(grant)


@router.post("/auth/refresh", response_model=LoginResponse)
def refresh(
    body: RefreshRequest,
    request: Request,
    address: ClientAddress,
    session: SessionDep,
    settings: SettingsDep,
) -> LoginResponse:
    """Rotate a refresh token; presenting an old one revokes its whole family."""
    with _counted(request, "refresh"):
        grant = login.refresh(
            session=session, settings=settings, token=body.refresh_token, ip=address
        )
    return _answer(grant)


@router.post("/auth/logout", response_model=LogoutResponse)
def logout(
    body: LogoutRequest,
    user: CurrentUser,
    # The permission check, and who logs out: the user at the kiosk of a badge session.
    actor: Annotated[Actor, Depends(ActingWith(Permission.SELF_READ))],
    session: SessionDep,
) -> LogoutResponse:
    """End this session (send its refresh token) or every session (``everywhere``)."""
    revoked = login.logout(
        session=session,
        user=user,
        refresh_token=body.refresh_token,
        everywhere=body.everywhere,
        actor=actor,
    )
    return LogoutResponse(revoked=revoked)
