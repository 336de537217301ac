"""Inventory: products with stock, units (status, where, ledger history), cases and
their contents, and the damaged/missing queue. A thin view over
``server.warehouse.inventory`` (statuses come from the ledger, never stored)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import func, select

from server.console.web import InventoryReader, Pager, page_number, render, text_fields
from server.paging import page_rows
from server.warehouse import inventory
from server.warehouse.ledger import UNIT_STATUSES
from server.warehouse.models import Product, Project, Unit

router = APIRouter(prefix="/inventory")
TABS = ("products", "units", "cases", "queue")


@router.get("", include_in_schema=False)
def inventory_page(ctx: InventoryReader):
    q, _errors = text_fields(ctx.request.query_params, "tab", "q", "status")
    tab = q["tab"] if q["tab"] in TABS else "products"
    search = q["q"][:100] or None
    page = page_number(ctx.request.query_params.get("page"))
    offset = (page - 1) * 50
    values: dict = {"tab": tab, "q": q["q"], "statuses": UNIT_STATUSES}
    if tab == "products":
        by_sku = inventory.products_query(q=search, category=None, tracking=None)
        products, total = page_rows(ctx.db, by_sku, limit=50, offset=offset)
        values["products"] = products
        values["unit_counts"] = _unit_counts(ctx, products)
    elif tab == "units":
        status = q["status"] if q["status"] in UNIT_STATUSES else None
        units, total = inventory.list_units(
            session=ctx.db,
            product_id=None,
            status=status,
            q=search,
            project_id=None,
            offset=offset,
            limit=50,
        )
        values |= {"units": units, "chosen_status": status}
    elif tab == "cases":
        cases, total = page_rows(
            ctx.db, inventory.cases_query(kind=None, q=search), limit=50, offset=offset
        )
        values["cases"] = [inventory.case_out(case) for case in cases]
        unit_ids = [u for case in values["cases"] for u in case.unit_ids]
        values["unit_codes"] = dict(
            ctx.db.execute(select(Unit.id, Unit.barcode).where(Unit.id.in_(unit_ids))).all()
        )
    else:  # the damaged/missing queue: units whose last counted movement says so
        stmt = select(Unit).order_by(Unit.barcode)
        if search:
            stmt = stmt.where(Unit.barcode.ilike(inventory._like(search), escape="\\"))
        set_aside, total = inventory.set_aside_units(
            session=ctx.db, statuses=["damaged", "missing"], stmt=stmt, offset=offset, limit=50
        )
        values["units"] = set_aside
    if tab in ("units", "queue"):
        values |= _names(ctx, values["units"])
    return render(ctx, "inventory.html", pager=Pager(page, int(total or 0)), **values)


def _unit_counts(ctx, products) -> dict:
    """Units per serialized product. Their statuses are not derived here: that is every
    unit's ledger (0.7 s for a page of 50 products at 50,000 units); the units tab
    filters by status instead."""
    ids = [p.id for p in products if p.tracking == "serialized"]
    return (
        dict(
            ctx.db.execute(
                select(Unit.product_id, func.count())
                .where(Unit.product_id.in_(ids))
                .group_by(Unit.product_id)
            ).all()
        )
        if ids
        else {}
    )


def _names(ctx, units) -> dict:
    products = dict(
        ctx.db.execute(
            select(Product.id, Product.name).where(Product.id.in_({u.product_id for u in units}))
        ).all()
    )
    project_ids = {u.project_id for u in units if u.project_id}
    projects = (
        dict(
            ctx.db.execute(
                select(Project.id, Project.name).where(Project.id.in_(project_ids))
            ).all()
        )
        if project_ids
        else {}
    )
    return {"product_names": products, "project_names": projects}


@router.get("/units/{unit_id}", include_in_schema=False)
def unit(unit_id: uuid.UUID, ctx: InventoryReader):
    detail = inventory.unit_detail(session=ctx.db, unit_id=unit_id)
    product = inventory.get_product(session=ctx.db, product_id=detail.product_id)
    project_ids = {m.project_id for m in detail.movements if m.project_id}
    if detail.project_id:
        project_ids.add(detail.project_id)
    projects = (
        dict(
            ctx.db.execute(
                select(Project.id, Project.name).where(Project.id.in_(project_ids))
            ).all()
        )
        if project_ids
        else {}
    )
    return render(ctx, "unit.html", unit=detail, product=product, project_names=projects)
