"""The reference snapshot a station mirrors (``shared.reference``).

This first version always answers the full set with ``full: true``; the cursor it issues
is opaque to the kiosk (today a digest of the content), so a later delta version changes
nothing on the kiosk's side.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.identity.models import Station
from server.identity.service import active_badges
from server.warehouse.ledger import project_product_balance, units_out
from server.warehouse.models import Case, Product, Project, Unit
from shared.reference import (
    RefBadge,
    RefCase,
    ReferenceSnapshot,
    RefPickLine,
    RefProduct,
    RefProject,
    RefUnit,
)

OPEN_PROJECT_STATUSES = ("planned", "active")


def build_snapshot(
    *, session: Session, station: Station, badge_hash_key: bytes
) -> ReferenceSnapshot:
    """Everything a station needs to validate scans and log crew in without the server."""
    out = units_out(session=session)
    products = session.scalars(select(Product).order_by(Product.sku)).all()
    units = session.scalars(select(Unit).order_by(Unit.barcode)).all()
    cases = session.scalars(select(Case).order_by(Case.barcode)).all()
    projects = session.scalars(
        select(Project)
        .where(Project.status.in_(OPEN_PROJECT_STATUSES))
        .order_by(Project.starts_on, Project.name)
    ).all()
    ref_projects = []
    for project in projects:
        balance = project_product_balance(session=session, project_id=project.id)
        ref_projects.append(
            RefProject(
                id=project.id,
                name=project.name,
                customer=project.customer,
                starts_on=project.starts_on,
                ends_on=project.ends_on,
                status=project.status,
                pick_lines=[
                    RefPickLine(
                        product_id=line.product_id,
                        qty=line.qty,
                        out=balance.get(line.product_id, (0, 0))[0],
                        returned=balance.get(line.product_id, (0, 0))[1],
                    )
                    for line in project.pick_lines
                ],
            )
        )
    snapshot = ReferenceSnapshot(
        cursor="",
        full=True,
        station_id=station.id,
        badge_hash_key=badge_hash_key.hex(),
        products=[
            RefProduct(id=p.id, sku=p.sku, name=p.name, tracking=p.tracking, barcode=p.barcode)
            for p in products
        ],
        units=[
            RefUnit(
                id=u.id,
                product_id=u.product_id,
                barcode=u.barcode,
                status="out" if u.id in out else "available",
                project_id=out.get(u.id),
            )
            for u in units
        ],
        cases=[
            RefCase(
                id=c.id,
                barcode=c.barcode,
                name=c.name,
                kind=c.kind,
                unit_ids=[item.unit_id for item in c.contents],
            )
            for c in cases
        ],
        projects=ref_projects,
        badges=[
            RefBadge(hash=badge.code_hash, user_id=user.id, name=user.name, roles=user.role_names)
            for badge, user in active_badges(session=session)
        ],
    )
    # The cursor names the content, so an unchanged data set answers byte-identically
    # and the kiosk can skip rewriting its mirror.
    digest = hashlib.sha256(snapshot.model_dump_json().encode()).hexdigest()[:32]
    return snapshot.model_copy(update={"cursor": f"full:{digest}"})
