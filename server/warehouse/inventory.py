"""Inventory admin services: products, serialized units, bulk stock, cases.

Statuses and stock are read from the ledger (``ledger``); the only way to change a
unit's status here is to append a movement (``set_unit_status``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.orm import Session

from server.db import get_or_404, one_of, utcnow
from server.errors import BadRequest, Conflict, NotFound
from server.integrity import delete_row
from server.paging import page_rows
from server.warehouse.ledger import AVAILABLE, UNIT_STATUSES, counted, unit_positions
from server.warehouse.models import Case, CaseUnit, Movement, PickUnit, Product, Unit
from server.warehouse.schemas import (
    CaseCreate,
    CaseOut,
    CaseUpdate,
    MovementRow,
    ProductCreate,
    ProductOut,
    ProductUpdate,
    UnitCreate,
    UnitDetail,
    UnitOut,
    UnitUpdate,
)
from shared.barcodes import BarcodeError, normalize_code
from shared.protocol import MovementKind


def normalized(code: str) -> str:
    """The stored form of a label (shared.barcodes), or 400 with why it is not one."""
    try:
        return normalize_code(code).value
    except BarcodeError as exc:
        raise BadRequest(f"invalid barcode {code!r}: {exc}", code="invalid_barcode") from exc


def _code_taken(session: Session, code: str, *, own: uuid.UUID | None = None) -> None:
    """One label names one thing: a unit, a case or a bulk product."""
    for model in (Unit, Case, Product):
        found = session.scalar(select(model.id).where(model.barcode == code))
        if found is not None and found != own:
            raise Conflict(f"barcode {code!r} is already used by a {model.__tablename__[:-1]}")


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# -- products ------------------------------------------------------------------------------


def product_stock(session: Session, products: list[Product]) -> dict[uuid.UUID, dict[str, int]]:
    """Per product: serialized -> units per status; bulk -> owned/out/damaged/missing."""
    ids = [p.id for p in products]
    stock: dict[uuid.UUID, dict[str, int]] = {p.id: {} for p in products}
    serial = [p.id for p in products if p.tracking == "serialized"]
    if serial:
        units = session.execute(
            select(Unit.id, Unit.product_id).where(Unit.product_id.in_(serial))
        ).all()
        positions = unit_positions(session=session, unit_ids=[u for u, _ in units])
        for pid in serial:
            stock[pid] = dict.fromkeys(UNIT_STATUSES, 0) | {"total": 0}
        for uid, pid in units:
            stock[pid][positions.get(uid, AVAILABLE).status] += 1
            stock[pid]["total"] += 1
    bulk = {p.id: p for p in products if p.tracking == "bulk"}
    if bulk:
        sums = {
            (pid, kind): int(total or 0)
            for pid, kind, total in session.execute(
                select(Movement.product_id, Movement.kind, func.sum(Movement.qty))
                .where(Movement.product_id.in_(list(bulk)), Movement.unit_id.is_(None), counted())
                .group_by(Movement.product_id, Movement.kind)
            )
        }
        for pid, product in bulk.items():
            on_site = sums.get((pid, "out"), 0) - sums.get((pid, "in"), 0)
            damaged = sums.get((pid, "damaged"), 0)
            missing = sums.get((pid, "missing"), 0)
            stock[pid] = {
                "total": product.stock_qty,
                "out": on_site,
                "damaged": damaged,
                "missing": missing,
                "available": product.stock_qty - on_site - damaged - missing,
            }
    del ids
    return stock


def product_out(session: Session, products: list[Product]) -> list[ProductOut]:
    stock = product_stock(session, products)
    return [
        ProductOut.model_validate(p).model_copy(update={"stock": stock[p.id]}) for p in products
    ]


def products_query(*, q: str | None, category: str | None, tracking: str | None) -> Select[Product]:
    """Products matching the filters, by SKU (``server.paging`` pages them)."""
    stmt = select(Product)
    if q:
        stmt = stmt.where(or_(Product.name.ilike(_like(q)), Product.sku.ilike(_like(q))))
    if category:
        stmt = stmt.where(Product.category == category)
    if tracking:
        stmt = stmt.where(Product.tracking == tracking)
    return stmt.order_by(Product.sku)


def get_product(*, session: Session, product_id: uuid.UUID) -> Product:
    return get_or_404(session, Product, product_id, f"no product {product_id}")


def create_product(*, session: Session, data: ProductCreate) -> Product:
    if session.scalar(select(Product.id).where(Product.sku == data.sku)) is not None:
        raise Conflict(f"a product with sku {data.sku!r} already exists")
    values = data.model_dump()
    if data.barcode:
        values["barcode"] = normalized(data.barcode)
        _code_taken(session, values["barcode"])
    product = Product(**values)
    session.add(product)
    session.flush()
    return product


def update_product(*, session: Session, product_id: uuid.UUID, data: ProductUpdate) -> Product:
    product = get_product(session=session, product_id=product_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("barcode"):
        changes["barcode"] = normalized(changes["barcode"])
        _code_taken(session, changes["barcode"], own=product.id)
    if "stock_qty" in changes and product.tracking != "bulk" and changes["stock_qty"]:
        raise BadRequest("stock_qty is for bulk products; serialized stock is its units")
    for key, value in changes.items():
        setattr(product, key, value)
    session.flush()
    return product


def delete_product(*, session: Session, product_id: uuid.UUID) -> None:
    product = get_product(session=session, product_id=product_id)
    for model, what in ((Unit, "units"), (Movement, "movements")):
        if session.scalar(select(model.id).where(model.product_id == product_id).limit(1)):
            raise Conflict(f"product {product.sku} has {what}; it cannot be deleted")
    delete_row(session, product, f"product {product.sku}")


# -- units ---------------------------------------------------------------------------------


def _unit_outs(session: Session, units: list[Unit]) -> list[UnitOut]:
    ids = [u.id for u in units]
    positions = unit_positions(session=session, unit_ids=ids)
    cases = dict(
        session.execute(
            select(CaseUnit.unit_id, CaseUnit.case_id).where(CaseUnit.unit_id.in_(ids))
        ).all()
    )
    out = []
    for unit in units:
        pos = positions.get(unit.id, AVAILABLE)
        out.append(
            UnitOut(
                id=unit.id,
                product_id=unit.product_id,
                barcode=unit.barcode,
                serial=unit.serial,
                status=pos.status,
                project_id=pos.project_id,
                case_id=cases.get(unit.id),
            )
        )
    return out


def unit_outs(*, session: Session, units: list[Unit]) -> list[UnitOut]:
    return _unit_outs(session, units)


SET_ASIDE = ("damaged", "missing", "maintenance")
# The partial index ix_movements_set_aside (migration 0020) is used only when the query
# says its condition in these very words (SQLite does not match bound values).
_SET_ASIDE_SQL = "movements.kind IN ('damaged', 'missing', 'maintenance')"


def set_aside_units(
    *,
    session: Session,
    statuses: list[str],
    stmt: Select[Unit] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[UnitOut], int]:
    """Units now damaged, missing or in maintenance (``statuses``), by barcode.

    Few units are, and each got there by a movement of that kind: only those candidates'
    positions are derived, not every unit's (12 s → ms at 50,000 units)."""
    candidates = session.scalars(
        select(Movement.unit_id)
        .where(
            text(_SET_ASIDE_SQL),
            Movement.kind.in_(statuses),
            Movement.unit_id.is_not(None),
            counted(),
        )
        .distinct()
    ).all()
    positions = unit_positions(session=session, unit_ids=[c for c in candidates if c is not None])
    ids = [unit_id for unit_id, pos in positions.items() if pos.status in statuses]
    if not ids:
        return [], 0
    stmt = (stmt if stmt is not None else select(Unit).order_by(Unit.barcode)).where(
        one_of(session, Unit.id, ids)
    )
    units, total = page_rows(session, stmt, limit=limit, offset=offset)
    return _unit_outs(session, units), total


