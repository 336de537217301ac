"""Projects: customer, dates, status, pick list; and what the ledger says about them.

``project_status`` answers "expected vs out vs returned vs missing/damaged" per product;
``return_report`` adds, once a project comes back, the units still out, the damaged and
missing ones and every scan that was flagged for review.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from server.db import get_or_404
from server.errors import BadRequest, NotFound
from server.integrity import delete_row
from server.warehouse.inventory import _like, unit_outs
from server.warehouse.ledger import has_annul, project_balances
from server.warehouse.models import Movement, PickLine, PickUnit, Product, Project, Scan, Unit
from server.warehouse.schemas import (
    PickLineOut,
    PickList,
    ProductStatus,
    ProjectCreate,
    ProjectOut,
    ProjectStatusOut,
    ProjectUpdate,
    ReturnReport,
    ScanRow,
)


def project_out(project: Project) -> ProjectOut:
    return ProjectOut(
        id=project.id,
        name=project.name,
        customer=project.customer,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        status=project.status,
        pick_lines=[
            PickLineOut(product_id=line.product_id, qty=line.qty)
            for line in sorted(project.pick_lines, key=lambda line: str(line.product_id))
        ],
        unit_ids=sorted((p.unit_id for p in project.pick_units), key=str),
    )


def projects_query(
    *,
    status: str | None,
    q: str | None,
    active_on: date | None,
) -> Select[Project]:
    stmt = select(Project)
    if status:
        stmt = stmt.where(Project.status == status)
    if q:
        stmt = stmt.where(or_(Project.name.ilike(_like(q)), Project.customer.ilike(_like(q))))
    if active_on:
        stmt = stmt.where(
            or_(Project.starts_on.is_(None), Project.starts_on <= active_on),
            or_(Project.ends_on.is_(None), Project.ends_on >= active_on),
        )
    return stmt.order_by(Project.starts_on, Project.name)


def get_project(*, session: Session, project_id: uuid.UUID) -> Project:
    return get_or_404(session, Project, project_id, f"no project {project_id}")


def create_project(*, session: Session, data: ProjectCreate) -> Project:
    project = Project(**data.model_dump(exclude={"pick_list"}))
    session.add(project)
    session.flush()
    if data.pick_list is not None:
        set_pick_list(session=session, project_id=project.id, pick_list=data.pick_list)
    return project


def update_project(*, session: Session, project_id: uuid.UUID, data: ProjectUpdate) -> Project:
    project = get_project(session=session, project_id=project_id)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(project, key, value)
    if project.starts_on and project.ends_on and project.ends_on < project.starts_on:
        raise BadRequest("ends_on is before starts_on")
    session.flush()
    return project


def delete_project(*, session: Session, project_id: uuid.UUID) -> None:
    project = get_project(session=session, project_id=project_id)
    if session.scalar(select(Movement.id).where(Movement.project_id == project_id).limit(1)):
        raise BadRequest("the project has movements; set its status to cancelled or closed")
    delete_row(session, project, f"project {project.name}")


def set_pick_list(*, session: Session, project_id: uuid.UUID, pick_list: PickList) -> Project:
    """Replace the pick list: product x qty lines, plus optional named units."""
    project = get_project(session=session, project_id=project_id)
    lines: dict[uuid.UUID, int] = {}
    for line in pick_list.lines:
        lines[line.product_id] = lines.get(line.product_id, 0) + line.qty
    known = set(session.scalars(select(Product.id).where(Product.id.in_(list(lines)))))
    unknown = [p for p in lines if p not in known]
    if unknown:
        raise NotFound(f"no product {unknown[0]}")
    units = {
        uid: pid
        for uid, pid in session.execute(
            select(Unit.id, Unit.product_id).where(Unit.id.in_(pick_list.unit_ids))
        )
    }
    if len(units) != len(set(pick_list.unit_ids)):
        missing = next(u for u in pick_list.unit_ids if u not in units)
        raise NotFound(f"no unit {missing}")
    for uid, pid in units.items():
        named = sum(1 for other in units.values() if other == pid)
        if lines.get(pid, 0) < named:
            raise BadRequest(
                f"unit {uid} is named but its product has fewer than {named} on the pick list"
            )
    by_product = {line.product_id: line for line in project.pick_lines}
    project.pick_lines = [line for line in project.pick_lines if line.product_id in lines]
    for pid, qty in lines.items():
        if pid in by_product:
            by_product[pid].qty = qty
        else:
            project.pick_lines.append(PickLine(product_id=pid, qty=qty))
    have = {p.unit_id for p in project.pick_units}
    project.pick_units = [p for p in project.pick_units if p.unit_id in units]
    project.pick_units.extend(PickUnit(unit_id=u) for u in units if u not in have)
    session.flush()
    return project


def project_status(*, session: Session, project_id: uuid.UUID) -> ProjectStatusOut:
    project = get_project(session=session, project_id=project_id)
    balances = {
        pid: b
        for (_, pid), b in project_balances(session=session, project_ids=[project.id]).items()
    }
    expected = {line.product_id: line.qty for line in project.pick_lines}
    product_ids = list(dict.fromkeys([*expected, *balances]))
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.id.in_(product_ids)))
    }
    lines = []
    for pid in sorted(product_ids, key=lambda p: products[p].sku):
        b = balances.get(pid)
        lines.append(
            ProductStatus(
                product_id=pid,
                sku=products[pid].sku,
                name=products[pid].name,
                expected=expected.get(pid, 0),
                out=b.out if b else 0,
                returned=b.returned if b else 0,
                on_site=b.on_site if b else 0,
                damaged=b.damaged if b else 0,
                missing=b.missing if b else 0,
            )
        )
    touched = session.scalars(
        select(Unit).where(
            Unit.id.in_(
                select(Movement.unit_id)
                .where(Movement.project_id == project.id, Movement.unit_id.is_not(None))
                .distinct()
            )
        )
    ).all()
    units = [u for u in unit_outs(session=session, units=list(touched))]
    on_project = [u for u in units if u.project_id == project.id]
    bulk_open = any(line.on_site - line.missing > 0 for line in lines if line.on_site)
    undone = session.scalars(
        select(Scan)
        .where(Scan.project_id == project.id, Scan.scan_id.in_(_annulled_ids()))
        .order_by(Scan.station_id, Scan.seq)
    ).all()
    return ProjectStatusOut(
        project_id=project.id,
        status=project.status,
        lines=lines,
        units_out=sorted((u for u in on_project if u.status == "out"), key=lambda u: u.barcode),
        complete=not any(u.status == "out" for u in on_project) and not bulk_open,
        undone_scans=scan_rows(session=session, scans=undone),
    )


def _annulled_ids():
    """Scan ids an applied annul undid (a refused annul undid nothing)."""
    return select(Scan.annuls_scan_id).where(
        has_annul(Scan.annuls_scan_id), Scan.status.in_(["applied", "conflict"])
    )


def scan_rows(*, session: Session, scans: Sequence[Scan]) -> list[ScanRow]:
    """``ScanRow``s, each with the annul that undid it (if one did)."""
    by = (
        dict(
            session.execute(
                select(Scan.annuls_scan_id, Scan.scan_id).where(
                    Scan.annuls_scan_id.in_([s.scan_id for s in scans]),
                    Scan.status.in_(["applied", "conflict"]),
                )
            ).all()
        )
        if scans
        else {}
    )
    return [
        ScanRow.model_validate(s).model_copy(update={"annulled_by": by.get(s.scan_id)})
        for s in scans
    ]


def return_report(*, session: Session, project_id: uuid.UUID) -> ReturnReport:
    status = project_status(session=session, project_id=project_id)
    touched = session.scalars(
        select(Unit).where(
            Unit.id.in_(select(Movement.unit_id).where(Movement.project_id == project_id))
        )
    ).all()
    units = sorted(unit_outs(session=session, units=list(touched)), key=lambda u: u.barcode)
    flagged = session.scalars(
        select(Scan)
        .where(Scan.project_id == project_id, Scan.status.in_(["conflict", "rejected"]))
        .order_by(Scan.station_id, Scan.seq)
    ).all()
    return ReturnReport(
        **status.model_dump(),
        not_returned=[u for u in units if u.status == "out" and u.project_id == project_id],
        damaged_units=[u for u in units if u.status == "damaged"],
        missing_units=[u for u in units if u.status == "missing"],
        flagged_scans=scan_rows(session=session, scans=list(flagged)),
    )


def scans_query(
    *,
    station_id: uuid.UUID | None,
    project_id: uuid.UUID | None,
    status: str | None,
    attribution: str | None = None,
) -> Select[Scan]:
    """Scans matching the filters, newest first (``server.paging`` pages them)."""
    stmt = select(Scan)
    if attribution:
        stmt = stmt.where(Scan.attribution == attribution)
    if station_id:
        stmt = stmt.where(Scan.station_id == station_id)
    if project_id:
        stmt = stmt.where(Scan.project_id == project_id)
    if status:
        stmt = stmt.where(Scan.status == status)
    return stmt.order_by(Scan.received_at.desc(), Scan.seq.desc())
