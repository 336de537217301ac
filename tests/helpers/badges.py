"""Checking a code (+ PIN) against a reference snapshot's offline verifiers, as a kiosk does."""

from __future__ import annotations

from shared.badges import VerifierCost, badge_hash, offline_verifier, pin_join
from shared.reference import RefBadge, ReferenceSnapshot


def offline_holders(
    snapshot: ReferenceSnapshot, code: str, pin: str | None = None, auth=None
) -> list[RefBadge]:
    """The badge entries ``code`` (+ ``pin``) opens, with this (or ``auth``'s) station keys."""
    auth = auth or snapshot.badge_auth
    key = bytes.fromhex(snapshot.badge_hash_key)
    join = pin_join(bytes.fromhex(auth.pin_key), pin) if pin is not None else None
    cost = VerifierCost(auth.scrypt_n, auth.scrypt_r, auth.scrypt_p)
    verifier = offline_verifier(badge_hash(key, code), join, bytes.fromhex(auth.salt), cost)
    return [b for b in snapshot.badges if b.verifier == verifier]
