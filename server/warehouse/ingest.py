"""Exactly-once scan ingest (SPEC §4): each ``scan_id`` is applied once, ever.

Claim first, then decide: the scan row is inserted with ``ON CONFLICT DO NOTHING`` before
any movement is written. A resend, or a second upload of the same batch racing this one,
finds the row taken (on PostgreSQL the second insert waits for the first transaction)
and gets the first answer back as ``duplicate``. Offline scans are facts: a unit that is
already out elsewhere still moves, and the answer is ``conflict`` so a person looks at it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import BadRequest
from server.identity.models import Station, User
from server.warehouse.ledger import project_product_balance, unit_position
from server.warehouse.models import Case, Movement, PickLine, Product, Project, Scan, Unit
from shared.barcodes import BarcodeError, normalize_code
from shared.protocol import (
    MovementKind,
    MovementOut,
    ScanBatch,
    ScanIn,
    ScanMode,
    ScanResult,
    ScanStatus,
)

DEFAULT_ANNUL_WINDOW = timedelta(minutes=10)
_PENDING = "pending"


@dataclass
class _Outcome:
    status: ScanStatus = ScanStatus.APPLIED
    reasons: list[str] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)

    def flag(self, reason: str) -> None:
        self.status = ScanStatus.CONFLICT
        self.reasons.append(reason)

    @classmethod
    def rejected(cls, reason: str) -> _Outcome:
        return cls(status=ScanStatus.REJECTED, reasons=[reason])


def ingest_batch(
    *,
    session: Session,
    station: Station,
    batch: ScanBatch,
    annul_window: timedelta = DEFAULT_ANNUL_WINDOW,
) -> list[ScanResult]:
    """Apply a station's batch in ``seq`` order; answer per scan in the request's order."""
    foreign = [s.scan_id for s in batch.scans if s.station_id != station.id]
    if foreign:
        raise BadRequest(
            f"{len(foreign)} scan(s) carry a station_id other than this station's "
            f"({station.id}); first: {foreign[0]}",
            code="station_mismatch",
        )
    received_at = utcnow()
    results: dict[uuid.UUID, ScanResult] = {}
    for scan in sorted(batch.scans, key=lambda s: s.seq):
        results[scan.scan_id] = _ingest_one(
            session=session,
            station=station,
            scan=scan,
            received_at=received_at,
            annul_window=annul_window,
        )
    return [results[scan.scan_id] for scan in batch.scans]


def _claim(session: Session, scan: ScanIn, received_at: datetime) -> bool:
    """Insert the scan row unless its ``scan_id`` exists; True when this call inserted it."""
    values = {
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
        "scanned_at": scan.scanned_at,
        "received_at": received_at,
        "status": _PENDING,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = pg_insert(Scan).values(values).on_conflict_do_nothing(index_elements=["scan_id"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(Scan).values(values).on_conflict_do_nothing(index_elements=["scan_id"])
    else:  # pragma: no cover - only the two supported databases
        stmt = insert(Scan).values(values)
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    return session.execute(stmt.returning(Scan.scan_id)).first() is not None


def _movement_out(movement: Movement) -> MovementOut:
    return MovementOut(
        id=movement.id,
        kind=MovementKind(movement.kind),
        product_id=movement.product_id,
        unit_id=movement.unit_id,
        project_id=movement.project_id,
        qty=movement.qty,
    )


def _previous_result(session: Session, scan_id: uuid.UUID) -> ScanResult:
    first = session.get(Scan, scan_id)
    movements = session.scalars(
        select(Movement).where(Movement.scan_id == scan_id).order_by(Movement.id)
    ).all()
    original = ScanStatus(first.status) if first.status != _PENDING else None
    return ScanResult(
        scan_id=scan_id,
        status=ScanStatus.DUPLICATE,
        original_status=original,
        reason=first.reason,
        movements=[_movement_out(m) for m in movements],
    )


def _ingest_one(
    *,
    session: Session,
    station: Station,
    scan: ScanIn,
    received_at: datetime,
    annul_window: timedelta,
) -> ScanResult:
    if not _claim(session, scan, received_at):
        return _previous_result(session, scan.scan_id)
    outcome = _decide(session, station, scan, received_at, annul_window)
    normalized = _normalized_or_none(scan)
    for movement in outcome.movements:
        movement.scan_id = scan.scan_id
        session.add(movement)
    reason = "; ".join(outcome.reasons) or None
    session.execute(
        update(Scan)
        .where(Scan.scan_id == scan.scan_id)
        .values(status=outcome.status.value, reason=reason, normalized_code=normalized)
    )
    session.flush()  # later scans of this batch must see these movements
    return ScanResult(
        scan_id=scan.scan_id,
        status=outcome.status,
        reason=reason,
        movements=[_movement_out(m) for m in outcome.movements],
    )


def _normalized_or_none(scan: ScanIn) -> str | None:
    try:
        return normalize_code(scan.code, scan.symbology).value
    except BarcodeError:
        return None


def _decide(
    session: Session,
    station: Station,
    scan: ScanIn,
    received_at: datetime,
    annul_window: timedelta,
) -> _Outcome:
    if session.get(User, scan.user_id) is None:
        return _Outcome.rejected(f"unknown user {scan.user_id}")
    project = session.get(Project, scan.project_id) if scan.project_id else None
    if scan.project_id is not None and project is None:
        return _Outcome.rejected(f"unknown project {scan.project_id}")
    if scan.mode is ScanMode.ANNUL:
        return _annul(session, station, scan, received_at, annul_window)
    try:
        code = normalize_code(scan.code, scan.symbology).value
    except BarcodeError as exc:
        return _Outcome.rejected(f"invalid code {scan.code!r}: {exc}")

    unit = session.scalar(select(Unit).where(Unit.barcode == code))
    case = None if unit else session.scalar(select(Case).where(Case.barcode == code))
    product = (
        None
        if unit or case
        else session.scalar(
            select(Product).where(Product.barcode == code, Product.tracking == "bulk")
        )
    )
    if unit is None and case is None and product is None:
        return _Outcome.rejected(f"unknown code {code!r}")
    if scan.qty != 1 and product is None:
        return _Outcome.rejected("a quantity is only allowed for bulk products")
    if scan.mode is ScanMode.AUDIT:
        return _Outcome()
    if case is not None and case.kind == "kit":
        return _Outcome.rejected(f"kit case {case.name!r}: scan its contents one by one")

    outcome = _Outcome()
    if product is not None:
        outcome.movements.append(
            Movement(
                kind=scan.mode.value, product_id=product.id, project_id=project.id, qty=scan.qty
            )
        )
    else:
        units = [unit] if unit else [session.get(Unit, c.unit_id) for c in case.contents]
        for item in units:
            _move_unit(session, scan.mode, item, project, outcome)
    if scan.mode is ScanMode.OUT:
        _check_pick_list(session, project, outcome)
    return outcome


def _move_unit(
    session: Session, mode: ScanMode, unit: Unit, project: Project, outcome: _Outcome
) -> None:
    position = unit_position(session=session, unit_id=unit.id)
    if mode is ScanMode.OUT and position.out:
        where = "this project" if position.project_id == project.id else "another project"
        outcome.flag(f"unit {unit.barcode} is already out on {where} ({position.project_id})")
    if mode is ScanMode.IN and not position.out:
        outcome.flag(f"unit {unit.barcode} was not out")
    outcome.movements.append(
        Movement(
            kind=mode.value,
            product_id=unit.product_id,
            unit_id=unit.id,
            project_id=project.id,
            qty=1,
        )
    )


def _check_pick_list(session: Session, project: Project, outcome: _Outcome) -> None:
    session.flush()
    balance = project_product_balance(session=session, project_id=project.id)
    wanted = {
        line.product_id: line.qty
        for line in session.scalars(select(PickLine).where(PickLine.project_id == project.id))
    }
    pending: dict[uuid.UUID, int] = {}
    for movement in outcome.movements:
        pending[movement.product_id] = pending.get(movement.product_id, 0) + movement.qty
    for product_id, qty in pending.items():
        sent, returned = balance.get(product_id, (0, 0))
        on_site = sent - returned + qty
        if product_id not in wanted:
            outcome.flag(f"product {product_id} is not on this project's pick list")
        elif on_site > wanted[product_id]:
            outcome.flag(f"over-picked: {on_site} out, pick list asks {wanted[product_id]}")


def _annul(
    session: Session,
    station: Station,
    scan: ScanIn,
    received_at: datetime,
    annul_window: timedelta,
) -> _Outcome:
    target = session.get(Scan, scan.annuls_scan_id)
    if target is None or target.station_id != station.id:
        return _Outcome.rejected(f"no scan {scan.annuls_scan_id} from this station to annul")
    if received_at - target.received_at > annul_window:
        return _Outcome.rejected("too late to annul: the annul window has passed")
    already = session.scalar(
        select(Scan.scan_id).where(
            Scan.annuls_scan_id == target.scan_id,
            Scan.scan_id != scan.scan_id,
            Scan.status.in_([ScanStatus.APPLIED.value, ScanStatus.CONFLICT.value]),
        )
    )
    if already is not None:
        return _Outcome.rejected(f"scan {target.scan_id} was already annulled by {already}")
    reverse = {
        MovementKind.OUT.value: MovementKind.IN.value,
        MovementKind.IN.value: MovementKind.OUT.value,
    }
    outcome = _Outcome()
    for movement in session.scalars(
        select(Movement).where(Movement.scan_id == target.scan_id).order_by(Movement.id)
    ):
        if movement.kind in reverse:
            outcome.movements.append(
                Movement(
                    kind=reverse[movement.kind],
                    product_id=movement.product_id,
                    unit_id=movement.unit_id,
                    project_id=movement.project_id,
                    qty=movement.qty,
                )
            )
    return outcome
