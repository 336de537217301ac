"""Exact Online OAuth2 tokens: 10-minute access tokens, single-use refresh tokens.

A refresh token works exactly once. Two processes refreshing with the same one would
leave one of them (and then everyone) locked out, so the refresh happens while holding
the target's ``export_credentials`` row lock (``SELECT ... FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), and the new pair is committed *before* the new access
token is used. Exact also refuses a refresh while the access token is still fresh, so we
refresh only within ``REFRESH_MARGIN`` of expiry.

Both tokens are stored encrypted (``server.exports.crypto``); only this class sees them in
the clear.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.exports.crypto import TokenCipher, TokenUnreadable
from server.exports.http import ExportApiError, Rejected
from server.exports.models import ExportCredential, Target

REFRESH_MARGIN = timedelta(seconds=30)


class ExactTokenStore:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        http: httpx.Client,
        token_url: str,
        client_id: str,
        client_secret: str,
        initial_refresh_token: str,
        cipher: TokenCipher,
    ) -> None:
        self.session_factory = session_factory
        self.cipher = cipher
        self.http = http
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.initial_refresh_token = initial_refresh_token
        self.refreshes = 0
        self._cached: tuple[str, object] | None = None

    def access_token(self, *, force: bool = False) -> str:
        if not force and self._cached and self._cached[1] > utcnow() + REFRESH_MARGIN:
            return self._cached[0]
        self._ensure_row()
        with transaction(self.session_factory) as session:
            row = session.execute(
                select(ExportCredential)
                .where(ExportCredential.target == Target.EXACT.value)
                .with_for_update()
            ).scalar_one()
            access, stored_refresh = self._read(row)
            fresh = row.access_expires_at and row.access_expires_at > utcnow() + REFRESH_MARGIN
            if access and fresh and not force:
                self._cached = (access, row.access_expires_at)
                return access
            refresh_token = stored_refresh or self.initial_refresh_token
            if not refresh_token:
                raise ExportApiError(
                    "Exact Online is not connected: set RENTGUY_EXACT_REFRESH_TOKEN once"
                )
            try:
                pair = self._refresh(refresh_token)
            except Rejected as exc:
                if stored_refresh is None and row.refresh_token is not None:
                    raise ExportApiError(
                        "the stored Exact Online tokens cannot be decrypted with this "
                        "RENTGUY_SECRET_KEY (was it changed?) and RENTGUY_EXACT_REFRESH_TOKEN "
                        f"was refused ({exc.message}): set it to a new refresh token"
                    ) from exc
                raise
            token = pair["access_token"]
            row.access_token = self.cipher.encrypt(token)
            row.refresh_token = self.cipher.encrypt(pair["refresh_token"])
            row.access_expires_at = utcnow() + timedelta(seconds=int(pair["expires_in"]))
            expires = row.access_expires_at
        # Committed (lock released) before anyone uses the new access token.
        self._cached = (token, expires)
        return token

    def _read(self, row: ExportCredential) -> tuple[str | None, str | None]:
        """(access, refresh) in the clear. Tokens this secret key cannot read (the key was
        changed) are useless: a newly configured RENTGUY_EXACT_REFRESH_TOKEN reconnects,
        otherwise the run stops with what to do."""
        try:
            return self.cipher.decrypt(row.access_token), self.cipher.decrypt(row.refresh_token)
        except TokenUnreadable:
            if self.initial_refresh_token:
                return None, None
            raise ExportApiError(
                "the stored Exact Online tokens cannot be decrypted with this "
                "RENTGUY_SECRET_KEY (was it changed?): connect again by setting "
                "RENTGUY_EXACT_REFRESH_TOKEN to a new refresh token"
            ) from None

    def _ensure_row(self) -> None:
        # FOR UPDATE locks rows, not gaps: the row must exist before two processes race.
        try:
            with transaction(self.session_factory) as session:
                if session.get(ExportCredential, Target.EXACT.value) is None:
                    session.add(ExportCredential(target=Target.EXACT.value))
        except IntegrityError:
            pass  # another process inserted it first

    def _refresh(self, refresh_token: str) -> dict:
        self.refreshes += 1
        response = self.http.post(
            self.token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        if response.status_code >= 400:
            raise Rejected(
                f"Exact token refresh refused ({response.status_code}): {response.text[:200]}",
                status=response.status_code,
                endpoint="oauth2/token",
            )
        return response.json()
