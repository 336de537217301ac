"""shared.badges: issued codes with a check character, verifiers, signed badges."""

from __future__ import annotations

import uuid
from datetime import date

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.badges import (
    CODE_BITS,
    SignedBadge,
    VerifierCost,
    failure_bucket,
    issued_code_ok,
    looks_issued,
    new_badge_code,
    offline_verifier,
    sign_badge,
    verify_signed_badge,
)

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHEAP = VerifierCost(n=2**4, r=1, p=1)  # the recipe, not the cost, is under test here


def test_issued_codes_carry_80_random_bits_and_a_check_character():
    codes = {new_badge_code() for _ in range(200)}
    assert len(codes) == 200 and CODE_BITS >= 64
    for code in codes:
        assert len(code) == 19 and code.startswith("RG") and issued_code_ok(code)
        assert code.isascii() and code == code.upper()  # Code 128 and QR alphanumeric-ish
    assert issued_code_ok(" " + code.lower() + " ")  # read case-insensitively


def test_the_check_character_catches_every_single_substitution():
    code = new_badge_code()
    for i in range(2, len(code) - 1):
        for ch in _ALPHABET:
            if ch != code[i]:
                misread = code[:i] + ch + code[i + 1 :]
                assert looks_issued(misread) and not issued_code_ok(misread)


def test_verifiers_depend_on_salt_and_pin_join():
    h1 = "ab" * 32
    base = offline_verifier(h1, None, b"salt-a", CHEAP)
    assert base == offline_verifier(h1, None, b"salt-a", CHEAP)
    assert base != offline_verifier(h1, None, b"salt-b", CHEAP)
    assert base != offline_verifier(h1, "cd" * 32, b"salt-a", CHEAP)
    assert len(failure_bucket(b"salt-a", base)) == 3  # 12 bits: not a verifier


def test_signed_badges_verify_with_the_public_key_only():
    key = Ed25519PrivateKey.generate()
    badge = SignedBadge(uuid.uuid4(), uuid.uuid4(), date(2026, 12, 6))
    code = sign_badge(key, badge)
    assert code.startswith("RGS1.") and len(code) < 200
    assert verify_signed_badge(key.public_key(), code) == badge
    assert verify_signed_badge(Ed25519PrivateKey.generate().public_key(), code) is None
    assert verify_signed_badge(key.public_key(), code[:-2]) is None
    assert verify_signed_badge(key.public_key(), "RGS1.!!!") is None
    assert verify_signed_badge(key.public_key(), "BADGE-0001") is None
