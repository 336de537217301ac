"""Admin API for inventory, cases, projects and scans (paged, filtered). Routers stay thin:
the work is in ``inventory``, ``projects`` and ``feed``."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from server.deps import (
    InventoryReader,
    InventoryWriter,
    PagingDep,
    ProjectsReader,
    ProjectsWriter,
    ScansReader,
    SessionDep,
)
from server.paging import Page, paged, paged_rows
from server.warehouse import inventory, projects
from server.warehouse.schemas import (
    CaseContents,
    CaseCreate,
    CaseOut,
    CaseUpdate,
    MovementRow,
    PickList,
    ProductCreate,
    ProductOut,
    ProductUpdate,
    ProjectCreate,
    ProjectOut,
    ProjectStatusOut,
    ProjectUpdate,
    ReturnReport,
    ScanRow,
    UnitCreate,
    UnitDetail,
    UnitOut,
    UnitStatusChange,
    UnitUpdate,
)
from shared.json_input import IsoDate
from shared.protocol import Attribution

router = APIRouter(prefix="/api/v1", tags=["warehouse admin"])

Search = Annotated[str | None, Query(max_length=200)]


# -- products ------------------------------------------------------------------------------


@router.get("/products", response_model=Page[ProductOut])
def list_products(
    _: InventoryReader,
    session: SessionDep,
    paging: PagingDep,
    q: Search = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    tracking: Literal["serialized", "bulk"] | None = None,
):
    by_sku = inventory.products_query(q=q, category=category, tracking=tracking)
    return paged_rows(session, by_sku, paging, partial(inventory.product_out, session))


@router.post("/products", response_model=ProductOut, status_code=201)
def create_product(data: ProductCreate, _: InventoryWriter, session: SessionDep):
    product = inventory.create_product(session=session, data=data)
    return inventory.product_out(session, [product])[0]


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: uuid.UUID, _: InventoryReader, session: SessionDep):
    product = inventory.get_product(session=session, product_id=product_id)
    return inventory.product_out(session, [product])[0]


@router.patch("/products/{product_id}", response_model=ProductOut)
def update_product(
    product_id: uuid.UUID, data: ProductUpdate, _: InventoryWriter, session: SessionDep
):
    product = inventory.update_product(session=session, product_id=product_id, data=data)
    return inventory.product_out(session, [product])[0]


@router.delete("/products/{product_id}", status_code=204)
def delete_product(product_id: uuid.UUID, _: InventoryWriter, session: SessionDep):
    inventory.delete_product(session=session, product_id=product_id)
    return Response(status_code=204)


# -- units ---------------------------------------------------------------------------------


@router.get("/units", response_model=Page[UnitOut])
def list_units(
    _: InventoryReader,
    session: SessionDep,
    paging: PagingDep,
    product_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    status: Literal["available", "out", "damaged", "missing", "maintenance"] | None = None,
    q: Search = None,
):
    items, total = inventory.list_units(
        session=session,
        product_id=product_id,
        project_id=project_id,
        status=status,
        q=q,
        offset=paging.offset,
        limit=paging.limit,
    )
    return Page.of(items, total, paging)


@router.post("/units", response_model=UnitOut, status_code=201)
def create_unit(data: UnitCreate, _: InventoryWriter, session: SessionDep):
    unit = inventory.create_unit(session=session, data=data)
    return inventory.unit_outs(session=session, units=[unit])[0]


@router.get("/units/{unit_id}", response_model=UnitDetail)
def get_unit(unit_id: uuid.UUID, _: InventoryReader, session: SessionDep):
    return inventory.unit_detail(session=session, unit_id=unit_id)


@router.patch("/units/{unit_id}", response_model=UnitOut)
def update_unit(unit_id: uuid.UUID, data: UnitUpdate, _: InventoryWriter, session: SessionDep):
    unit = inventory.update_unit(session=session, unit_id=unit_id, data=data)
    return inventory.unit_outs(session=session, units=[unit])[0]


@router.delete("/units/{unit_id}", status_code=204)
def delete_unit(unit_id: uuid.UUID, _: InventoryWriter, session: SessionDep):
    inventory.delete_unit(session=session, unit_id=unit_id)
    return Response(status_code=204)


@router.post("/units/{unit_id}/status", response_model=MovementRow, status_code=201)
def set_unit_status(
    unit_id: uuid.UUID, data: UnitStatusChange, actor: InventoryWriter, session: SessionDep
):
    """Mark a unit damaged, missing, in maintenance or available (appends a movement)."""
    return inventory.set_unit_status(
        session=session, unit_id=unit_id, status=data.status, note=data.note, user_id=actor.user_id
    )


# -- cases ---------------------------------------------------------------------------------


@router.get("/cases", response_model=Page[CaseOut])
def list_cases(
    _: InventoryReader,
    session: SessionDep,
    paging: PagingDep,
    kind: Literal["fixed", "kit"] | None = None,
    q: Search = None,
):
    by_barcode = inventory.cases_query(kind=kind, q=q)
    return paged(session, by_barcode, paging, inventory.case_out)


@router.post("/cases", response_model=CaseOut, status_code=201)
def create_case(data: CaseCreate, _: InventoryWriter, session: SessionDep):
    return inventory.case_out(inventory.create_case(session=session, data=data))


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(case_id: uuid.UUID, _: InventoryReader, session: SessionDep):
    return inventory.case_out(inventory.get_case(session=session, case_id=case_id))


@router.patch("/cases/{case_id}", response_model=CaseOut)
def update_case(case_id: uuid.UUID, data: CaseUpdate, _: InventoryWriter, session: SessionDep):
    return inventory.case_out(inventory.update_case(session=session, case_id=case_id, data=data))


@router.put("/cases/{case_id}/contents", response_model=CaseOut)
def set_case_contents(
    case_id: uuid.UUID, data: CaseContents, _: InventoryWriter, session: SessionDep
):
    """Replace what is in a case (fixed: moves with it; kit: what is expected in it)."""
    case = inventory.set_case_contents(session=session, case_id=case_id, unit_ids=data.unit_ids)
    return inventory.case_out(case)


@router.delete("/cases/{case_id}", status_code=204)
def delete_case(case_id: uuid.UUID, _: InventoryWriter, session: SessionDep):
    inventory.delete_case(session=session, case_id=case_id)
    return Response(status_code=204)


# -- projects ------------------------------------------------------------------------------


@router.get("/projects", response_model=Page[ProjectOut])
def list_projects(
    _: ProjectsReader,
    session: SessionDep,
    paging: PagingDep,
    status: Literal["planned", "active", "returned", "closed", "cancelled"] | None = None,
    q: Search = None,
    active_on: IsoDate | None = None,
):
    by_start = projects.projects_query(status=status, q=q, active_on=active_on)
    return paged(session, by_start, paging, projects.project_out)


@router.post("/projects", response_model=ProjectOut, status_code=201)
def create_project(data: ProjectCreate, _: ProjectsWriter, session: SessionDep):
    return projects.project_out(projects.create_project(session=session, data=data))


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(project_id: uuid.UUID, _: ProjectsReader, session: SessionDep):
    return projects.project_out(projects.get_project(session=session, project_id=project_id))


@router.patch("/projects/{project_id}", response_model=ProjectOut)
def update_project(
    project_id: uuid.UUID, data: ProjectUpdate, _: ProjectsWriter, session: SessionDep
):
    project = projects.update_project(session=session, project_id=project_id, data=data)
    return projects.project_out(project)


@router.delete("/projects/{project_id}", status_code=204)
def delete_project(project_id: uuid.UUID, _: ProjectsWriter, session: SessionDep):
    projects.delete_project(session=session, project_id=project_id)
    return Response(status_code=204)


@router.put("/projects/{project_id}/pick-list", response_model=ProjectOut)
def set_pick_list(project_id: uuid.UUID, data: PickList, _: ProjectsWriter, session: SessionDep):
    project = projects.set_pick_list(session=session, project_id=project_id, pick_list=data)
    return projects.project_out(project)


@router.get("/projects/{project_id}/status", response_model=ProjectStatusOut)
def project_status(project_id: uuid.UUID, _: ProjectsReader, session: SessionDep):
    """Per product: expected vs out vs returned vs damaged/missing, and the units out."""
    return projects.project_status(session=session, project_id=project_id)


@router.get("/projects/{project_id}/return-report", response_model=ReturnReport)
def return_report(project_id: uuid.UUID, _: ProjectsReader, session: SessionDep):
    return projects.return_report(session=session, project_id=project_id)


# -- scans ---------------------------------------------------------------------------------


@router.get("/scans", response_model=Page[ScanRow])
def list_scans(
    _: ScansReader,
    session: SessionDep,
    paging: PagingDep,
    station_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    status: Literal["applied", "conflict", "rejected"] | None = None,
    attribution: Attribution | None = None,
):
    """Scans, newest first. ``attribution=offline`` lists the scans made under an offline
    login, for review (issue 15)."""
    newest_first = projects.scans_query(
        station_id=station_id,
        project_id=project_id,
        status=status,
        attribution=attribution.value if attribution else None,
    )
    return paged_rows(
        session, newest_first, paging, lambda rows: projects.scan_rows(session=session, scans=rows)
    )


@router.get("/scans/stream", response_class=StreamingResponse)
async def scan_stream(
    _: ScansReader,
    request: Request,
    limit: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
):
    """Server-sent events: one ``scan`` event per newly applied/flagged/rejected scan.
    ``limit`` ends the stream after that many events (0: connect, then end — a probe)."""
    feed = request.app.state.scan_feed
    return StreamingResponse(
        feed.stream(limit=limit),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
