"""Console sessions: a password login (``server.identity.login``: the same throttle,
lockout and audit as the API) opens one; the browser holds a random cookie, the server a
SHA-256 of it. Logout revokes the login's refresh-token family, so the session ends at
once here and for any API token that login issued.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.audit.service import Actor, record
from server.config import Settings
from server.console.i18n import LANGUAGES
from server.console.models import ConsolePreference, ConsoleSession
from server.db import utcnow
from server.errors import BadRequest
from server.identity import login
from server.identity.models import User
from server.identity.security import token_hash
from server.identity.service import revoke_refresh_tokens
from server.identity.tokens import decode_access_token

SESSION_TTL = timedelta(hours=12)  # a working day (and a wall screen's shift)
IDLE_TTL = timedelta(hours=2)
# last_seen_at is written at most this often: not one UPDATE per page view.
TOUCH_EVERY = timedelta(minutes=1)


def open_console_session(
    *, session: Session, settings: Settings, email: str, password: str, ip: str | None
) -> tuple[User, str]:
    """Password login → (user, cookie value). Raises what the login raises (401, 429)."""
    grant = login.password_login(
        session=session, settings=settings, email=email, password=password, ip=ip
    )
    family_id = decode_access_token(settings=settings, token=grant.access_token).session_id
    cookie = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        ConsoleSession(
            token_hash=token_hash(cookie),
            user_id=grant.user.id,
            family_id=family_id,
            ip=ip[:64] if ip else None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    session.flush()
    return grant.user, cookie


def current_user_and_language(
    *, session: Session, settings: Settings, token_hash: str
) -> tuple[User | None, str | None]:
    """The live session's user and console language, or (None, None)."""
    now = utcnow()
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == token_hash))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None, None
    if now - row.last_seen_at > IDLE_TTL:
        return None, None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None, None
    # Logout elsewhere, a role change or a deactivation revoked the login: over here too.
    if not login.session_live(session=session, session_id=row.family_id, user_id=user.id):
        return None, None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    preference = session.get(ConsolePreference, user.id)
    return user, preference.language if preference else None


def close_console_session(*, session: Session, cookie: str, user: User, ip: str | None) -> int:
    """Log out: this browser session and its login (refresh family) end now."""
    row = session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(cookie))
    )
    if row is None or row.user_id != user.id:
        return 0
    now = utcnow()
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.family_id == row.family_id, ConsoleSession.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    revoked = revoke_refresh_tokens(session=session, family_id=row.family_id)
    record(
        session=session,
        action="auth.logout",
        actor=Actor(user_id=user.id, ip=ip),
        target_type="user",
        target_id=user.id,
        details={"everywhere": False, "revoked": revoked, "via": "console"},
    )
    return revoked


def set_language(*, session: Session, user_id: uuid.UUID, language: str) -> None:
    if language not in LANGUAGES:
        raise BadRequest(f"language: one of {', '.join(LANGUAGES)}")
    row = session.get(ConsolePreference, user_id)
    if row is None:
        session.add(ConsolePreference(user_id=user_id, language=language))
    else:
        row.language = language
    session.flush()
