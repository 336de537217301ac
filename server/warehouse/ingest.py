"""Exactly-once scan ingest (SPEC §4): each ``scan_id`` is applied once, ever.

Claim first, then decide. The whole batch is claimed with one ``INSERT … ON CONFLICT
(scan_id) DO NOTHING RETURNING scan_id``: a resend, or a second upload of the same batch
racing this one, finds the rows taken (on PostgreSQL the second insert waits for the
first transaction) and gets the first answers back as ``duplicate``. Only the claimed
scans are decided, in ``seq`` order, against state loaded once for the batch (``_batch``)
and updated in memory as each scan applies; their movements go in with one bulk insert.

A scan the server cannot store is answered ``rejected`` and the rest of its batch is
applied (a poison scan must never block a station's queue): bad text (SPEC §10) or a
timestamp out of range is found before anything is written; any other data or integrity
error the database raises for a scan is isolated with savepoints (``_apply_isolating``).
Neither kind is stored, so a resend is answered the same way again.

Offline scans are facts: a unit that is already out elsewhere still moves, and the answer
is ``conflict`` so a person looks at it. Likewise a scan by a user who has since been
deactivated is applied and flagged for review, never dropped.

Every scan is tied to a login (issue 15, ``server.identity.login_sessions``): the batch's
offline logins are recorded first, then each scan's ``login_session_id`` is checked
against them and the online logins. A scan no login of its user at this station backs is
applied and flagged ``conflict`` (``no_login_session``, ``login_session_mismatch``); how
each scan was attributed is stored with it (``scans.attribution``) for review.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from server.db import one_of, table_of, utcnow
from server.edge import bad_char
from server.errors import BadRequest
from server.identity.login_sessions import SessionFacts
from server.identity.models import Station
from server.warehouse import bulk
from server.warehouse.batch import BatchState, CaseRow, Outcome, UnitRow
from server.warehouse.models import CaseUnit, Movement, Scan
from shared.protocol import (
    MovementKind,
    ReturnCondition,
    ScanBatch,
    ScanIn,
    ScanMode,
    ScanStatus,
)
from shared.reasons import Reason, ReasonCode, english, reason

DEFAULT_ANNUL_WINDOW = timedelta(minutes=10)
_PENDING = "pending"
_REVERSE = {MovementKind.OUT.value: MovementKind.IN.value, MovementKind.IN.value: "out"}
log = logging.getLogger(__name__)


def ingest_batch(
    *,
    session: Session,
    station: Station,
    batch: ScanBatch,
    annul_window: timedelta = DEFAULT_ANNUL_WINDOW,
    faults: Mapping[uuid.UUID, Reason] | None = None,
    on_applied: Callable[[list[tuple[ScanIn, dict]]], None] | None = None,
) -> list[dict]:
    """Apply a station's batch in ``seq`` order; answer per scan in the request's order.

    ``faults`` are scans the edge already found unstorable (``server.edge.item_faults``):
    scan id -> reason; they are answered rejected with it.

    Every reason is answered as text (``reason``, English) and as codes with parameters
    (``reasons``, ``reason_code``, ``reason_params``: ``shared.reasons``).

    Answers are dicts shaped as ``shared.protocol.ScanResult``, ready for orjson (UUIDs
    stay UUIDs): building 500 pydantic models per batch cost more than the database work.

    ``on_applied`` receives the newly decided scans (not duplicates) and their answers.
    """
    foreign = [s.scan_id for s in batch.scans if s.station_id != station.id]
    if foreign:
        raise BadRequest(
            f"{len(foreign)} scan(s) carry a station_id other than this station's "
            f"({station.id}); first: {foreign[0]}",
            code="station_mismatch",
        )
    received_at = utcnow()
    results: dict[uuid.UUID, dict] = {}
    storable: list[ScanIn] = []
    for scan in sorted(batch.scans, key=lambda s: s.seq):
        fault = (faults or {}).get(scan.scan_id) or scan_fault(scan)
        if fault is None:
            storable.append(scan)
        else:
            results[scan.scan_id] = _refused(scan, fault)
    _apply_isolating(
        session, station, storable, received_at, annul_window, on_applied, results
    )
    return [results[scan.scan_id] for scan in batch.scans]


def scan_fault(scan: ScanIn) -> Reason | None:
    """Why ``scan`` cannot be stored at all, or None."""
    for name in ("code", "symbology", "case_code"):
        value = getattr(scan, name)
        if value is not None and (char := bad_char(value)):
            return reason(ReasonCode.INVALID_TEXT, field=name, char=char)
    try:
        scan.scanned_at.astimezone(UTC)
    except OverflowError:
        return reason(ReasonCode.INVALID_TIMESTAMP)
    return None


def _refused(scan: ScanIn, why: Reason) -> dict:
    return {
        "scan_id": scan.scan_id,
        "status": ScanStatus.REJECTED.value,
        **reason_fields([why.as_json()]),
        "original_status": None,
        "movements": [],
    }


def reason_fields(reasons: list[dict]) -> dict:
    """The answer's reason fields from reasons as ``{"code", "params"}`` dicts (or none):
    English text for API users, the codes for kiosks, the first code on its own."""
    first = reasons[0] if reasons else None
    return {
        "reason": "; ".join(english(r["code"], r["params"]) for r in reasons) or None,
        "reason_code": first["code"] if first else None,
        "reason_params": first["params"] if first else {},
        "reasons": reasons,
    }


def _apply_isolating(
    session: Session,
    station: Station,
    scans: list[ScanIn],
    received_at: datetime,
    annul_window: timedelta,
    on_applied: Callable[[list[tuple[ScanIn, dict]]], None] | None,
    results: dict[uuid.UUID, dict],
) -> None:
    """Apply ``scans`` (in ``seq`` order) in a savepoint. When the database refuses the
    writes, split them in halves until the scan that causes it stands alone: it is
    answered rejected, every other scan is applied (log2(n) extra tries per poison scan)."""
    if not scans:
        return
    try:
        with session.begin_nested():
            results.update(
                _apply(session, station, scans, received_at, annul_window, on_applied)
            )
    except (DataError, IntegrityError) as exc:
        if len(scans) == 1:
            log.warning("scan %s refused by the database: %s", scans[0].scan_id, exc.orig)
            results[scans[0].scan_id] = _refused(
                scans[0], reason(ReasonCode.NOT_STORABLE, error=type(exc.orig).__name__)
            )
            return
        middle = len(scans) // 2
        for half in (scans[:middle], scans[middle:]):
            _apply_isolating(
                session, station, half, received_at, annul_window, on_applied, results
            )


def _apply(
    session: Session,
    station: Station,
    ordered: list[ScanIn],
    received_at: datetime,
    annul_window: timedelta,
    on_applied: Callable[[list[tuple[ScanIn, dict]]], None] | None,
) -> dict[uuid.UUID, dict]:
    """Claim, decide and write ``ordered`` (storable scans in ``seq`` order); their answers."""
    claimed = _claim(session, ordered, received_at)
    results = _previous_results(session, [s.scan_id for s in ordered if s.scan_id not in claimed])
    fresh = [s for s in ordered if s.scan_id in claimed]
    if fresh:
        state = BatchState.load(session=session, station=station, scans=fresh)
        logins = SessionFacts.load(session=session, station=station, scans=fresh)
        movements: list[dict] = []
        packs: dict[uuid.UUID, uuid.UUID] = {}
        updates: list[dict] = []
        decided: list[tuple[ScanIn, dict]] = []
        for scan in fresh:
            attribution, unbacked = logins.attribute(station, scan)
            outcome = _decide(state, station, scan, received_at, annul_window)
            if unbacked is not None and outcome.status is not ScanStatus.REJECTED:
                outcome.flag(unbacked.code, **unbacked.params)
            rows = [
                {**m, "id": state.new_id(), "scan_id": scan.scan_id, "created_at": received_at}
                for m in outcome.movements
            ]
            state.record(scan, outcome, rows, received_at)
            movements.extend(rows)
            packs.update(dict(outcome.packs))
            reasons = [r.as_json() for r in outcome.reasons]
            fields = reason_fields(reasons)
            updates.append(
                {
                    "scan_id": scan.scan_id,
                    "status": outcome.status.value,
                    "reason": fields["reason"],
                    "reasons": orjson.dumps(reasons).decode() if reasons else None,
                    "code": state.normalized.get(scan.scan_id),
                    "attribution": attribution.value,
                }
            )
            result = {
                "scan_id": scan.scan_id,
                "status": outcome.status.value,
                **fields,
                "original_status": None,
                "movements": [_movement_out(m) for m in rows],
            }
            results[scan.scan_id] = result
            decided.append((scan, result))
        bulk.insert_movements(session, movements)
        if packs:
            # Case contents are reference data, not ledger: replaced in place.
            session.execute(delete(CaseUnit).where(one_of(session, CaseUnit.unit_id, list(packs))))
            session.execute(
                insert(table_of(CaseUnit)),
                [{"unit_id": u, "case_id": c} for u, c in packs.items()],
            )
        bulk.set_answers(session, updates)
        if on_applied is not None:
            on_applied(decided)
    return results


def _claim(session: Session, scans: list[ScanIn], received_at: datetime) -> set[uuid.UUID]:
    """Insert the scan rows whose ``scan_id`` is new; the ids this call inserted."""
    rows = [
        {
            "scan_id": scan.scan_id,
            "station_id": scan.station_id,
            "seq": scan.seq,
            "user_id": scan.user_id,
            "project_id": scan.project_id,
            "mode": scan.mode.value,
            "code": scan.code,
            "symbology": scan.symbology,
            "source": scan.source.value,
            "qty": scan.qty,
            "annuls_scan_id": scan.annuls_scan_id,
            "condition": scan.condition.value if scan.condition else None,
            "case_code": scan.case_code,
            "login_session_id": scan.login_session_id,
            "scanned_at": scan.scanned_at,
            "received_at": received_at,
            "status": _PENDING,
        }
        # One lock order for every upload, so two overlapping batches cannot deadlock.
        for scan in sorted(scans, key=lambda s: s.scan_id)
    ]
    return bulk.claim(session, rows)


def _movement_out(row: Mapping[Any, Any]) -> dict:
    """A ``MovementOut`` as a dict for orjson (built from our own rows: no validation)."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "product_id": row["product_id"],
        "unit_id": row["unit_id"],
        "project_id": row["project_id"],
        "qty": row["qty"],
    }


