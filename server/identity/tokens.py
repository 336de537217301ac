"""Short-lived access tokens (JWT, HS256, 15 min) for users.

The algorithm is pinned on decode (``alg: none`` or a swapped algorithm is refused) and
``exp``/``iat``/``sub``/``jti`` are required. The signing key is a sub-key of the server
secret, so it signs nothing else.
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
    roles: list[str] | tuple[str, ...],
    station_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> tuple[str, AccessClaims]:
    """A signed access token and the claims it carries."""
    now = now or utcnow()
    claims = AccessClaims(
        user_id=user_id,
        token_id=uuid7(),
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
            options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
        )

        return AccessClaims(
            user_id=_uuid_claim(payload, "sub"),
            token_id=_uuid_claim(payload, "jti"),
            roles=_roles_claim(payload),
            issued_at=_time_claim(payload, "iat"),
            expires_at=_time_claim(payload, "exp"),
            station_id=_uuid_claim(payload, "stn") if "stn" in payload else None,
        )
    except (jwt.PyJWTError, _BadClaim) as exc:
        raise Unauthorized("invalid or expired access token") from exc


class _BadClaim(ValueError):
    """A correctly signed token whose claim has the wrong type or range (we never issue one)."""


# Seconds since the epoch that a datetime can hold (years 1970..9999): PyJWT accepts any
# number, so exp=1e20 would pass its checks and overflow datetime.fromtimestamp.
_MAX_TIMESTAMP = 253_402_300_799


def _time_claim(payload: dict, name: str) -> datetime:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadClaim(f"{name} is not a number")
    if not 0 <= value <= _MAX_TIMESTAMP:  # NaN fails this comparison too
        raise _BadClaim(f"{name} is out of range")
    return datetime.fromtimestamp(value, UTC)


def _uuid_claim(payload: dict, name: str) -> uuid.UUID:
    value = payload.get(name)
    if not isinstance(value, str) or len(value) != 36:
        raise _BadClaim(f"{name} is not a UUID")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _BadClaim(f"{name} is not a UUID") from None


def _roles_claim(payload: dict) -> tuple[str, ...]:
    roles = payload.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise _BadClaim("roles is not a list of strings")
    return tuple(roles)
