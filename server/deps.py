"""Request dependencies: the session (one transaction owner) and the calling station."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server.config import Settings
from server.errors import Unauthorized
from server.identity import service as identity
from server.identity.models import Station


def _session(request: Request) -> Iterator[Session]:
    # Commits after the route returns but before the response is sent (scope="function"),
    # so a failed commit becomes an error answer, never a 200 for lost work.
    session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _settings(request: Request) -> Settings:
    return request.app.state.settings


SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(_settings)]
_bearer = HTTPBearer(auto_error=False, description="station token")


def _current_station(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Station:
    if credentials is None:
        raise Unauthorized("missing station token (Authorization: Bearer ...)")
    return identity.authenticate_station(session=session, token=credentials.credentials)


CurrentStation = Annotated[Station, Depends(_current_station)]