def _previous_results(session: Session, scan_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The first answers of scans received before, as ``duplicate``; two queries."""
    if not scan_ids:
        return {}
    scans, moves = table_of(Scan).c, table_of(Movement).c
    firsts = {
        row.scan_id: row
        for row in session.execute(
            select(scans.scan_id, scans.status, scans.reason, scans.reasons).where(
                one_of(session, scans.scan_id, scan_ids)
            )
        )
    }
    moved: dict[uuid.UUID, list[dict]] = {scan_id: [] for scan_id in scan_ids}
    for m in session.execute(
        select(
            moves.id,
            moves.scan_id,
            moves.kind,
            moves.product_id,
            moves.unit_id,
            moves.project_id,
            moves.qty,
        )
        .where(one_of(session, moves.scan_id, scan_ids))
        .order_by(moves.id)
    ):
        moved[m.scan_id].append(_movement_out(m._mapping))
    results = {}
    for scan_id in scan_ids:
        first = firsts[scan_id]
        results[scan_id] = {
            "scan_id": scan_id,
            "status": ScanStatus.DUPLICATE.value,
            **reason_fields(orjson.loads(first.reasons) if first.reasons else []),
            # As stored: answers from before reasons had codes keep their English alone.
            "reason": first.reason,
            "original_status": first.status if first.status != _PENDING else None,
            "movements": moved[scan_id],
        }
    return results


def _decide(
    state: BatchState,
    station: Station,
    scan: ScanIn,
    received_at: datetime,
    annul_window: timedelta,
) -> Outcome:
    user_active = state.users.get(scan.user_id)
    if user_active is None:
        return Outcome.rejected(ReasonCode.UNKNOWN_USER, user_id=scan.user_id)
    project = state.projects.get(scan.project_id) if scan.project_id else None
    if scan.project_id is not None and project is None:
        return Outcome.rejected(ReasonCode.UNKNOWN_PROJECT, project_id=scan.project_id)
    outcome = _decide_item(state, station, scan, received_at, annul_window)
    if not user_active and outcome.status is not ScanStatus.REJECTED:
        outcome.flag(ReasonCode.USER_DEACTIVATED)
    return outcome


def _decide_item(
    state: BatchState,
    station: Station,
    scan: ScanIn,
    received_at: datetime,
    annul_window: timedelta,
) -> Outcome:
    if scan.mode is ScanMode.ANNUL:
        return _annul(state, station, scan, received_at, annul_window)
    error = state.code_errors.get(scan.scan_id)
    if error is not None:
        return Outcome.rejected(ReasonCode.INVALID_CODE, code=scan.code, error=error)
    code = state.normalized[scan.scan_id]
    unit = state.units.get(code)
    case = None if unit else state.cases.get(code)
    product = None if unit or case else state.bulk.get(code)
    if unit is None and case is None and product is None:
        return Outcome.rejected(ReasonCode.UNKNOWN_CODE, code=code)
    if scan.qty != 1 and product is None:
        return Outcome.rejected(ReasonCode.QTY_ONLY_FOR_BULK)
    if scan.case_code is not None:
        return _pack(state, scan, unit)
    if scan.mode is ScanMode.AUDIT:
        return Outcome()
    return _move(state, scan, unit, case, product)


def _move(
    state: BatchState,
    scan: ScanIn,
    unit: UnitRow | None,
    case: CaseRow | None,
    product: UnitRow | None,
) -> Outcome:
    """The movements of an ``out`` or ``in`` scan of a unit, a case or a bulk product."""
    outcome = Outcome()
    project_id = scan.project_id
    if case is not None and case.kind == "kit":
        # A kit only lists what should be in it: the scan moves nothing, and every
        # expected unit that is not where the kit is going is recorded on the scan.
        _check_kit(state, scan, case, outcome)
        return outcome
    if product is not None:
        for kind in _kinds(scan):
            outcome.movements.append(
                {
                    "kind": kind,
                    "product_id": product.id,
                    "unit_id": None,
                    "project_id": project_id,
                    "qty": scan.qty,
                }
            )
    else:
        items = [unit] if unit else [state.unit_by_id[uid] for uid in _named(case).unit_ids]
        for item in items:
            _move_unit(state, scan, item, outcome)
    if scan.mode is ScanMode.OUT and project_id is not None:  # ScanIn: "out" names one
        state.check_pick_list(project_id, outcome)
    return outcome


def _named(case: CaseRow | None) -> CaseRow:
    assert case is not None  # _decide_item: a code names a unit, a case or a product
    return case


def _pack(state: BatchState, scan: ScanIn, unit: UnitRow | None) -> Outcome:
    """Put a unit into a case at a station (an ``audit`` scan with ``case_code``)."""
    if unit is None:
        return Outcome.rejected(ReasonCode.PACK_NEEDS_UNIT)
    case = state.cases.get(state.pack_codes[scan.scan_id])
    if case is None:
        return Outcome.rejected(ReasonCode.UNKNOWN_CASE, case_code=state.pack_codes[scan.scan_id])
    outcome = Outcome()
    old = state.unit_case.get(unit.id)
    if old == case.id:
        return outcome
    if old is not None:
        was = next((c.barcode for c in state.cases.values() if c.id == old), str(old))
        outcome.flag(ReasonCode.UNIT_TAKEN_FROM_CASE, barcode=unit.barcode, case=was)
    outcome.packs.append((unit.id, case.id))
    state.pack(unit, case)
    return outcome


def _kinds(scan: ScanIn) -> list[str]:
    if scan.mode is ScanMode.OUT:
        return [MovementKind.OUT.value]
    if scan.condition is ReturnCondition.MISSING:
        return [MovementKind.MISSING.value]
    if scan.condition is ReturnCondition.DAMAGED:
        return [MovementKind.IN.value, MovementKind.DAMAGED.value]
    return [MovementKind.IN.value]


def _move_unit(state: BatchState, scan: ScanIn, unit: UnitRow, outcome: Outcome) -> None:
    position = state.position(unit.id)
    if scan.mode is ScanMode.OUT:
        if position.out:
            here = position.project_id == scan.project_id
            outcome.flag(
                ReasonCode.ALREADY_OUT_THIS_PROJECT
                if here
                else ReasonCode.ALREADY_OUT_OTHER_PROJECT,
                barcode=unit.barcode,
                project_id=position.project_id,
            )
        elif position.status != "available":
            outcome.flag(ReasonCode.UNIT_MARKED, barcode=unit.barcode, status=position.status)
        named = scan.project_id and state.named_units.get((scan.project_id, unit.product_id))
        if named and unit.id not in named:
            outcome.flag(ReasonCode.NOT_A_NAMED_UNIT, barcode=unit.barcode)
    elif not position.out and scan.condition is not ReturnCondition.MISSING:
        outcome.flag(ReasonCode.NOT_OUT, barcode=unit.barcode)
    for kind in _kinds(scan):
        outcome.movements.append(
            {
                "kind": kind,
                "product_id": unit.product_id,
                "unit_id": unit.id,
                "project_id": scan.project_id,
                "qty": 1,
            }
        )


def _check_kit(state: BatchState, scan: ScanIn, case: CaseRow, outcome: Outcome) -> None:
    if scan.mode is ScanMode.OUT:
        off = [
            state.unit_by_id[uid].barcode
            for uid in case.unit_ids
            if state.position(uid).project_id != scan.project_id or not state.position(uid).out
        ]
        code = ReasonCode.KIT_NOT_OUT
    else:
        off = [
            state.unit_by_id[uid].barcode
            for uid in case.unit_ids
            if state.position(uid).status != "available"
        ]
        code = ReasonCode.KIT_NOT_BACK
    if off:
        shown = ", ".join(sorted(off)[:20]) + (" …" if len(off) > 20 else "")
        outcome.flag(code, kit=case.barcode, count=len(off), units=shown)


def _annul(
    state: BatchState,
    station: Station,
    scan: ScanIn,
    received_at: datetime,
    annul_window: timedelta,
) -> Outcome:
    assert scan.annuls_scan_id is not None  # ScanIn's validator
    target = state.annul_target(scan.annuls_scan_id)
    if target is None or target.station_id != station.id:
        return Outcome.rejected(ReasonCode.ANNUL_UNKNOWN_SCAN, scan_id=scan.annuls_scan_id)
    if target.status == ScanStatus.REJECTED.value:
        return Outcome.rejected(ReasonCode.ANNUL_TARGET_REJECTED, scan_id=target.scan_id)
    if target.mode == ScanMode.ANNUL.value:
        return Outcome.rejected(ReasonCode.ANNUL_OF_ANNUL)
    if received_at - target.received_at > annul_window:
        return Outcome.rejected(ReasonCode.ANNUL_WINDOW_PASSED)
    already = state.annulled_by.get(target.scan_id)
    if already is not None:
        return Outcome.rejected(ReasonCode.ANNUL_ALREADY_DONE, scan_id=target.scan_id, by=already)
    if any(m["kind"] not in _REVERSE for m in target.movements):
        # A damaged/missing mark is a report about the item, not a move to undo blindly.
        return Outcome.rejected(ReasonCode.ANNUL_NEEDS_ADMIN)
    outcome = Outcome()
    for movement in target.movements:
        outcome.movements.append({**movement, "kind": _REVERSE[movement["kind"]]})
    return outcome
