"""Secrets handling: random tokens, token hashes, argon2id password hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are RFC 9106's "low memory" profile (t=3, m=64 MiB, p=4),
# above OWASP's minimum for argon2id.
_password_hasher = PasswordHasher()

STATION_TOKEN_PREFIX = "rgst_"


def new_station_token() -> str:
    return STATION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 is enough for 256-bit random tokens: there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
