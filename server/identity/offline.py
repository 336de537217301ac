"""What a station may hold to check badges offline, per station (shared.badges).

The reference map (server.warehouse.reference) stays one map shared by every station: a
badge row carries its *inputs* (code hash, PIN join), so its digest changes whenever the
station's verifier would. Only when a page is built for one station are those inputs
turned into that station's verifiers (``station_verifiers``). Each costs ~20 ms of
scrypt, so they are kept in ``station_badge_verifiers`` (and computed once per station and
badge, at that station's first download of the badge).

Which badges a station gets (``badge_rows``):

- ``5b:<badge id>`` — a verifier entry: active badge of an active user, except
  - a user with a PIN whose join is unknown (a PIN set before revision 0018 and not used
    online since): left out until the next online login with the PIN;
  - an admin or planner without a PIN: their badges open the settings and leave kiosk
    mode, so they are never guessable from a stolen kiosk;
  - a signed badge without a PIN (it needs no verifier: ``6s``).
- ``6s:<badge id>`` — a signed badge: name and roles, and ``revoked`` for a revoked one
  (revocation travels with the reference data).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Settings
from server.identity.login import PIN_ROLES
from server.identity.models import Badge, BadgeKind, StationBadgeVerifier, User
from server.sqlutil import insert_ignore
from shared.badges import VERIFIER_COST, VERIFIER_VERSION, offline_verifier
from shared.reference import BadgeAuth


def badge_rows(session: Session) -> dict[str, tuple]:
    """The badge rows of the shared reference map, by key (see the module docstring)."""
    rows: dict[str, tuple] = {}
    result = session.execute(
        select(Badge, User).join(User, Badge.user_id == User.id).order_by(Badge.issued_at)
    )
    for badge, user in result:
        roles = tuple(user.role_names)
        live = badge.active and user.active
        has_pin = user.pin_hash is not None
        signed = badge.kind == BadgeKind.SIGNED.value
        if signed:
            rows[f"6s:{badge.id}"] = (
                str(badge.id),
                str(user.id),
                user.name,
                roles,
                not live,
                has_pin,
            )
        if not live:
            continue
        if has_pin:
            if user.pin_join is None:
                continue
        elif PIN_ROLES & set(roles) or signed:
            continue
        rows[f"5b:{badge.id}"] = (
            str(badge.id),
            str(user.id),
            user.name,
            roles,
            badge.code_hash,
            user.pin_join if has_pin else None,
        )
    return rows


def station_badge_auth(settings: Settings, station_id: uuid.UUID) -> BadgeAuth:
    public = settings.badge_signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return BadgeAuth(
        pin_key=settings.badge_pin_key.hex(),
        salt=settings.station_badge_salt(station_id).hex(),
        scrypt_n=VERIFIER_COST.n,
        scrypt_r=VERIFIER_COST.r,
        scrypt_p=VERIFIER_COST.p,
        version=VERIFIER_VERSION,
        public_key=public.hex(),
    )


def _fingerprint(code_hash: str, join: str | None) -> str:
    cost = VERIFIER_COST
    text = f"{VERIFIER_VERSION}|{cost.n},{cost.r},{cost.p}|{code_hash}|{join or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def station_verifiers(
    *,
    session: Session,
    settings: Settings,
    station_id: uuid.UUID,
    rows: Iterable[tuple],
    budget: int | None = None,
) -> dict[str, str]:
    """badge id -> this station's verifier, for the ``5b`` rows given (in their order);
    computes (and keeps) the ones missing or stale, at most ``budget`` of them: the rows
    after the budget ran out are left out of the answer."""
    wanted = {row[0]: _fingerprint(row[4], row[5]) for row in rows}
    if not wanted:
        return {}
    kept = {
        str(v.badge_id): v
        for v in session.scalars(
            select(StationBadgeVerifier).where(
                StationBadgeVerifier.station_id == station_id,
                StationBadgeVerifier.badge_id.in_([uuid.UUID(b) for b in wanted]),
            )
        )
    }
    salt = settings.station_badge_salt(station_id)
    answer: dict[str, str] = {}
    by_id = {row[0]: row for row in rows}
    computed = 0
    for badge_id, fingerprint in wanted.items():
        row = kept.get(badge_id)
        if row is not None and row.fingerprint == fingerprint:
            answer[badge_id] = row.verifier
            continue
        if budget is not None and computed >= budget:
            break
        computed += 1
        code_hash, join = by_id[badge_id][4], by_id[badge_id][5]
        verifier = offline_verifier(code_hash, join, salt)
        if row is None:
            # Two downloads of one station may race here: the verifier is the same either way.
            insert_ignore(
                session,
                StationBadgeVerifier,
                {
                    "station_id": station_id,
                    "badge_id": uuid.UUID(badge_id),
                    "fingerprint": fingerprint,
                    "verifier": verifier,
                },
                ["station_id", "badge_id"],
            )
        else:
            row.fingerprint, row.verifier = fingerprint, verifier
        answer[badge_id] = verifier
    session.flush()
    return answer
