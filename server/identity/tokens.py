"""Short-lived access tokens (JWT, HS256, 15 min) for users.

The algorithm is pinned on decode (``alg: none`` or a swapped algorithm is refused) and
``exp``/``iat``/``sub``/``jti``/``sid`` are required. The signing key is a sub-key of the
server secret, so it signs nothing else.

``sid`` is the login session: the refresh-token family the token was issued with. Every
request checks that family is still live (``server.deps``), so logout, token-reuse
revocation, deactivation and role changes end access tokens at once, not 15 minutes later.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from server.config import Settings
from server.db import utcnow
from server.errors import Unauthorized
from shared.ids import uuid7

ALGORITHM = "HS256"
ACCESS_TOKEN_TTL = timedelta(minutes=15)
_ISSUER = "rentguy-server"
_AUDIENCE = "rentguy-api"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    token_id: uuid.UUID
    session_id: uuid.UUID  # the refresh-token family (login session) it belongs to
    roles: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    station_id: uuid.UUID | None = None  # set when the login happened at a kiosk


def _key(settings: Settings) -> bytes:
    return settings.derived_key("rentguy/jwt/v1")


def issue_access_token(
    *,
    settings: Settings,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    roles: list[str] | tuple[str, ...],
    station_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[str, AccessClaims]:
    """A signed access token for the login session ``session_id``, and its claims."""
    now = now or utcnow()
    claims = AccessClaims(
        user_id=user_id,
        token_id=uuid7(),
        session_id=session_id,
        roles=tuple(sorted(roles)),
        issued_at=now,
        expires_at=now + ACCESS_TOKEN_TTL,
        station_id=station_id,
    )
    payload = {
        "iss": _ISSUER,
        "aud": _AUDIENCE,
        "sub": str(user_id),
        "jti": str(claims.token_id),
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "roles": list(claims.roles),
    }
    if station_id is not None:
        payload["stn"] = str(station_id)
    return jwt.encode(payload, _key(settings), algorithm=ALGORITHM), claims


def decode_access_token(*, settings: Settings, token: str) -> AccessClaims:
    """Verified claims, or ``Unauthorized`` (one message for every failure)."""
    try:
        payload = jwt.decode(
            token,
            _key(settings),
            algorithms=[ALGORITHM],
            audience=_AUDIENCE,
            issuer=_ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "sid", "iss", "aud"]},
        )

        return AccessClaims(
            user_id=uuid.UUID(payload["sub"]),
            token_id=uuid.UUID(payload["jti"]),
            session_id=uuid.UUID(payload["sid"]),
            roles=tuple(payload.get("roles", ())),
            issued_at=datetime.fromtimestamp(payload["iat"], UTC),
            expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            station_id=uuid.UUID(payload["stn"]) if payload.get("stn") else None,
        )
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise Unauthorized("invalid or expired access token") from exc
