"""Failed-login throttling with growing lock-outs, per account and per station/IP (SPEC §2).

Counters live in the database (``login_throttles``) so several API processes share them.
Keys are opaque strings: ``account:<email>``, ``badge:<keyed hash>``, ``station:<id>``,
``ip:<address>``. Unknown accounts are counted exactly like known ones, so a lock-out says
nothing about whether an account exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import TooManyRequests
from server.identity.models import LoginThrottle
from server.paging import page_rows
from server.sqlutil import insert_ignore

LOCKED_MESSAGE = "too many failed attempts; try again later"


@dataclass(frozen=True, slots=True)
class Policy:
    threshold: int  # failures that trigger the first lock
    first_lock: timedelta  # doubled for every further failure...
    max_lock: timedelta  # ...up to this
    forget_after: timedelta  # a quiet period that resets the counter


# One person mistyping: 5 tries, then 30 s, 1 min, 2 min ... 15 min.
ACCOUNT = Policy(5, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1))
# One station or IP serves many people: more slack, same growth.
SOURCE = Policy(20, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=1))


def _row(session: Session, key: str, *, lock: bool) -> LoginThrottle | None:
    stmt = select(LoginThrottle).where(LoginThrottle.key == key)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def _claim_row(session: Session, key: str) -> LoginThrottle:
    """The counter row for ``key``, created if missing, locked for this transaction."""
    insert_ignore(session, LoginThrottle, {"key": key, "failures": 0}, ["key"])
    row = _row(session, key, lock=True)
    assert row is not None  # inserted above if it was missing
    session.refresh(row)  # the identity map may hold a stale copy from an earlier read
    return row


def retry_after(
    session: Session, keys: list[tuple[str, Policy]], now: datetime | None = None
) -> int:
    """Seconds until every key is unlocked (0 when none is locked). One query."""
    now = now or utcnow()
    locked_until = session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_([key for key, _policy in keys]),
            LoginThrottle.locked_until.is_not(None),
        )
    ).all()
    wait = max([(until - now).total_seconds() for until in locked_until if until] + [0.0])
    return math.ceil(wait)


def ensure_not_locked(session: Session, keys: list[tuple[str, Policy]]) -> None:
    """Raise 429 with Retry-After while any key is locked (before checking any secret)."""
    wait = retry_after(session, keys)
    if wait > 0:
        raise TooManyRequests(LOCKED_MESSAGE, retry_after=wait, keep_work=True)


def lock_duration(policy: Policy, failures: int) -> timedelta | None:
    """How long ``failures`` consecutive failures lock the key (None: not yet)."""
    if failures < policy.threshold:
        return None
    doublings = min(failures - policy.threshold, 20)  # 2**20 * 30 s is far past any cap
    return min(policy.first_lock * (2**doublings), policy.max_lock)


def record_failure(
    session: Session, keys: list[tuple[str, Policy]], now: datetime | None = None
) -> None:
    """Count one failed attempt against every key; lock those past their threshold."""
    now = now or utcnow()
    for key, policy in keys:
        row = _claim_row(session, key)
        if row.last_failure_at is not None and now - row.last_failure_at > policy.forget_after:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        duration = lock_duration(policy, row.failures)
        row.locked_until = now + duration if duration else None
    session.flush()


def record_success(session: Session, keys: list[str]) -> None:
    """Reset the counters of ``keys`` (the account, not the shared station/IP)."""
    # One UPDATE that usually matches nothing: a login that never failed costs no lookup.
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key.in_(keys), LoginThrottle.failures > 0)
        .values(failures=0, locked_until=None),
        execution_options={"synchronize_session": False},
    )


def locked(
    session: Session, *, now: datetime | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[LoginThrottle], int]:
    """Keys locked right now (accounts, badges, stations, addresses), longest lock first."""
    now = now or utcnow()
    condition = LoginThrottle.locked_until > now
    stmt = (
        select(LoginThrottle)
        .where(condition)
        .order_by(LoginThrottle.locked_until.desc(), LoginThrottle.key)
    )
    return page_rows(session, stmt, limit=limit, offset=offset)


def unlock(session: Session, key: str) -> bool:
    """An admin lifts a lock (the person proved who they are another way)."""
    row = _row(session, key, lock=True)
    if row is None or row.locked_until is None:
        return False
    row.failures = 0
    row.locked_until = None
    session.flush()
    return True
