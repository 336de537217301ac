"""Settings from the environment (``RENTGUY_*``), with embedded defaults for a laptop.

The secret key has no default: a server that signs tokens and keys badge hashes with a
value from the repository would be a server anyone can impersonate. ``./dev.sh run``
generates one into ``var/`` on first start.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_WEAK_SECRETS = {"", "changeme", "change-me", "secret", "dev", "test", "password"}
DEFAULT_SQLITE_PATH = Path("var") / "rentguy.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RENTGUY_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    secret_key: SecretStr = Field(..., description="at least 32 characters, random")
    log_level: str = "INFO"
    log_json: bool = True
    # Requests bigger than this are refused before they are parsed (SPEC: 10 MB body -> 4xx).
    max_body_bytes: int = 2 * 1024 * 1024
    # How long after the server received a scan its station may still annul it (SPEC §3).
    annul_window_seconds: int = Field(default=600, ge=0)

    # Payment providers (SPEC §5). A provider without an API key is simply not configured;
    # using it answers 409. The API bases exist so tests and benches can point at a fake.
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secrets: SecretStr | None = None  # comma-separated, several during rotation
    stripe_api_base: str = "https://api.stripe.com"
    mollie_api_key: SecretStr | None = None
    mollie_api_base: str = "https://api.mollie.com"
    # Where Mollie should call us back (POST /api/v1/webhooks/mollie); none = no webhookUrl.
    public_base_url: str | None = None
    payments_return_url: str = "https://rentguy.example/payments/return"
    # Seconds between runs of the in-process reconciliation loop; 0 = off (use the CLI/cron).
    payments_reconcile_interval: float = 0.0

    @field_validator("secret_key")
    @classmethod
    def _strong_secret(cls, value: SecretStr) -> SecretStr:
        raw = value.get_secret_value()
        if raw.lower() in _WEAK_SECRETS or len(raw) < 32:
            raise ValueError("RENTGUY_SECRET_KEY must be a random string of 32+ characters")
        return value

    def derived_key(self, purpose: str) -> bytes:
        """A sub-key for one purpose, so one leaked sub-key does not expose the others."""
        return hmac.new(
            self.secret_key.get_secret_value().encode(), purpose.encode(), hashlib.sha256
        ).digest()

    @property
    def stripe_webhook_secret_list(self) -> list[str]:
        raw = self.stripe_webhook_secrets.get_secret_value() if self.stripe_webhook_secrets else ""
        return [part.strip() for part in raw.split(",") if part.strip()]

    @property
    def badge_hash_key(self) -> bytes:
        # Shared with enrolled stations for offline badge login (see shared.badges).
        return self.derived_key("rentguy/badge-hash/v1")


@lru_cache
def get_settings() -> Settings:
    return Settings()
