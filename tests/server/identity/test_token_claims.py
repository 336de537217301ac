"""Correctly signed tokens with a claim of the wrong type or range → 401, never a 500.

The signature is valid (we sign with the server's key), so only the claim checks stand
between such a token and ``datetime.fromtimestamp`` / ``uuid.UUID``. Station and refresh
tokens are opaque strings: odd ones are refused the same way.
"""

import base64
import hashlib
import hmac
import json
import uuid

import pytest

from server.db import utcnow
from server.identity.tokens import _AUDIENCE, _ISSUER
from tests.server.identity.conftest import bearer

# Claim -> raw JSON values a signed token could carry (JSON text, so Infinity/NaN too).
BAD_CLAIMS = {
    "exp": ["1e20", "-1e20", "1e400", "Infinity", "NaN", '"9999999999"', "true", "[1]"],
    "iat": ["1e20", "-1", "Infinity", "-Infinity", "NaN", '"x"', "null"],
    "nbf": ["1e20", "Infinity", "NaN", '"x"', "{}"],
    "sub": ["1", '"x"', "null", '"' + "a" * 10_000 + '"', "[]"],
    "jti": ["1", '"not-a-uuid"', "{}"],
    "roles": ['"admin"', "{}", "[1]", "[null]"],
    "stn": ["1", '"x"', "[]"],
    "sid": ["1", '"x"', "null", "[]", '"' + str(uuid.UUID(int=7)) + '"'],  # the last: no session
    "aud": ["1", "[1]", "{}"],
    "iss": ["1", "[]"],
}
CASES = [(claim, raw) for claim, values in BAD_CLAIMS.items() for raw in values]


def _signed(settings, claims: dict, claim: str, raw: str) -> str:
    """An HS256 token over ``claims`` with ``claim`` set to the raw JSON text ``raw``."""
    rest = {k: v for k, v in claims.items() if k != claim}
    body = json.dumps(rest)[:-1] + f', "{claim}": {raw}}}'

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(body.encode())
    key = settings.derived_key("rentguy/jwt/v1")
    signature = b64(hmac.new(key, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature).decode()


@pytest.fixture
def good_claims(make_user, login_token) -> dict:
    user_id = make_user(roles=("admin",))
    # A live login session of that user: access tokens are bound to one (``sid``).
    issued = login_token(user_id).split(".")[1]
    sid = json.loads(base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4)))["sid"]
    now = int(utcnow().timestamp())
    return {
        "iss": _ISSUER,
        "aud": _AUDIENCE,
        "sub": str(user_id),
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
        "roles": ["admin"],
        "sid": sid,
    }


def test_the_forger_makes_tokens_the_server_accepts(client, settings, good_claims):
    token = _signed(settings, good_claims, "exp", str(good_claims["exp"]))
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(("claim", "raw"), CASES, ids=[f"{c}={r[:12]}" for c, r in CASES])
def test_signed_token_with_a_bad_claim_gets_401(client, settings, good_claims, claim, raw):
    token = _signed(settings, good_claims, claim, raw)
    response = client.get("/api/v1/users", headers=bearer(token))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"


def _raw_bearer(token: str) -> dict[str, bytes]:
    # Bytes, so non-ASCII reaches the server as UTF-8 bytes the way a sloppy client sends them.
    return {"Authorization": f"Bearer {token}".encode()}


@pytest.mark.parametrize(
    "token",
    ["x", "a" * 20_000, "é" * 10, "\u2603" * 12, "a.b.c" * 3, "..", "\x7f" * 16],
)
def test_odd_station_and_refresh_tokens_are_refused(client, token):
    station = client.post(
        "/api/v1/scans/batch", json={"scans": []}, headers=_raw_bearer(token)
    )
    assert station.status_code in (401, 422), station.text
    reference = client.get(
        "/api/v1/sync/reference",
        headers=_raw_bearer(token),
    )
    assert reference.status_code == 401, reference.text
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert refresh.status_code in (401, 422), refresh.text  # 422: outside the schema's bounds