def list_units(
    *,
    session: Session,
    product_id: uuid.UUID | None,
    status: str | None,
    q: str | None,
    project_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[list[UnitOut], int]:
    stmt = select(Unit)
    if product_id:
        stmt = stmt.where(Unit.product_id == product_id)
    if q:
        stmt = stmt.where(or_(Unit.barcode.ilike(_like(q)), Unit.serial.ilike(_like(q))))
    stmt = stmt.order_by(Unit.barcode)
    if status in SET_ASIDE and project_id is None:
        return set_aside_units(
            session=session, statuses=[status], stmt=stmt, offset=offset, limit=limit
        )
    if status is None and project_id is None:
        units, total = page_rows(session, stmt, limit=limit, offset=offset)
        return _unit_outs(session, units), total
    # Status is derived, so the filter runs on the derived rows.
    rows = [
        u
        for u in _unit_outs(session, list(session.scalars(stmt)))
        if (status is None or u.status == status)
        and (project_id is None or u.project_id == project_id)
    ]
    return rows[offset : offset + limit], len(rows)


def get_unit(*, session: Session, unit_id: uuid.UUID) -> Unit:
    return get_or_404(session, Unit, unit_id, f"no unit {unit_id}")


def unit_detail(*, session: Session, unit_id: uuid.UUID) -> UnitDetail:
    unit = get_unit(session=session, unit_id=unit_id)
    [base] = _unit_outs(session, [unit])
    movements = session.scalars(
        select(Movement).where(Movement.unit_id == unit_id).order_by(Movement.id)
    ).all()
    # The whole ledger, undo included; what an undo took back is marked as not counting.
    counting = set(
        session.scalars(select(Movement.id).where(Movement.unit_id == unit_id, counted()))
    )
    return UnitDetail(
        **base.model_dump(),
        movements=[
            MovementRow.model_validate(m).model_copy(update={"counted": m.id in counting})
            for m in movements
        ],
    )


def create_unit(*, session: Session, data: UnitCreate) -> Unit:
    product = get_product(session=session, product_id=data.product_id)
    if product.tracking != "serialized":
        raise BadRequest(f"product {product.sku} is bulk: it has no units")
    code = normalized(data.barcode)
    _code_taken(session, code)
    unit = Unit(product_id=product.id, barcode=code, serial=data.serial)
    session.add(unit)
    session.flush()
    return unit


def update_unit(*, session: Session, unit_id: uuid.UUID, data: UnitUpdate) -> Unit:
    unit = get_unit(session=session, unit_id=unit_id)
    if data.barcode is not None:
        code = normalized(data.barcode)
        _code_taken(session, code, own=unit.id)
        unit.barcode = code
    if data.serial is not None:
        unit.serial = data.serial
    session.flush()
    return unit


def delete_unit(*, session: Session, unit_id: uuid.UUID) -> None:
    unit = get_unit(session=session, unit_id=unit_id)
    if session.scalar(select(Movement.id).where(Movement.unit_id == unit_id).limit(1)):
        raise Conflict(f"unit {unit.barcode} has movements; mark it missing instead")
    for model in (CaseUnit, PickUnit):
        for row in session.scalars(select(model).where(model.unit_id == unit_id)):
            session.delete(row)
    session.flush()
    delete_row(session, unit, f"unit {unit.barcode}")


def set_unit_status(
    *, session: Session, unit_id: uuid.UUID, status: str, note: str, user_id: uuid.UUID
) -> Movement:
    """Append the movement that gives a unit ``status`` (from an admin, not a scan)."""
    unit = get_unit(session=session, unit_id=unit_id)
    position = unit_positions(session=session, unit_ids=[unit.id]).get(unit.id, AVAILABLE)
    if position.out and status == "available":
        raise Conflict(f"unit {unit.barcode} is out on a project; check it in at a station")
    kind = MovementKind.IN.value if status == "available" else status
    movement = Movement(
        kind=kind,
        product_id=unit.product_id,
        unit_id=unit.id,
        # A unit reported missing while out stays attributed to its project.
        project_id=position.project_id if kind == MovementKind.MISSING.value else None,
        qty=1,
        user_id=user_id,
        note=note or None,
        created_at=utcnow(),
    )
    session.add(movement)
    session.flush()
    return movement


# -- cases ---------------------------------------------------------------------------------


def case_out(case: Case) -> CaseOut:
    return CaseOut(
        id=case.id,
        barcode=case.barcode,
        name=case.name,
        kind=case.kind,
        unit_ids=sorted((c.unit_id for c in case.contents), key=str),
    )


def cases_query(*, kind: str | None, q: str | None) -> Select[Case]:
    stmt = select(Case)
    if kind:
        stmt = stmt.where(Case.kind == kind)
    if q:
        stmt = stmt.where(or_(Case.name.ilike(_like(q)), Case.barcode.ilike(_like(q))))
    return stmt.order_by(Case.barcode)


def get_case(*, session: Session, case_id: uuid.UUID) -> Case:
    return get_or_404(session, Case, case_id, f"no case {case_id}")


def create_case(*, session: Session, data: CaseCreate) -> Case:
    code = normalized(data.barcode)
    _code_taken(session, code)
    case = Case(barcode=code, name=data.name, kind=data.kind)
    session.add(case)
    session.flush()
    set_case_contents(session=session, case_id=case.id, unit_ids=data.unit_ids)
    return case


def update_case(*, session: Session, case_id: uuid.UUID, data: CaseUpdate) -> Case:
    case = get_case(session=session, case_id=case_id)
    if data.barcode is not None:
        code = normalized(data.barcode)
        _code_taken(session, code, own=case.id)
        case.barcode = code
    if data.name is not None:
        case.name = data.name
    session.flush()
    return case


def set_case_contents(*, session: Session, case_id: uuid.UUID, unit_ids: list[uuid.UUID]) -> Case:
    """Replace a case's contents. A unit is in at most one case: 409 names the other."""
    case = get_case(session=session, case_id=case_id)
    wanted = list(dict.fromkeys(unit_ids))
    found = set(session.scalars(select(Unit.id).where(Unit.id.in_(wanted))))
    missing = [u for u in wanted if u not in found]
    if missing:
        raise NotFound(f"no unit {missing[0]}", details={"unknown_unit_ids": missing})
    elsewhere = session.execute(
        select(CaseUnit.unit_id, CaseUnit.case_id).where(
            CaseUnit.unit_id.in_(wanted), CaseUnit.case_id != case.id
        )
    ).first()
    if elsewhere is not None:
        raise Conflict(f"unit {elsewhere.unit_id} is already in case {elsewhere.case_id}")
    case.contents = [c for c in case.contents if c.unit_id in wanted]
    have = {c.unit_id for c in case.contents}
    case.contents.extend(CaseUnit(unit_id=u) for u in wanted if u not in have)
    session.flush()
    return case


def delete_case(*, session: Session, case_id: uuid.UUID) -> None:
    case = get_case(session=session, case_id=case_id)
    delete_row(session, case, f"case {case.barcode}")
