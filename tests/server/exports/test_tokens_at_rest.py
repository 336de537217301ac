"""Exact's OAuth tokens are encrypted at rest with a key derived from RENTGUY_SECRET_KEY;
migration 0009 encrypts stored ones (and decrypts them on downgrade), both databases."""

from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy import text

from server.config import Settings
from server.db import make_engine, make_session_factory, transaction
from server.exports.crypto import TokenCipher, TokenUnreadable
from server.exports.models import ExportCredential
from server.exports.targets.exact.tokens import ExactTokenStore
from server.exports.targets.http import ExportApiError
from server.migrations import downgrade, upgrade


def _settings(key: str | None = None) -> Settings:
    return Settings(secret_key=key or secrets.token_urlsafe(32), environment="test")


def test_the_cipher_hides_tokens_and_needs_the_same_key():
    cipher = TokenCipher.from_settings(_settings("k" * 40))
    stored = cipher.encrypt("rt-secret-value")
    assert "rt-secret-value" not in stored and cipher.decrypt(stored) == "rt-secret-value"
    assert TokenCipher.from_settings(_settings("k" * 40)).decrypt(stored) == "rt-secret-value"
    with pytest.raises(TokenUnreadable):
        TokenCipher.from_settings(_settings("other" * 8)).decrypt(stored)
    assert cipher.encrypt(None) is None and cipher.decrypt(None) is None


def _store(session_factory, fake_exact, http, cipher, initial=""):
    return ExactTokenStore(
        session_factory=session_factory,
        http=http,
        token_url=f"{fake_exact.url}/api/oauth2/token",
        client_id=fake_exact.client_id,
        client_secret=fake_exact.client_secret,
        initial_refresh_token=initial,
        cipher=cipher,
    )


def test_a_changed_secret_key_stops_with_what_to_do_or_reconnects(session_factory, fake_exact):
    old, new = TokenCipher.from_settings(_settings()), TokenCipher.from_settings(_settings())
    with httpx.Client(timeout=10) as http:
        token = _store(session_factory, fake_exact, http, old, "rt-initial").access_token()
        assert token == fake_exact.access_token
        with transaction(session_factory) as session:
            row = session.get(ExportCredential, "exact")
            assert token not in row.access_token
            assert old.decrypt(row.refresh_token) == fake_exact.refresh_token

        with pytest.raises(ExportApiError, match="RENTGUY_SECRET_KEY"):
            _store(session_factory, fake_exact, http, new).access_token()

        # The operator connects again: a new refresh token in RENTGUY_EXACT_REFRESH_TOKEN.
        fake_exact.access_expires = 0  # (Exact refuses a refresh while the token is fresh)
        fresh = _store(session_factory, fake_exact, http, new, fake_exact.refresh_token)
        assert fresh.access_token() == fake_exact.access_token
        with transaction(session_factory) as session:
            row = session.get(ExportCredential, "exact")
            assert new.decrypt(row.refresh_token) == fake_exact.refresh_token


def test_migration_0009_encrypts_stored_tokens_and_downgrade_decrypts(fresh_database_url):
    upgrade(fresh_database_url, "0008_chargebacks")
    engine = make_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO export_credentials (target, access_token, refresh_token, "
                    "updated_at) VALUES ('exact', 'at-plain', 'rt-plain', CURRENT_TIMESTAMP)"
                )
            )
        read = "SELECT access_token, refresh_token FROM export_credentials"
        upgrade(fresh_database_url)
        cipher = TokenCipher.from_settings(Settings())  # the environment's secret key
        with engine.connect() as conn:
            access, refresh = conn.execute(text(read)).one()
        assert "plain" not in access + refresh
        assert (cipher.decrypt(access), cipher.decrypt(refresh)) == ("at-plain", "rt-plain")
        with transaction(make_session_factory(engine)) as session:  # the model reads it
            assert cipher.decrypt(session.get(ExportCredential, "exact").refresh_token)

        engine.dispose()
        downgrade(fresh_database_url, "0008_chargebacks")
        with engine.connect() as conn:
            assert tuple(conn.execute(text(read)).one()) == ("at-plain", "rt-plain")
    finally:
        engine.dispose()
