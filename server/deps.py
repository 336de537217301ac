"""The request layer: every router speaks this one vocabulary.

- ``SessionDep`` (one transaction owner), ``SettingsDep``;
- ``ClientAddress``: the caller's address as the outermost middleware resolved it;
- ``CurrentStation`` (a station token), ``CurrentUser`` (an access token);
- ``Requires(Permission.X)``: the user, only with that permission;
- ``ActingWith(Permission.X)``: the same check, answering the audit ``UserActor`` (user, the
  kiosk of a badge session, address) a service records its changes under;
- ``PagingDep``: ``?limit=&offset=`` on every list route (answer with ``server.paging.paged``);
- one alias per permission, at the end: ``_: UsersReader`` (the User),
  ``actor: UsersWriter`` (the Actor), the same as

    user: Annotated[User, Depends(Requires(Permission.USERS_READ))]
    actor: Annotated[UserActor, Depends(ActingWith(Permission.USERS_WRITE))]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server.audit.service import UserActor
from server.config import Settings
from server.db import transaction
from server.errors import Forbidden, Unauthorized
from server.identity import service as identity
from server.identity.kiosk_reports import record_kiosk_report
from server.identity.login import session_live
from server.identity.models import Station, User
from server.identity.permissions import Permission, permissions_for
from server.identity.tokens import AccessClaims, decode_access_token
from server.ops.proxies import client_ip
from server.paging import Paging


def _session(request: Request) -> Iterator[Session]:
    # Commits after the route returns but before the response is sent (scope="function"),
    # so a failed commit becomes an error answer, never a 200 for lost work.
    with transaction(request.app.state.session_factory) as session:
        yield session


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]


async def _client_address(request: Request) -> str | None:
    # async: answered on the event loop, no worker thread for a lookup this small.
    return client_ip(request)


# The caller's address (``server.ops.proxies`` decides it once, proxies considered); None
# when the transport has none.
ClientAddress = Annotated[str | None, Depends(_client_address)]
PagingDep = Annotated[Paging, Query()]
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

    def allow(self, user: User) -> User:
        if self.permission not in permissions_for(user.role_names):
            raise Forbidden(f"this needs the permission {self.permission.value!r}")
        return user

    def __call__(self, user: CurrentUser) -> User:
        return self.allow(user)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.permission.value!r})"


class ActingWith(Requires):
    """``Requires(permission)`` that answers who acts: the audit ``Actor`` of the caller.

    A ``Requires`` itself, so the access-control walk (tests/server/test_access_control.py)
    reads the route's permission from it. The station is the kiosk of a badge session
    (None for a password login), as ``/auth/logout`` has always recorded it.
    """

    def __call__(  # type: ignore[override]  # answers the Actor, not the User
        self, user: CurrentUser, claims: AccessClaimsDep, address: ClientAddress
    ) -> UserActor:
        self.allow(user)
        return UserActor(user_id=user.id, station_id=claims.station_id, ip=address)


# The permission each route declares, named once for every router. A reader gets the User;
# a writer gets the Actor its changes are recorded under (a gate that ignores it: ``_:``).
SelfReader = Annotated[User, Depends(Requires(Permission.SELF_READ))]
UsersReader = Annotated[User, Depends(Requires(Permission.USERS_READ))]
UsersWriter = Annotated[UserActor, Depends(ActingWith(Permission.USERS_WRITE))]
StationsAdmin = Annotated[UserActor, Depends(ActingWith(Permission.STATIONS_ADMIN))]
AuditReader = Annotated[User, Depends(Requires(Permission.AUDIT_READ))]
InventoryReader = Annotated[User, Depends(Requires(Permission.INVENTORY_READ))]
InventoryWriter = Annotated[UserActor, Depends(ActingWith(Permission.INVENTORY_WRITE))]
ProjectsReader = Annotated[User, Depends(Requires(Permission.PROJECTS_READ))]
ProjectsWriter = Annotated[UserActor, Depends(ActingWith(Permission.PROJECTS_WRITE))]
CrewReader = Annotated[User, Depends(Requires(Permission.CREW_READ))]
CrewWriter = Annotated[UserActor, Depends(ActingWith(Permission.CREW_WRITE))]
ScansReader = Annotated[User, Depends(Requires(Permission.SCANS_READ))]
InvoicesReader = Annotated[User, Depends(Requires(Permission.INVOICES_READ))]
InvoicesWriter = Annotated[UserActor, Depends(ActingWith(Permission.INVOICES_WRITE))]
PaymentsRefunder = Annotated[UserActor, Depends(ActingWith(Permission.PAYMENTS_REFUND))]
ExportsRunner = Annotated[UserActor, Depends(ActingWith(Permission.EXPORTS_RUN))]
