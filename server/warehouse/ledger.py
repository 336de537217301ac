"""Read the movement ledger: where a unit is, how much of a product a project holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server.warehouse.models import Movement
from shared.protocol import MovementKind

_LOCATION_KINDS = (MovementKind.OUT.value, MovementKind.IN.value)


@dataclass(frozen=True, slots=True)
class UnitPosition:
    out: bool
    project_id: uuid.UUID | None


def unit_position(*, session: Session, unit_id: uuid.UUID) -> UnitPosition:
    """Where a unit is now: the latest out/in movement decides (ids are time-ordered)."""
    row = session.execute(
        select(Movement.kind, Movement.project_id)
        .where(Movement.unit_id == unit_id, Movement.kind.in_(_LOCATION_KINDS))
        .order_by(Movement.id.desc())
        .limit(1)
    ).first()
    if row is None or row.kind == MovementKind.IN.value:
        return UnitPosition(out=False, project_id=None)
    return UnitPosition(out=True, project_id=row.project_id)


def units_out(*, session: Session) -> dict[uuid.UUID, uuid.UUID]:
    """Every unit that is out now, mapped to the project it is out on."""
    ranked = (
        select(
            Movement.unit_id,
            Movement.kind,
            Movement.project_id,
            func.row_number()
            .over(partition_by=Movement.unit_id, order_by=Movement.id.desc())
            .label("rank"),
        )
        .where(Movement.unit_id.is_not(None), Movement.kind.in_(_LOCATION_KINDS))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.unit_id, ranked.c.project_id).where(
            ranked.c.rank == 1, ranked.c.kind == MovementKind.OUT.value
        )
    )
    return {unit_id: project_id for unit_id, project_id in rows}


def project_product_balance(
    *, session: Session, project_id: uuid.UUID
) -> dict[uuid.UUID, tuple[int, int]]:
    """Per product on a project: (quantity sent out, quantity returned)."""
    sent = func.sum(case((Movement.kind == MovementKind.OUT.value, Movement.qty), else_=0))
    returned = func.sum(case((Movement.kind == MovementKind.IN.value, Movement.qty), else_=0))
    rows = session.execute(
        select(Movement.product_id, sent, returned)
        .where(Movement.project_id == project_id)
        .group_by(Movement.product_id)
    )
    return {product_id: (int(out or 0), int(back or 0)) for product_id, out, back in rows}
