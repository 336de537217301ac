"""Identity test helpers: an admin session and quick ways to make users and badges."""

from __future__ import annotations

import pytest

from server.db import transaction
from server.identity import service as identity
from server.identity.models import Role


@pytest.fixture
def admin_headers(user_headers) -> dict[str, str]:
    return user_headers("admin")


@pytest.fixture
def make_user(session_factory, settings):
    """``make_user(email=..., password=..., pin=..., roles=[...], badge="CODE")`` -> user id."""

    def make(
        *,
        name: str = "Kees Jansen",
        email: str | None = None,
        password: str | None = None,
        pin: str | None = None,
        roles: tuple[str, ...] = ("crew",),
        badge: str | None = None,
    ):
        with transaction(session_factory) as session:
            user = identity.create_user(
                session=session,
                name=name,
                email=email,
                password=password,
                pin=pin,
                roles=[Role(r) for r in roles],
                pin_key=settings.badge_pin_key,
            )
            if badge:
                identity.issue_badge(
                    session=session, user=user, code=badge, key=settings.badge_hash_key
                )
            return user.id

    return make


@pytest.fixture
def login_token(session_factory, settings):
    """``login_token(user_id)`` -> an access token of a new login session of that user."""
    from server.identity.login import open_session

    def make(user_id) -> str:
        with transaction(session_factory) as session:
            user = identity.require_user(session=session, user_id=user_id)
            return open_session(session=session, settings=settings, user=user).access_token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
