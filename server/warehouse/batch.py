"""What deciding one upload needs, loaded with a handful of queries per batch.

``BatchState.load`` reads users, projects with pick lists, every unit/case/bulk product the
batch's codes name, the current position of every unit involved, project balances and
annul targets — one query each — and then keeps them current in memory as the batch's
scans are decided in ``seq`` order, so a later scan sees an earlier one's movements
without a flush or a re-read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import one_of
from server.identity.models import Station, User
from server.warehouse.ledger import (
    AVAILABLE,
    Balance,
    UnitPosition,
    positions_after_undo,
    project_balances,
    status_of,
)
from server.warehouse.ledger import unit_positions as load_positions
from server.warehouse.models import (
    Case,
    CaseUnit,
    Movement,
    PickLine,
    PickUnit,
    Product,
    Project,
    Scan,
    Unit,
)
from shared.barcodes import BarcodeError, normalize_code
from shared.ids import uuid7
from shared.protocol import MovementKind, ScanIn, ScanMode, ScanStatus
from shared.reasons import ParamValue, Reason, ReasonCode, reason


@dataclass
class Outcome:
    status: ScanStatus = ScanStatus.APPLIED
    reasons: list[Reason] = field(default_factory=list)
    movements: list[dict] = field(default_factory=list)
    packs: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (unit, case)

    def flag(self, code: ReasonCode, /, **params: ParamValue) -> None:
        self.status = ScanStatus.CONFLICT
        self.reasons.append(reason(code, **params))

    @classmethod
    def rejected(cls, code: ReasonCode, /, **params: ParamValue) -> Outcome:
        return cls(status=ScanStatus.REJECTED, reasons=[reason(code, **params)])


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: uuid.UUID
    product_id: uuid.UUID
    barcode: str


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: uuid.UUID
    barcode: str
    name: str
    kind: str
    unit_ids: tuple[uuid.UUID, ...]


@dataclass(slots=True)
class AnnulTarget:
    scan_id: uuid.UUID
    station_id: uuid.UUID
    mode: str
    received_at: datetime
    status: str
    movements: list[dict]


@dataclass
class BatchState:
    users: dict[uuid.UUID, bool]  # user id -> active
    projects: dict[uuid.UUID, uuid.UUID]  # project id -> project id (exists)
    pick_qty: dict[tuple[uuid.UUID, uuid.UUID], int]
    named_units: dict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]]
    normalized: dict[uuid.UUID, str]
    code_errors: dict[uuid.UUID, str]
    units: dict[str, UnitRow]
    unit_by_id: dict[uuid.UUID, UnitRow]
    cases: dict[str, CaseRow]
    bulk: dict[str, UnitRow]
    positions: dict[uuid.UUID, UnitPosition]
    balances: dict[tuple[uuid.UUID, uuid.UUID], Balance]
    targets: dict[uuid.UUID, AnnulTarget]
    annulled_by: dict[uuid.UUID, uuid.UUID]
    pack_codes: dict[uuid.UUID, str]  # scan id -> normalized case code
    unit_case: dict[uuid.UUID, uuid.UUID]  # unit id -> case id, for units being packed
    # Undo: (annulled scan, unit) -> where the unit is once the scan counts no more (None:
    # where it is now); for targets stored before this batch, from the ledger.
    undo_positions: dict[tuple[uuid.UUID, uuid.UUID], UnitPosition | None] = field(
        default_factory=dict
    )
    # unit -> the scan of this batch that last set its position in memory.
    set_by: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    @classmethod
    def load(cls, *, session: Session, station: Station, scans: list[ScanIn]) -> BatchState:
        normalized, pack_codes, code_errors = _normalize_codes(scans)
        codes = sorted({*normalized.values(), *pack_codes.values()})
        user_ids = list({s.user_id for s in scans})
        project_ids = list({s.project_id for s in scans if s.project_id})

        users = dict(
            session.execute(
                select(User.id, User.active).where(one_of(session, User.id, user_ids))
            ).all()
        )
        projects = {
            pid: pid
            for pid in session.scalars(
                select(Project.id).where(one_of(session, Project.id, project_ids))
            )
        }
        pick_qty, named = _load_pick_lists(session, project_ids)
        units, cases, bulk = _load_codes(session, codes) if codes else ({}, {}, {})
        unit_by_id = {u.id: u for u in units.values()}
        unit_case: dict[uuid.UUID, uuid.UUID] = {}
        if pack_codes:
            unit_case = dict(
                session.execute(
                    select(CaseUnit.unit_id, CaseUnit.case_id).where(
                        one_of(session, CaseUnit.unit_id, list(unit_by_id))
                    )
                ).all()
            )

        # ScanIn's validator: an annul always names its target, and only an annul does.
        target_ids = [s.annuls_scan_id for s in scans if s.annuls_scan_id is not None]
        targets: dict[uuid.UUID, AnnulTarget] = {}
        annulled_by: dict[uuid.UUID, uuid.UUID] = {}
        if target_ids:
            targets, annulled_by = _load_annul_targets(session, target_ids, unit_by_id)

        return cls(
            users=users,
            projects=projects,
            pick_qty=pick_qty,
            named_units=named,
            normalized=normalized,
            code_errors=code_errors,
            units=units,
            unit_by_id=unit_by_id,
            cases=cases,
            bulk=bulk,
            positions=load_positions(session=session, unit_ids=list(unit_by_id)),
            balances=project_balances(session=session, project_ids=project_ids),
            targets=targets,
            annulled_by=annulled_by,
            pack_codes=pack_codes,
            unit_case=unit_case,
            undo_positions=positions_after_undo(
                session=session,
                scan_units={
                    t.scan_id: [m["unit_id"] for m in t.movements if m["unit_id"] is not None]
                    for t in targets.values()
                },
            ),
        )

    # -- reads ---------------------------------------------------------------------------

    def position(self, unit_id: uuid.UUID) -> UnitPosition:
        return self.positions.get(unit_id, AVAILABLE)

    def annul_target(self, scan_id: uuid.UUID) -> AnnulTarget | None:
        return self.targets.get(scan_id)

    def pack(self, unit: UnitRow, case: CaseRow) -> None:
        """Move ``unit`` into ``case`` in memory, so later scans of the batch see it."""
        old = self.unit_case.get(unit.id)
        for code, row in list(self.cases.items()):
            if row.id in (old, case.id):
                ids = tuple(u for u in row.unit_ids if u != unit.id)
                if row.id == case.id:
                    ids = (*ids, unit.id)
                self.cases[code] = CaseRow(row.id, row.barcode, row.name, row.kind, ids)
        self.unit_case[unit.id] = case.id
        self.unit_by_id.setdefault(unit.id, unit)

    def new_id(self) -> uuid.UUID:
        return uuid7()

    def check_pick_list(self, project_id: uuid.UUID, outcome: Outcome) -> None:
        """Flag products not on the pick list, or out beyond its quantity."""
        pending: dict[uuid.UUID, int] = {}
        for m in outcome.movements:
            if m["kind"] == MovementKind.OUT.value:
                pending[m["product_id"]] = pending.get(m["product_id"], 0) + m["qty"]
        for product_id, qty in pending.items():
            wanted = self.pick_qty.get((project_id, product_id))
            if wanted is None:
                outcome.flag(ReasonCode.NOT_ON_PICK_LIST, product_id=product_id)
                continue
            on_site = self.balances.get((project_id, product_id), Balance()).on_site + qty
            if on_site > wanted:
                outcome.flag(ReasonCode.OVER_PICKED, out=on_site, wanted=wanted)

    # -- writes (in memory, after a scan is decided) ----------------------------------------

    def _undo_position(self, target: uuid.UUID, unit_id: uuid.UUID) -> None:
        """Put ``unit_id`` where it is once ``target`` counts no more (ledger.counted):
        back where it was before ``target`` if ``target`` moved it last, else unchanged."""
        latest = self.set_by.get(unit_id)
        if latest is not None and latest != target:
            return  # another scan of this batch moved the unit after the one undone
        before = self.undo_positions.get((target, unit_id))
        if before is not None:
            self.positions[unit_id] = before

    def _count(self, m: dict, *, annul: bool) -> None:
        """Add a project movement to its (project, product) balance."""
        balance = self.balances.setdefault((m["project_id"], m["product_id"]), Balance())
        if annul:
            # An annul takes its scan's movement back out of the counts (ledger.counted):
            # its reversed "in" un-counts an "out", its "out" un-counts an "in".
            if m["kind"] == MovementKind.IN.value:
                balance.out -= m["qty"]
            else:
                balance.returned -= m["qty"]
        elif m["kind"] == MovementKind.OUT.value:
            balance.out += m["qty"]
        elif m["kind"] == MovementKind.IN.value:
            balance.returned += m["qty"]
        elif m["kind"] == MovementKind.DAMAGED.value:
            balance.damaged += m["qty"]
        elif m["kind"] == MovementKind.MISSING.value:
            balance.missing += m["qty"]

    def record(
        self, scan: ScanIn, outcome: Outcome, rows: list[dict], received_at: datetime
    ) -> None:
        annul = scan.mode is ScanMode.ANNUL
        for m in rows:
            if m["project_id"] is not None:
                self._count(m, annul=annul)
            if m["unit_id"] is not None and scan.annuls_scan_id is not None:
                self._undo_position(scan.annuls_scan_id, m["unit_id"])
                self.set_by[m["unit_id"]] = scan.scan_id
            elif m["unit_id"] is not None:
                # Where the unit was before this scan: an undo later in the batch goes back.
                self.undo_positions.setdefault((scan.scan_id, m["unit_id"]), self.position(
                    m["unit_id"]
                ))
                status = status_of(m["kind"])
                self.positions[m["unit_id"]] = UnitPosition(
                    status, m["project_id"] if status != "available" else None
                )
                self.set_by[m["unit_id"]] = scan.scan_id
        # A later scan of this batch may annul this one (or be refused: it was rejected).
        self.targets[scan.scan_id] = AnnulTarget(
            scan.scan_id,
            scan.station_id,
            scan.mode.value,
            received_at,
            outcome.status.value,
            [
                {k: m[k] for k in ("kind", "product_id", "unit_id", "project_id", "qty")}
                for m in rows
            ],
        )
        if scan.annuls_scan_id is not None and outcome.status is not ScanStatus.REJECTED:
            self.annulled_by[scan.annuls_scan_id] = scan.scan_id


# -- what load() reads, one concern each ----------------------------------------------------


def _normalize_codes(
    scans: list[ScanIn],
) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """Each scan's normalized code and case code; a code that does not parse is an error."""
    normalized: dict[uuid.UUID, str] = {}
    code_errors: dict[uuid.UUID, str] = {}
    for scan in scans:
        if scan.mode is ScanMode.ANNUL:
            continue
        try:
            normalized[scan.scan_id] = normalize_code(scan.code, scan.symbology).value
        except BarcodeError as exc:
            code_errors[scan.scan_id] = str(exc)
    pack_codes: dict[uuid.UUID, str] = {}
    for scan in scans:
        if scan.case_code is not None:
            try:
                pack_codes[scan.scan_id] = normalize_code(scan.case_code).value
            except BarcodeError as exc:
                code_errors[scan.scan_id] = f"case code: {exc}"
    return normalized, pack_codes, code_errors


