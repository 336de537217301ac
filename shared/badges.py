"""Badge codes and how they are checked, the same on the server and on a kiosk.

Three things live here (docs/identity.md has the reasons and the threat model):

- **Issued codes**: ``RG`` + 16 Crockford base32 characters (80 random bits) + one mod-37
  check character (Crockford's check symbols). Printable as Code 128 and as a QR code.
  Codes imported from existing cards are accepted as they are, but marked weak.
- **Keyed hash** ``h1 = HMAC-SHA256(badge key, code)``: what the server stores
  (``Badge.code_hash``) and looks badges up by. The key is handed to enrolled stations.
- **Offline verifiers**: ``scrypt(h1 [| J], salt = the station's own salt)``, one per badge
  per station. ``J = HMAC-SHA256(PIN key, PIN)`` joins the PIN into the same verifier for
  users that have a PIN, so code and PIN can only be guessed *together*. scrypt's cost
  (``VERIFIER_COST``) makes each guess against a stolen cache cost ~20 ms of one core, and
  the per-station salt makes one kiosk's cache useless at any other kiosk.
- **Signed badges** (``RGS1.``): an Ed25519-signed payload (badge id, user id, issue date)
  that a kiosk checks with the public key alone, like pretix's ``Sig1`` tickets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# -- issued codes ----------------------------------------------------------------------

ISSUED_PREFIX = "RG"
CODE_BITS = 80
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHECK_SYMBOLS = _CROCKFORD + "*~$=U"  # Crockford's 37 check symbols
ISSUED_CODE_LENGTH = len(ISSUED_PREFIX) + CODE_BITS // 5 + 1


def _check_char(body: str) -> str:
    return _CHECK_SYMBOLS[_base32_value(body) % 37]


def _base32_value(body: str) -> int:
    value = 0
    for ch in body:
        value = value * 32 + _CROCKFORD.index(ch)
    return value


def new_badge_code() -> str:
    """A fresh issued code: ``RG`` + 80 random bits in Crockford base32 + a check char."""
    raw = secrets.randbits(CODE_BITS)
    body = "".join(_CROCKFORD[(raw >> shift) & 31] for shift in range(CODE_BITS - 5, -1, -5))
    return ISSUED_PREFIX + body + _check_char(body)


def looks_issued(code: str) -> bool:
    """Shaped like an issued code (prefix, length, alphabet); says nothing of its check."""
    code = code.strip().upper()
    body = code[len(ISSUED_PREFIX) : -1]
    return (
        len(code) == ISSUED_CODE_LENGTH
        and code.startswith(ISSUED_PREFIX)
        and all(ch in _CROCKFORD for ch in body)
        and code[-1] in _CHECK_SYMBOLS
    )


def issued_code_ok(code: str) -> bool:
    """An issued-shaped code whose check character matches (a misread fails this)."""
    code = code.strip().upper()
    return looks_issued(code) and _check_char(code[len(ISSUED_PREFIX) : -1]) == code[-1]


# -- keyed hash and offline verifiers -------------------------------------------------------


def badge_hash(key: bytes, code: str) -> str:
    """Hex HMAC-SHA256 of a badge code (surrounding whitespace ignored): ``h1``."""
    return hmac.new(key, code.strip().encode(), hashlib.sha256).hexdigest()


def badge_hash_matches(key: bytes, code: str, expected_hex: str) -> bool:
    """Constant-time comparison of a badge code against a stored hash."""
    return hmac.compare_digest(badge_hash(key, code), expected_hex)


def pin_join(pin_key: bytes, pin: str) -> str:
    """``J``: what an offline verifier joins for a PIN (the server keeps it per user)."""
    return hmac.new(pin_key, b"pin:" + pin.strip().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class VerifierCost:
    """scrypt parameters. n=2**13, r=8: 8 MiB and ~20 ms per guess on one core here."""

    n: int = 2**13
    r: int = 8
    p: int = 1

    @property
    def maxmem(self) -> int:
        return 128 * self.n * self.r * self.p + 4 * 1024 * 1024


VERIFIER_COST = VerifierCost()
VERIFIER_VERSION = 1  # bumped when the recipe or cost changes: kiosks re-download


def offline_verifier(
    h1_hex: str, join_hex: str | None, salt: bytes, cost: VerifierCost = VERIFIER_COST
) -> str:
    """The slow, salted verifier a station holds for a badge (code alone, or code + PIN)."""
    secret = h1_hex if join_hex is None else f"{h1_hex}|{join_hex}"
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=cost.maxmem, dklen=32
    ).hex()


def failure_bucket(salt: bytes, code_verifier: str) -> str:
    """Where a kiosk counts failed attempts for a badge: a 12-bit tag of its code verifier.

    Short on purpose: a stolen store's counters must not single out the verifier of a real
    code (that would let a thief find a PIN user's code first and guess the PIN apart)."""
    return hmac.new(salt, code_verifier.encode(), hashlib.sha256).hexdigest()[:3]


# -- signed badges --------------------------------------------------------------------------

SIGNED_PREFIX = "RGS1."
_PAYLOAD = struct.Struct(">B16s16sI")  # version, badge id, user id, issue day (days since 1970)
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class SignedBadge:
    badge_id: uuid.UUID
    user_id: uuid.UUID
    issued_on: date


def sign_badge(private_key: Ed25519PrivateKey, badge: SignedBadge) -> str:
    """The QR text of a signed badge: ``RGS1.`` + base32(payload + Ed25519 signature)."""
    payload = _PAYLOAD.pack(
        1, badge.badge_id.bytes, badge.user_id.bytes, (badge.issued_on - _EPOCH).days
    )
    raw = payload + private_key.sign(payload)
    # Base32 (no padding): QR's alphanumeric mode stores it compactly; no lower case.
    return SIGNED_PREFIX + base64.b32encode(raw).decode().rstrip("=")


def is_signed_code(code: str) -> bool:
    return code.strip().upper().startswith(SIGNED_PREFIX)


def verify_signed_badge(public_key: Ed25519PublicKey, code: str) -> SignedBadge | None:
    """The badge a signed code names, or None if it is malformed or its signature fails."""
    text = code.strip().upper()
    if not text.startswith(SIGNED_PREFIX):
        return None
    body = text[len(SIGNED_PREFIX) :]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (ValueError, TypeError):
        return None
    if len(raw) != _PAYLOAD.size + 64:
        return None
    payload, signature = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        return None
    version, badge_id, user_id, day = _PAYLOAD.unpack(payload)
    if version != 1:
        return None
    return SignedBadge(uuid.UUID(bytes=badge_id), uuid.UUID(bytes=user_id), _day(day))


def _day(days: int) -> date:
    return _EPOCH + timedelta(days=days)


def public_key_from_hex(hex_key: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_key))
