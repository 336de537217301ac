"""Access tokens over HTTP: tampered, expired, alg none, wrong key, unknown user → 401."""

import uuid
from datetime import timedelta

import jwt
import pytest

from server.db import utcnow
from server.identity.tokens import issue_access_token
from tests.server.identity.conftest import bearer


@pytest.fixture
def admin_token(make_user, login_token):
    user_id = make_user(roles=("admin",))
    return user_id, login_token(user_id)


def _forge(settings, user_id, token, how):
    payload = jwt.decode(token, options={"verify_signature": False})
    sid = uuid.UUID(payload["sid"])  # the live login session: only `how` makes it bad
    key = settings.derived_key("rentguy/jwt/v1")
    if how == "tampered":
        head, body, sig = token.split(".")
        return ".".join([head, body, sig[:-3] + ("AAA" if not sig.endswith("AAA") else "BBB")])
    if how == "alg_none":
        return jwt.encode(payload, None, algorithm="none")
    if how == "wrong_key":
        return jwt.encode(payload, b"w" * 32, algorithm="HS256")
    if how == "expired":
        old = utcnow() - timedelta(minutes=16)
        return issue_access_token(
            settings=settings, user_id=user_id, session_id=sid, roles=["admin"], now=old
        )[0]
    if how == "hs512":
        return jwt.encode(payload, key, algorithm="HS512")
    if how == "unknown_user":
        return issue_access_token(
            settings=settings, user_id=uuid.uuid4(), session_id=sid, roles=["admin"]
        )[0]
    if how == "station_secret_as_key":
        return jwt.encode(payload, settings.badge_hash_key, algorithm="HS256")
    if how == "garbage":
        return "not-a-jwt"
    raise AssertionError(how)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize(
    "how",
    [
        "tampered",
        "alg_none",
        "wrong_key",
        "expired",
        "hs512",
        "unknown_user",
        "station_secret_as_key",
        "garbage",
    ],
)
def test_bad_tokens_get_401(client, settings, admin_token, how):
    user_id, token = admin_token
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 200
    forged = _forge(settings, user_id, token, how)
    response = client.get("/api/v1/users", headers=bearer(forged))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_roles_come_from_the_database_not_the_token(client, settings, make_user, login_token):
    crew_id = make_user(roles=("crew",))
    sid = uuid.UUID(jwt.decode(login_token(crew_id), options={"verify_signature": False})["sid"])
    # A token that claims admin for a crew member grants nothing more than crew.
    token, _ = issue_access_token(
        settings=settings, user_id=crew_id, session_id=sid, roles=["admin"]
    )
    assert client.get("/api/v1/users", headers=bearer(token)).status_code == 403
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_station_token_is_not_a_user_token(client, station_headers):
    assert client.get("/api/v1/me", headers=station_headers).status_code == 401
