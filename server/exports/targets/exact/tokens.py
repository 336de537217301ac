"""Exact Online OAuth2 tokens: 10-minute access tokens, single-use refresh tokens.

A refresh token works exactly once. Two processes refreshing with the same one would
leave one of them (and then everyone) locked out, so the refresh happens while holding
the target's ``export_credentials`` row lock (``SELECT ... FOR UPDATE`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), and the new pair is committed *before* the new access
token is used.

Exact also refuses a refresh while the access token has more than 30 seconds to live
(its OAuth guide, "Use refresh tokens efficiently"; docs/exports.md). So the access token
is kept and reused until then, by every process (it is stored with its expiry), and a
401 on a token that should still be valid is not answered with a refresh Exact would
refuse: another process may have refreshed (its stored token is used), otherwise the run
stops with what to do. The first connection stores a full token set
(``rentguy-server export connect exact``): a refresh token alone cannot be used while
the access token issued with it is still fresh.

Both tokens are stored encrypted (``server.exports.crypto``); only this class sees them in
the clear.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.exports.crypto import TokenCipher, TokenUnreadable
from server.exports.models import ExportCredential, Target
from server.exports.targets.http import NotAuthorized

# Exact accepts a refresh only this close to the access token's expiry. Our expiry is
# taken when the token answer *arrived*, later than Exact's, so within this margin by
# our clock is within it by Exact's.
REFRESH_MARGIN = timedelta(seconds=30)
RECONNECT = "connect again with `rentguy-server export connect exact`"


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
        self._cached: tuple[str, datetime] | None = None

    # -- the token for the next call ----------------------------------------------------
    def access_token(self) -> str:
        """A valid access token: the one in hand, the stored one, or a refreshed one."""
        if self._cached and self._cached[1] > utcnow() + REFRESH_MARGIN:
            return self._cached[0]
        return self._under_lock(refused=None)

    def after_unauthorized(self, used: str) -> str:
        """Exact answered 401 to ``used``. Another process may have refreshed since (its
        token is taken); a token near expiry is refreshed; a token that should still be
        valid is not refreshed (Exact would refuse it): ``NotAuthorized``."""
        self._cached = None
        return self._under_lock(refused=used)

    def _under_lock(self, *, refused: str | None) -> str:
        self._ensure_row()
        with transaction(self.session_factory) as session:
            row = session.execute(
                select(ExportCredential)
                .where(ExportCredential.target == Target.EXACT.value)
                .with_for_update()
            ).scalar_one()
            access, stored_refresh = self._read(row)
            expires = row.access_expires_at
            if access and expires and expires > utcnow() + REFRESH_MARGIN:  # fresh
                if access != refused:
                    self._cached = (access, expires)
                    return access
                # refused although it should live on, and no refresh allowed yet
                left = int((expires - utcnow()).total_seconds())
                raise NotAuthorized(
                    f"Exact Online refused an access token that is valid for another {left} s "
                    f"and allows no refresh before its last {REFRESH_MARGIN.seconds} s: "
                    f"{RECONNECT} (was the app's access revoked?)"
                )
            refresh_token = stored_refresh or self.initial_refresh_token
            if not refresh_token:
                raise NotAuthorized(f"Exact Online is not connected: {RECONNECT}")
            try:
                pair = self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})
            except NotAuthorized as exc:
                if stored_refresh is None and row.refresh_token is not None:
                    raise NotAuthorized(
                        "the stored Exact Online tokens cannot be decrypted with this "
                        "RENTGUY_SECRET_KEY (was it changed?) and RENTGUY_EXACT_REFRESH_TOKEN "
                        f"was refused ({exc.message}): {RECONNECT}"
                    ) from exc
                raise
            token, expires = self._store(row, pair)
        # Committed (lock released) before anyone uses the new access token.
        self._cached = (token, expires)
        return token

    # -- the first connection ---------------------------------------------------------------
    def exchange_code(self, code: str, redirect_uri: str) -> datetime:
        """The authorization-code exchange after the consent page; stores the full set and
        returns when the access token expires."""
        pair = self._grant(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        return self._store_set(pair)

    def connect(self, *, access_token: str, refresh_token: str, expires_at: datetime) -> None:
        """Store a token set obtained elsewhere (access token, its expiry, refresh token)."""
        if not (access_token and refresh_token):
            raise NotAuthorized("both an access token and a refresh token are needed")
        if expires_at.tzinfo is None:
            raise NotAuthorized("the access token's expiry needs a time zone (UTC)")
        self._store_set(
            {
                "access_token": access_token,
                "refresh_token": refresh_token,
                "expires_at": expires_at,
            }
        )

    def _store_set(self, pair: dict) -> datetime:
        self._ensure_row()
        with transaction(self.session_factory) as session:
            row = session.execute(
                select(ExportCredential)
                .where(ExportCredential.target == Target.EXACT.value)
                .with_for_update()
            ).scalar_one()
            token, expires = self._store(row, pair)
        self._cached = (token, expires)
        return expires

    def _store(self, row: ExportCredential, pair: dict) -> tuple[str, datetime]:
        try:
            token, refresh = str(pair["access_token"]), str(pair["refresh_token"])
            expires = pair.get("expires_at") or utcnow() + timedelta(
                seconds=int(pair["expires_in"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NotAuthorized(f"Exact Online sent no usable token set ({exc!r})") from exc
        row.access_token = self.cipher.encrypt(token)
        row.refresh_token = self.cipher.encrypt(refresh)
        row.access_expires_at = expires
        return token, expires

    def _read(self, row: ExportCredential) -> tuple[str | None, str | None]:
        """(access, refresh) in the clear. Tokens this secret key cannot read (the key was
        changed) are useless: a newly configured RENTGUY_EXACT_REFRESH_TOKEN reconnects,
        otherwise the run stops with what to do."""
        try:
            return self.cipher.decrypt(row.access_token), self.cipher.decrypt(row.refresh_token)
        except TokenUnreadable:
            if self.initial_refresh_token:
                return None, None
            raise NotAuthorized(
                "the stored Exact Online tokens cannot be decrypted with this "
                f"RENTGUY_SECRET_KEY (was it changed?): {RECONNECT}"
            ) from None

    def _ensure_row(self) -> None:
        # FOR UPDATE locks rows, not gaps: the row must exist before two processes race.
        try:
            with transaction(self.session_factory) as session:
                if session.get(ExportCredential, Target.EXACT.value) is None:
                    session.add(ExportCredential(target=Target.EXACT.value))
        except IntegrityError:
            pass  # another process inserted it first

    def _grant(self, form: dict[str, str]) -> dict:
        if form["grant_type"] == "refresh_token":
            self.refreshes += 1
        try:
            response = self.http.post(
                self.token_url,
                data={**form, "client_id": self.client_id, "client_secret": self.client_secret},
            )
        except httpx.TransportError as exc:
            raise NotAuthorized(f"Exact Online's token endpoint did not answer: {exc!r}") from exc
        if response.status_code >= 400:
            grant = "token refresh" if form["grant_type"] == "refresh_token" else "code exchange"
            raise NotAuthorized(
                f"Exact Online refused the {grant} ({response.status_code}: "
                f"{response.text[:200]}); {RECONNECT}",
                status=response.status_code,
                endpoint="oauth2/token",
            )
        return response.json()
