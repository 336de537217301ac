"""Access tokens: pinned algorithm, required claims, one answer for every failure."""

import uuid
from datetime import timedelta

import jwt
import pytest

from server.db import utcnow
from server.errors import Unauthorized
from server.identity.permissions import ROLE_PERMISSIONS, Permission, permissions_for
from server.identity.tokens import decode_access_token, issue_access_token

SID = uuid.uuid4()  # decoding needs no database: any session id


def test_round_trip(settings):
    user_id = uuid.uuid4()
    token, claims = issue_access_token(
        settings=settings, user_id=user_id, session_id=SID, roles=["crew"]
    )
    decoded = decode_access_token(settings=settings, token=token)
    assert decoded.user_id == user_id
    assert decoded.token_id == claims.token_id
    assert decoded.session_id == SID
    assert decoded.expires_at - decoded.issued_at == timedelta(minutes=15)


@pytest.mark.parametrize(
    "tamper", ["alg_none", "wrong_key", "expired", "edited", "no_jti", "no_sid"]
)
def test_bad_tokens_are_refused(settings, tamper):
    user_id = uuid.uuid4()
    token, _ = issue_access_token(
        settings=settings, user_id=user_id, session_id=SID, roles=["admin"]
    )
    payload = jwt.decode(token, options={"verify_signature": False})
    key = settings.derived_key("rentguy/jwt/v1")
    if tamper == "alg_none":
        token = jwt.encode(payload, None, algorithm="none")
    elif tamper == "wrong_key":
        token = jwt.encode(payload, b"k" * 32, algorithm="HS256")
    elif tamper == "expired":
        old = utcnow() - timedelta(hours=1)
        token, _ = issue_access_token(
            settings=settings, user_id=user_id, session_id=SID, roles=[], now=old
        )
    elif tamper == "edited":
        head, body, sig = token.split(".")
        token = ".".join([head, body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1], sig])
    elif tamper == "no_jti":
        del payload["jti"]
        token = jwt.encode(payload, key, algorithm="HS256")
    elif tamper == "no_sid":  # a token outside any login session could never be revoked
        del payload["sid"]
        token = jwt.encode(payload, key, algorithm="HS256")
    with pytest.raises(Unauthorized):
        decode_access_token(settings=settings, token=token)


def test_roles_map_to_permissions_in_one_place():
    assert permissions_for(["admin"]) == frozenset(Permission)
    assert Permission.USERS_WRITE not in permissions_for(["planner", "crew"])
    assert permissions_for(["crew", "warehouse"]) == ROLE_PERMISSIONS["warehouse"]
    assert permissions_for(["no-such-role"]) == frozenset()
