"""The reference data a station mirrors, as pages of deltas (contract: ``shared.reference``).

How deltas work without touching every writer: each answer is computed from the current
data. Every row (product, unit, case, open project with its pick-list counts, badge:
see server.identity.offline) gets a key (``"2u:<id>"``; the prefix fixes the page order)
and a short digest of its content. The map key -> digest is a *version*, named by a
hash of the map and stored once in ``reference_versions`` (identical content ->
identical name, shared by all stations). A cursor names what the kiosk holds:

    v1.<V>                   the kiosk holds version V completely
    v1.<B>.<T>.<key>         mid-download: rows up to <key> as in T, the rest as in B
                             (B is "-" during a first full download: nothing yet)

A request diffs the kiosk's map against the current one: rows whose digest differs are
sent, keys that vanished are sent as tombstones (a deleted product, a closed project, a
revoked badge), in key order, ``limit`` per page. If the data changes between pages, the
"mixed" map the kiosk holds is stored as a version of its own and the delta restarts
from it, so an interrupted or overtaken download never loses or repeats a change.
Unchanged data answers the same cursor and no rows. Versions older than
``VERSION_RETENTION``, or beyond the newest ``MAX_VERSIONS``, are pruned; a cursor naming
one gets a full download (``full``).

Cost: building the current map reads the whole reference set. Each server process keeps
the map it built last, with the *change stamp* it was built at: a counter that database
triggers bump on any write to the reference tables (migration 0010), plus the ledger's
row count (append-only, so the count moves with every movement). A request whose stamp
matches reuses the map — the common case, as every kiosk asks every few seconds — and
one that already holds the current version is answered without reading its map at all.
See bench/reference_bench.py.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Label,
    String,
    cast,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.orm import QueryableAttribute, Session

from server.config import Settings
from server.db import utcnow
from server.identity.models import Station
from server.identity.offline import badge_rows, station_badge_auth, station_verifiers
from server.sqlutil import insert_ignore
from server.warehouse.ledger import counted, project_balances, status_of
from server.warehouse.models import (
    Case,
    CaseUnit,
    Movement,
    Product,
    Project,
    ReferenceVersion,
    Unit,
)
from shared.reference import (
    RefBadge,
    RefCase,
    ReferenceSnapshot,
    RefPickLine,
    RefProduct,
    RefProject,
    RefSignedBadge,
    RefUnit,
    Tombstones,
)

OPEN_PROJECT_STATUSES = ("planned", "active")
DEFAULT_PAGE = 5000
MAX_PAGE = 20000
NEW_VERIFIERS_PER_PAGE = 40  # server.identity.offline: ~20 ms of scrypt each
# A version of 50,000 units is ~3.5 MB of digests. Stations hold recent ones (they sync
# after every upload), so a short window bounds the table; an older cursor means a full
# download, which is always correct.
VERSION_RETENTION = timedelta(hours=24)
MAX_VERSIONS = 100
_PREFIX = {
    "1p": "products",
    "2u": "units",
    "3c": "cases",
    "4j": "projects",
    "5b": "badges",
    "6s": "signed_badges",
}


# Rows are kept as plain tuples (cheap to build and to digest); only the rows that go
# into a page become pydantic models (``_model``).
def _current_rows(session: Session) -> dict[str, tuple]:
    """Every row the mirror holds, as a tuple of its fields, by key."""
    rows: dict[str, tuple] = {}
    # Ids are read as text, not uuid.UUID: building 100,000+ UUID objects per request was
    # most of the cost. pydantic parses them back for the few rows that go into a page.
    for p in session.execute(
        select(_s(Product.id), Product.sku, Product.name, Product.tracking, Product.barcode)
    ):
        rows[f"1p:{p[0]}"] = tuple(p)
    positions = _unit_positions_text(session)
    for uid, pid, barcode in session.execute(
        select(_s(Unit.id), _s(Unit.product_id), Unit.barcode)
    ):
        status, project = positions.get(uid, ("available", None))
        rows[f"2u:{uid}"] = (uid, pid, barcode, status, project)
    contents: dict[str, list[str]] = {}
    for case_id, unit_id in session.execute(
        select(_s(CaseUnit.case_id), _s(CaseUnit.unit_id)).order_by(CaseUnit.unit_id)
    ):
        contents.setdefault(case_id, []).append(unit_id)
    for c in session.execute(select(_s(Case.id), Case.barcode, Case.name, Case.kind)):
        rows[f"3c:{c[0]}"] = (*c, tuple(contents.get(c[0], ())))
    rows.update(_project_rows(session))
    # Badge rows carry the inputs of each station's verifier, not the verifier itself:
    # the map stays one for all stations (server.identity.offline).
    rows.update(badge_rows(session))
    return rows


def _project_rows(session: Session) -> dict[str, tuple]:
    """Open projects with their pick lines and the counts out and returned so far."""
    rows: dict[str, tuple] = {}
    projects = session.scalars(
        select(Project).where(Project.status.in_(OPEN_PROJECT_STATUSES))
    ).all()
    balances = project_balances(session=session, project_ids=[p.id for p in projects])
    for project in projects:
        lines = []
        for line in sorted(project.pick_lines, key=lambda line: str(line.product_id)):
            balance = balances.get((project.id, line.product_id))
            out, back = (balance.out, balance.returned) if balance else (0, 0)
            lines.append((line.product_id, line.qty, out, back))
        rows[f"4j:{project.id}"] = (
            project.id,
            project.name,
            project.customer,
            project.starts_on,
            project.ends_on,
            project.status,
            tuple(lines),
        )
    return rows


def _after_movements(session: Session, built: _Current) -> tuple[dict, dict]:
    """(rows, digests) when only the ledger moved since ``built``: no reference table
    changed, so only unit positions and project counts are read again, and only the rows
    that differ are digested again (scanning touches a few units of thousands)."""
    positions = _unit_positions_text(session)
    rows = {k: v for k, v in built.rows.items() if not k.startswith("4j:")}
    digests = {k: v for k, v in built.digests.items() if not k.startswith("4j:")}
    for key, row in built.rows.items():
        if key.startswith("2u:"):
            uid, pid, barcode, status, project = row
            now = positions.get(uid, ("available", None))
            if now != (status, project):
                rows[key] = row = (uid, pid, barcode, *now)
                digests[key] = _digest(row)
    for key, row in _project_rows(session).items():
        rows[key] = row
        digests[key] = _digest(row)
    return rows, digests


def _s(column: QueryableAttribute[Any]) -> Label[str]:
    return cast(column, String).label(column.key)


def _unit_positions_text(session: Session) -> dict[str, tuple[str, str | None]]:
    """unit id -> (status, project id) as text, from each unit's latest movement that
    counts (an undone scan's and its annul's movements do not: ``ledger.counted``)."""
    ranked = (
        select(
            _s(Movement.unit_id),
            Movement.kind,
            _s(Movement.project_id),
            func.row_number()
            .over(partition_by=Movement.unit_id, order_by=Movement.id.desc())
            .label("rank"),
        )
        .where(Movement.unit_id.is_not(None), counted())
        .subquery()
    )
    positions = {}
    for unit_id, kind, project_id in session.execute(
        select(ranked.c.unit_id, ranked.c.kind, ranked.c.project_id).where(ranked.c.rank == 1)
    ):
        status = status_of(kind)
        positions[unit_id] = (status, project_id if status != "available" else None)
    return positions


def _model(kind: str, row: tuple, verifiers: dict[str, str]):
    if kind == "products":
        return RefProduct(id=row[0], sku=row[1], name=row[2], tracking=row[3], barcode=row[4])
    if kind == "units":
        return RefUnit(
            id=row[0], product_id=row[1], barcode=row[2], status=row[3], project_id=row[4]
        )
    if kind == "cases":
        return RefCase(id=row[0], barcode=row[1], name=row[2], kind=row[3], unit_ids=row[4])
    if kind == "projects":
        return RefProject(
            id=row[0],
            name=row[1],
            customer=row[2],
            starts_on=row[3],
            ends_on=row[4],
            status=row[5],
            pick_lines=[
                RefPickLine(product_id=p, qty=q, out=o, returned=r) for p, q, o, r in row[6]
            ],
        )
    if kind == "signed_badges":
        return RefSignedBadge(
            id=row[0], user_id=row[1], name=row[2], roles=list(row[3]), revoked=row[4], pin=row[5]
        )
    return RefBadge(
        id=row[0],
        verifier=verifiers[row[0]],
        user_id=row[1],
        name=row[2],
        roles=list(row[3]),
        pin=row[5] is not None,
    )


def _digest(row: tuple) -> str:
    return hashlib.blake2b(repr(row).encode(), digest_size=8).hexdigest()


def _version_id(digests: dict[str, str]) -> str:
    h = hashlib.sha256()
    for key in sorted(digests):
        h.update(f"{key}={digests[key]};".encode())
    return h.hexdigest()[:32]


@dataclass(frozen=True)
class _Current:
    stamp: tuple[int, int] | None  # (reference_stamp.changes, movement count) at build
    rows: dict[str, tuple]
    digests: dict[str, str]
    version: str


# The last map built, per engine (one per database; tests make many), per process.
_built: weakref.WeakKeyDictionary[Engine | Connection, _Current] = weakref.WeakKeyDictionary()
_built_lock = threading.Lock()
_STAMP = text(
    "SELECT (SELECT changes FROM reference_stamp WHERE id = 1), (SELECT count(*) FROM movements)"
)


def _current(session: Session) -> _Current:
    """The current map: the one built last if nothing changed since, else built anew.

    The stamp is read before the rows, so rows built are never older than their stamp; a
    stamp only grows, so a map is reused only while it is still the current one."""
    engine = session.get_bind()
    changes, moved = session.execute(_STAMP).one()
    stamp = (int(changes), int(moved)) if changes is not None else None  # None: no stamp row
    with _built_lock:
        cached = _built.get(engine)
    if stamp is not None and cached is not None and cached.stamp == stamp:
        # Versions are pruned by age: keep the one we hand out stored.
        exists = select(ReferenceVersion.id).where(ReferenceVersion.id == cached.version)
        if session.scalar(exists) is not None:
            return cached
    if (
        stamp is not None
        and cached is not None
        and cached.stamp is not None  # only stamped maps are kept
        and cached.stamp[0] == stamp[0]
    ):
        rows, digests = _after_movements(session, cached)
    else:
        rows = _current_rows(session)
        digests = {key: _digest(row) for key, row in rows.items()}
    current = _Current(stamp, rows, digests, _store(session, digests))
    if stamp is not None:
        with _built_lock:
            _built[engine] = current
    return current


def _store(session: Session, digests: dict[str, str]) -> str:
    """Store a version (once; concurrent stores of the same content are harmless)."""
    version = _version_id(digests)
    exists = select(ReferenceVersion.id).where(ReferenceVersion.id == version)
    if session.scalar(exists) is None:
        insert_ignore(
            session,
            ReferenceVersion,
            {"id": version, "created_at": utcnow(), "digests": orjson.dumps(digests).decode()},
            ["id"],
        )
        keep = (
            select(ReferenceVersion.id)
            .order_by(ReferenceVersion.created_at.desc())
            .limit(MAX_VERSIONS)
            .scalar_subquery()
        )
        session.execute(
            delete(ReferenceVersion).where(
                ReferenceVersion.id != version,
                (ReferenceVersion.created_at < utcnow() - VERSION_RETENTION)
                | ReferenceVersion.id.not_in(keep),
            )
        )
    return version


def _load(session: Session, version: str) -> dict[str, str] | None:
    text = session.scalar(select(ReferenceVersion.digests).where(ReferenceVersion.id == version))
    return orjson.loads(text) if text is not None else None


def _parse_cursor(
    session: Session, cursor: str | None, current_id: str
) -> tuple[dict[str, str], str, str | None, str | None]:
    """(the map the kiosk holds, its base id or "-", key it stopped after, target id)."""
    parts = (cursor or "").split(".")
    if len(parts) == 2 and parts[0] == "v1":
        held = _load(session, parts[1])
        if held is not None:
            return held, parts[1], None, parts[1]
    if len(parts) == 4 and parts[0] == "v1":
        base_id, target_id, after = parts[1], parts[2], parts[3]
        base = {} if base_id == "-" else _load(session, base_id)
        target = _load(session, target_id)
        if base is not None and target is not None:
            if target_id == current_id:
                return base, base_id, after, target_id
            # The data moved on mid-download: what the kiosk holds is a mix of two maps.
            mixed = {k: v for k, v in base.items() if k > after}
            mixed.update({k: v for k, v in target.items() if k <= after})
            return mixed, _store(session, mixed), None, None
    return {}, "-", None, None


def reference_page(
    *,
    session: Session,
    station: Station,
    settings: Settings,
    cursor: str | None,
    limit: int = DEFAULT_PAGE,
    full: bool = False,
) -> ReferenceSnapshot:
    """One page of the reference delta since ``cursor`` (see the module docstring)."""
    current = _current(session)
    rows, digests, current_id = current.rows, current.digests, current.version
    if full:
        cursor = None
    badge_auth = station_badge_auth(settings, station.id)
    badge_hash_key = settings.badge_hash_key
    if cursor == f"v1.{current_id}":  # the kiosk is up to date: nothing to diff
        # Proof it holds the current data (lost badges: who still has a revoked one).
        station.reference_synced_at = utcnow()
        return ReferenceSnapshot(
            cursor=cursor,
            full=False,
            has_more=False,
            station_id=station.id,
            badge_hash_key=badge_hash_key.hex(),
            badge_auth=badge_auth,
        )
    held, base_id, after, _ = _parse_cursor(session, cursor, current_id)
    is_full = base_id == "-" and after is None
    changed = sorted(
        [k for k, d in digests.items() if held.get(k) != d and (after is None or k > after)]
        + [k for k in held if k not in digests and (after is None or k > after)]
    )
    page, more = changed[:limit], len(changed) > limit
    # A station's first download of a badge computes its verifier (~20 ms of scrypt): at
    # most NEW_VERIFIERS_PER_PAGE per page, so a page answers in about a second however
    # many badges there are; the rest follow in the next pages (the cursor says where).
    in_page = [rows[key] for key in page if key.startswith("5b:") and key in rows]
    verifiers = station_verifiers(
        session=session,
        settings=settings,
        station_id=station.id,
        rows=in_page,
        budget=NEW_VERIFIERS_PER_PAGE,
    )
    if len(verifiers) < len(in_page):
        cut = next(
            i
            for i, key in enumerate(page)
            if key.startswith("5b:") and key in rows and rows[key][0] not in verifiers
        )
        page, more = page[:cut], True
    snapshot = ReferenceSnapshot(
        cursor=f"v1.{base_id}.{current_id}.{page[-1]}" if more else f"v1.{current_id}",
        full=is_full,
        has_more=more,
        station_id=station.id,
        badge_hash_key=badge_hash_key.hex(),
        badge_auth=badge_auth,
    )
    deleted = Tombstones()
    for key in page:
        kind = _PREFIX[key[:2]]
        row = rows.get(key)
        if row is None:
            ident = key[3:]
            badge = kind in ("badges", "signed_badges")
            getattr(deleted, kind).append(ident if badge else uuid.UUID(ident))
        else:
            getattr(snapshot, kind).append(_model(kind, row, verifiers))
    snapshot.deleted = deleted
    return snapshot


def build_snapshot(*, session: Session, station: Station, settings: Settings) -> ReferenceSnapshot:
    """Everything in one answer (a full download without paging)."""
    return reference_page(
        session=session,
        station=station,
        settings=settings,
        cursor=None,
        limit=10**9,
    )
