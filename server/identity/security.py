"""Secrets handling: random tokens, token hashes, argon2id password and PIN hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id at OWASP's recommended minimum (Password Storage Cheat Sheet): m=19 MiB, t=2,
# p=1. argon2-cffi's default (RFC 9106 low-memory: m=64 MiB, t=3, p=4) costs ~260 ms per
# verify on a 2-core server, which would make every login slow and invite a cheap DoS.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
_password_hasher = PasswordHasher(
    time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM
)
# Verified against when the account does not exist, so "unknown" costs the same as "wrong".
_DUMMY_HASH = _password_hasher.hash(secrets.token_urlsafe(16))
# PINs: argon2id at t=1, m=12 MiB (~10 ms). A 4-12 digit PIN falls to any hash cost once a
# hash leaks (10^4 guesses); what protects it is the throttle online and, offline, that it
# is joined with the badge code in one verifier (docs/identity.md). The full password cost
# (~30-60 ms here) would only push badge + PIN login past its 60 ms p95 budget.
PIN_TIME_COST = 1
PIN_MEMORY_KIB = 12 * 1024
_pin_hasher = PasswordHasher(
    time_cost=PIN_TIME_COST, memory_cost=PIN_MEMORY_KIB, parallelism=ARGON2_PARALLELISM
)
_DUMMY_PIN_HASH = _pin_hasher.hash(secrets.token_urlsafe(16))

STATION_TOKEN_PREFIX = "rgst_"
REFRESH_TOKEN_PREFIX = "rgrt_"
# Enrolment codes are typed by a person at a new kiosk: no 0/O/1/I/L to misread.
_ENROLL_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ENROLL_CODE_LENGTH = 12  # 31^12 ~ 2^59, single use, expiring, throttled per IP


def new_station_token() -> str:
    return STATION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_refresh_token() -> str:
    return REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_enrollment_code() -> str:
    raw = "".join(secrets.choice(_ENROLL_ALPHABET) for _ in range(ENROLL_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, ENROLL_CODE_LENGTH, 4))


def normalize_enrollment_code(code: str) -> str:
    """Case, spaces and dashes do not matter when a person types the code."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def token_hash(token: str) -> str:
    """SHA-256 is enough for 256-bit random tokens: there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; with no hash, burns the same time and says False."""
    if password_hash is None:
        dummy_verify(password)
        return False
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """One argon2 verify that always fails: equalizes timing for unknown accounts."""
    try:
        _password_hasher.verify(_DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        pass


def hash_pin(pin: str) -> str:
    return _pin_hasher.hash(pin)


def verify_pin(pin_hash: str | None, pin: str) -> bool:
    """True when ``pin`` matches (any argon2 parameters); with no hash, burns a PIN verify."""
    if pin_hash is None:
        dummy_verify_pin(pin)
        return False
    try:
        return _pin_hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify_pin(pin: str) -> None:
    """One PIN verify that always fails: an unknown badge costs what a wrong PIN costs."""
    try:
        _pin_hasher.verify(_DUMMY_PIN_HASH, pin)
    except (VerificationError, InvalidHashError):
        pass


def pin_needs_rehash(pin_hash: str) -> bool:
    try:
        return _pin_hasher.check_needs_rehash(pin_hash)
    except InvalidHashError:
        return True


def needs_rehash(password_hash: str) -> bool:
    """True for hashes made with other parameters (e.g. older defaults)."""
    try:
        return _password_hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