def _load_pick_lists(
    session: Session, project_ids: list[uuid.UUID]
) -> tuple[
    dict[tuple[uuid.UUID, uuid.UUID], int], dict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]]
]:
    """The projects' pick quantities and named units, per (project, product)."""
    pick_qty = {
        (p, prod): qty
        for p, prod, qty in session.execute(
            select(PickLine.project_id, PickLine.product_id, PickLine.qty).where(
                one_of(session, PickLine.project_id, project_ids)
            )
        )
    }
    named: dict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]] = {}
    for p, unit_id, product_id in session.execute(
        select(PickUnit.project_id, PickUnit.unit_id, Unit.product_id)
        .join(Unit, Unit.id == PickUnit.unit_id)
        .where(one_of(session, PickUnit.project_id, project_ids))
    ):
        named.setdefault((p, product_id), set()).add(unit_id)
    return pick_qty, named


def _load_codes(
    session: Session, codes: list[str]
) -> tuple[dict[str, UnitRow], dict[str, CaseRow], dict[str, UnitRow]]:
    """The units, cases (with the units inside) and bulk products the codes name."""
    units: dict[str, UnitRow] = {}
    for uid, pid, barcode in session.execute(
        select(Unit.id, Unit.product_id, Unit.barcode).where(one_of(session, Unit.barcode, codes))
    ):
        units[barcode] = UnitRow(uid, pid, barcode)
    contents: dict[uuid.UUID, list[UnitRow]] = {}
    case_rows = session.execute(
        select(Case.id, Case.barcode, Case.name, Case.kind).where(
            one_of(session, Case.barcode, codes)
        )
    ).all()
    if case_rows:
        for case_id, uid, pid, barcode in session.execute(
            select(CaseUnit.case_id, Unit.id, Unit.product_id, Unit.barcode)
            .join(Unit, Unit.id == CaseUnit.unit_id)
            .where(one_of(session, CaseUnit.case_id, [row.id for row in case_rows]))
            .order_by(Unit.barcode)
        ):
            contents.setdefault(case_id, []).append(UnitRow(uid, pid, barcode))
    cases: dict[str, CaseRow] = {}
    for case_id, barcode, name, kind in case_rows:
        inside = contents.get(case_id, [])
        cases[barcode] = CaseRow(case_id, barcode, name, kind, tuple(u.id for u in inside))
        for unit in inside:
            units.setdefault(unit.barcode, unit)
    bulk: dict[str, UnitRow] = {}
    for product_id, code in session.execute(
        select(Product.id, Product.barcode).where(
            one_of(session, Product.barcode, codes), Product.tracking == "bulk"
        )
    ):
        assert code is not None  # it matched one of ``codes``
        bulk[code] = UnitRow(product_id, product_id, code)
    return units, cases, bulk


