"""Keyed badge hashes: the server stores them, kiosks mirror them for offline login.

Only ``HMAC-SHA256(key, code)`` is ever stored or sent, never the badge code. The key is
derived from the server secret and handed to enrolled stations with the reference data,
so a kiosk can check a badge without the network (SPEC §2).
"""

import hashlib
import hmac


def badge_hash(key: bytes, code: str) -> str:
    """Hex HMAC-SHA256 of a badge code (surrounding whitespace ignored)."""
    return hmac.new(key, code.strip().encode(), hashlib.sha256).hexdigest()


def badge_hash_matches(key: bytes, code: str, expected_hex: str) -> bool:
    """Constant-time comparison of a badge code against a stored hash."""
    return hmac.compare_digest(badge_hash(key, code), expected_hex)
