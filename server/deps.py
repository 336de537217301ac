"""Request dependencies: the session (one transaction owner), the calling station, the
calling user and the permission a route requires.

    user: Annotated[User, Depends(Requires(Permission.USERS_WRITE))]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server.config import Settings
from server.db import transaction
from server.errors import Forbidden, Unauthorized
from server.identity import service as identity
from server.identity.kiosk_reports import record_kiosk_report
from server.identity.login import session_live
from server.identity.models import Station, User
from server.identity.permissions import Permission, permissions_for
from server.identity.tokens import AccessClaims, decode_access_token


def _session(request: Request) -> Iterator[Session]:
    # Commits after the route returns but before the response is sent (scope="function"),
    # so a failed commit becomes an error answer, never a 200 for lost work.
    with transaction(request.app.state.session_factory) as session:
        yield session


def _settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]
_bearer = HTTPBearer(auto_error=False, description="station token")


def _current_station(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Station:
    if credentials is None:
        raise Unauthorized("missing station token (Authorization: Bearer ...)")
    station = identity.authenticate_station(session=session, token=credentials.credentials)
    record_kiosk_report(station, request.headers)
    return station


CurrentStation = Annotated[Station, Depends(_current_station)]


def _access_claims(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims:
    if credentials is None:
        raise Unauthorized("missing access token (Authorization: Bearer ...)")
    return decode_access_token(settings=settings, token=credentials.credentials)


AccessClaimsDep = Annotated[AccessClaims, Depends(_access_claims)]


def _current_user(session: SessionDep, claims: AccessClaimsDep) -> User:
    # Roles, the active flag and the login session are read from the database on every
    # request, so a deactivation, role change or logout takes effect at once, not when
    # the token expires (and in every worker process).
    user = identity.get_user(session=session, user_id=claims.user_id)
    if user is None or not user.active:
        raise Unauthorized("invalid or expired access token")
    if not session_live(session=session, session_id=claims.session_id, user_id=user.id):
        raise Unauthorized("invalid or expired access token")
    if claims.station_id is not None:
        # A badge session lives at its kiosk: revoking the station ends it too.
        station = session.get(Station, claims.station_id)
        if station is None or not station.active:
            raise Unauthorized("invalid or expired access token")
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


class Requires:
    """A dependency that lets the request through only with ``permission``."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, user: CurrentUser) -> User:
        if self.permission not in permissions_for(user.role_names):
            raise Forbidden(f"this needs the permission {self.permission.value!r}")
        return user

    def __repr__(self) -> str:
        return f"Requires({self.permission.value!r})"