def _load_annul_targets(
    session: Session, target_ids: list[uuid.UUID], unit_by_id: dict[uuid.UUID, UnitRow]
) -> tuple[dict[uuid.UUID, AnnulTarget], dict[uuid.UUID, uuid.UUID]]:
    """The stored scans the batch's annuls name, with their movements (their units join
    ``unit_by_id``), and which of them an earlier annul already took back."""
    targets: dict[uuid.UUID, AnnulTarget] = {}
    for row in session.scalars(select(Scan).where(one_of(session, Scan.scan_id, target_ids))):
        if row.status == "pending":
            continue  # claimed by this very batch: decided in memory below
        targets[row.scan_id] = AnnulTarget(
            row.scan_id, row.station_id, row.mode, row.received_at, row.status, []
        )
    for m in session.scalars(
        select(Movement)
        .where(one_of(session, Movement.scan_id, list(targets)))
        .order_by(Movement.id)
    ):
        assert m.scan_id is not None  # it matched one of the targets
        targets[m.scan_id].movements.append(
            {
                "kind": m.kind,
                "product_id": m.product_id,
                "unit_id": m.unit_id,
                "project_id": m.project_id,
                "qty": m.qty,
            }
        )
        if m.unit_id is not None:
            unit_by_id.setdefault(m.unit_id, UnitRow(m.unit_id, m.product_id, ""))
    annulled_by = {
        target: annul
        for target, annul in session.execute(
            select(Scan.annuls_scan_id, Scan.scan_id).where(
                one_of(session, Scan.annuls_scan_id, target_ids),
                Scan.status.in_([ScanStatus.APPLIED.value, ScanStatus.CONFLICT.value]),
            )
        )
        if target is not None  # it matched one of ``target_ids``
    }
    return targets, annulled_by
