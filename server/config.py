"""Settings from the environment (``RENTGUY_*``), with embedded defaults for a laptop.

The secret key has no default: a server that signs tokens and keys badge hashes with a
value from the repository would be a server anyone can impersonate. ``./dev.sh run``
generates one into ``var/`` on first start.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_WEAK_SECRETS = {"", "changeme", "change-me", "secret", "dev", "test", "password"}
DEFAULT_SQLITE_PATH = Path("var") / "rentguy.sqlite3"
# Each worker process holds up to 15 database connections (pool 5 + overflow 10): four
# workers stay well inside PostgreSQL's default max_connections (100) with room for cron,
# migrations and psql. Bigger machines raise RENTGUY_WORKERS on purpose.
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """One worker process per CPU this process may run on, at most ``MAX_DEFAULT_WORKERS``.
    (A container's CPU quota is not visible here: set ``RENTGUY_WORKERS`` to it.)"""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux, or a seccomp filter said no
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RENTGUY_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    secret_key: SecretStr = Field(..., description="at least 32 characters, random")
    log_level: str = "INFO"
    log_json: bool = True
    # ``rentguy-server serve`` worker processes; "auto" = one per CPU, at most 4.
    workers: int = Field(default_factory=default_workers, ge=1, le=64)
    # Requests bigger than this are refused before they are parsed (SPEC: 10 MB body -> 4xx).
    max_body_bytes: int = 2 * 1024 * 1024
    # How long after the server received a scan its station may still annul it (SPEC §3).
    annul_window_seconds: int = Field(default=600, ge=0)

    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated);
    # empty = none: the client address is the TCP peer (docs/security.md).
    trusted_proxies: Annotated[
        tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], NoDecode
    ] = ()
    # /docs, /redoc and /openapi.json; unset = on, except in production.
    docs_enabled: bool | None = None
    # /metrics: with a token, only ``Authorization: Bearer <token>`` reads it; without one,
    # production answers it only to loopback clients (anyone else gets 404).
    metrics_enabled: bool = True
    metrics_token: SecretStr | None = None
    # Webhook requests per second per source address (a token bucket of one second's worth),
    # and the (much lower) rate at which one source may send deliveries we reject.
    webhook_rate_limit: float = Field(default=1000.0, gt=0)
    webhook_rejected_rate_limit: float = Field(default=5.0, gt=0)

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

    # Accounting export (SPEC §6). Mappings are JSON objects in the environment, e.g.
    # RENTGUY_MONEYBIRD_TAX_RATE_IDS='{"21": "4960...", "9": "...", "0": "..."}'.
    moneybird_base_url: str = "https://moneybird.com/api/v2"
    moneybird_administration_id: str = ""
    moneybird_token: SecretStr = SecretStr("")
    moneybird_tax_rate_ids: dict[str, str] = Field(default_factory=dict)
    moneybird_ledger_account_ids: dict[str, str] = Field(default_factory=dict)
    moneybird_requests_per_window: int = 150
    moneybird_window_seconds: float = 300.0
    exact_base_url: str = "https://start.exactonline.nl"
    exact_division: str = ""
    exact_client_id: str = ""
    exact_client_secret: SecretStr = SecretStr("")
    # Only the first refresh token comes from here; rotated ones live in the database.
    exact_refresh_token: SecretStr = SecretStr("")
    # The first connection (``export connect exact``): an access token with its refresh
    # token, or the consent page's redirect URI for the authorization-code exchange.
    exact_access_token: SecretStr = SecretStr("")
    exact_redirect_uri: str = ""
    exact_sales_journal: str = "70"
    exact_bank_journal: str = "20"
    exact_vat_codes: dict[str, str] = Field(default_factory=dict)
    exact_gl_accounts: dict[str, str] = Field(default_factory=dict)
    exact_receivables_gl_account: str = ""
    exact_calls_per_minute: int = 60
    exact_calls_per_day: int = 5000
    exact_minute_seconds: float = 60.0
    exact_day_seconds: float = 86400.0
    # Exact blocks an app after this many errors per endpoint per hour; runs stop one short.
    exact_errors_per_hour: int = 10
    exact_hour_seconds: float = 3600.0
    # Scheduled runs, UTC: {"moneybird": "02:00", "exact": "02:30"}; empty = on demand only.
    export_schedule: dict[str, str] = Field(default_factory=dict)
    # The seller on UBL files (SI-UBL 2.0 needs name, KvK, VAT number and IBAN).
    company_name: str = ""
    company_kvk: str = ""
    company_vat_number: str = ""
    company_iban: str = ""
    company_street: str = ""
    company_city: str = ""
    company_zipcode: str = ""

    @field_validator("workers", mode="before")
    @classmethod
    def _auto_workers(cls, value: object) -> object:
        # "auto" (or empty: compose passes an unset variable on as "") = the default.
        if isinstance(value, str) and value.strip().lower() in ("", "auto"):
            return default_workers()
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(
        cls, value: str | Iterable[object]
    ) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        try:
            return tuple(ipaddress.ip_network(str(part), strict=False) for part in value)
        except ValueError as exc:
            raise ValueError(f"not an IP address or CIDR: {exc}") from None

    @property
    def docs_on(self) -> bool:
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment != "production"

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

    @property
    def badge_pin_key(self) -> bytes:
        # Shared with enrolled stations: joins a PIN into offline verifiers (shared.badges).
        return self.derived_key("rentguy/badge-pin/v1")

    def station_badge_salt(self, station_id: object) -> bytes:
        """The salt of one station's offline verifiers: its cache is useless elsewhere."""
        return hmac.new(
            self.derived_key("rentguy/station-badge-salt/v1"),
            str(station_id).encode(),
            hashlib.sha256,
        ).digest()

    @property
    def badge_signing_key(self) -> Ed25519PrivateKey:
        """Ed25519 key of signed QR badges, derived (HKDF-SHA256) from the server secret:
        nothing to store. Rotating RENTGUY_SECRET_KEY rotates it: signed badges must be
        re-issued then (as every badge hash changes with that secret too)."""
        seed = HKDF(
            algorithm=SHA256(), length=32, salt=None, info=b"rentguy/badge-signing/v1"
        ).derive(self.secret_key.get_secret_value().encode())
        return Ed25519PrivateKey.from_private_bytes(seed)


@lru_cache
def get_settings() -> Settings:
    return Settings()
