"""The export targets' OAuth tokens, encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) with a key derived from
``RENTGUY_SECRET_KEY`` for this one purpose (``Settings.derived_key``): a database dump
alone does not give away access to the bookkeeping. Changing the secret key makes stored
tokens unreadable; the target must then be connected again (a new refresh token).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken

from server.config import Settings

PURPOSE = "rentguy/export-tokens/v1"


class TokenUnreadable(Exception):
    """A stored token that this secret key cannot decrypt (changed key, or not ours)."""


class TokenCipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        return cls(settings.derived_key(PURPOSE))

    def encrypt(self, plain: str | None) -> str | None:
        return None if plain is None else self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        if stored is None:
            return None
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise TokenUnreadable("stored token cannot be decrypted with this key") from None
