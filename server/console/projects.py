"""Projects: search and list; a project's pick-list progress per line and per unit, its
return report and crew; create and edit projects and pick lists. A thin view over
``server.warehouse.projects`` (the same schemas decide what is valid)."""

from __future__ import annotations

import uuid
from typing import get_args

from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy import select

from server.console.web import (
    Ctx,
    Pager,
    ProjectsReader,
    ProjectsWriter,
    form_data,
    page_number,
    redirect,
    render,
    schema_errors,
    service_error,
    text_fields,
)
from server.errors import AppError
from server.identity.models import User
from server.paging import page_rows
from server.warehouse import crew, projects
from server.warehouse.inventory import unit_outs
from server.warehouse.models import Product, Unit
from server.warehouse.schemas import PickList, ProjectCreate, ProjectStatus, ProjectUpdate

router = APIRouter(prefix="/projects")
STATUSES = list(get_args(ProjectStatus))
FIELDS = ("name", "customer", "starts_on", "ends_on", "status")


@router.get("", include_in_schema=False)
def project_list(ctx: ProjectsReader):
    q, _errors = text_fields(ctx.request.query_params, "q", "status")
    status = q["status"] if q["status"] in STATUSES else None
    page = page_number(ctx.request.query_params.get("page"))
    by_start = projects.projects_query(status=status, q=q["q"][:100] or None, active_on=None)
    rows, total = page_rows(ctx.db, by_start, limit=50, offset=(page - 1) * 50)
    return render(
        ctx,
        "projects.html",
        projects=rows,
        pager=Pager(page, total),
        q=q["q"],
        chosen_status=status,
        statuses=STATUSES,
    )


def _form_page(ctx: Ctx, *, project=None, values=None, errors=None, status=200):
    return render(
        ctx,
        "project_form.html",
        status=status,
        project=project,
        form=values or {},
        errors=errors or {},
        statuses=STATUSES,
    )


@router.get("/new", include_in_schema=False)
def new_form(ctx: ProjectsWriter):
    return _form_page(ctx, values={"status": "planned"})


def _project_values(ctx: Ctx) -> tuple[dict, dict]:
    values, errors = text_fields(ctx.form, *FIELDS)
    return values, errors


def _clean(values: dict) -> dict:
    # An empty date field means "no date"; the schema decides everything else.
    return {k: (v or None) if k in ("starts_on", "ends_on") else v for k, v in values.items()}


@router.post("", include_in_schema=False)
def create(ctx: ProjectsWriter):
    values, errors = _project_values(ctx)
    if not errors:
        try:
            data = ProjectCreate.model_validate(form_data(ProjectCreate, _clean(values)))
            project = projects.create_project(session=ctx.db, data=data)
            return redirect(f"/console/projects/{project.id}", done="saved")
        except ValidationError as exc:
            errors = schema_errors(exc)
        except AppError as exc:
            errors = {"name": service_error(ctx, exc)}
    return _form_page(ctx, values=values, errors=errors, status=400)


@router.get("/{project_id}/edit", include_in_schema=False)
def edit_form(project_id: uuid.UUID, ctx: ProjectsWriter):
    project = projects.get_project(session=ctx.db, project_id=project_id)
    values = {k: "" if getattr(project, k) is None else str(getattr(project, k)) for k in FIELDS}
    return _form_page(ctx, project=project, values=values)


@router.post("/{project_id}", include_in_schema=False)
def update(project_id: uuid.UUID, ctx: ProjectsWriter):
    project = projects.get_project(session=ctx.db, project_id=project_id)
    values, errors = _project_values(ctx)
    if not errors:
        try:
            data = ProjectUpdate.model_validate(form_data(ProjectUpdate, _clean(values)))
            projects.update_project(session=ctx.db, project_id=project_id, data=data)
            return redirect(f"/console/projects/{project_id}", done="saved")
        except ValidationError as exc:
            errors = schema_errors(exc)
        except AppError as exc:
            errors = {"ends_on": service_error(ctx, exc)}
    return _form_page(ctx, project=project, values=values, errors=errors, status=400)


def _pick_text(ctx: Ctx, project) -> tuple[str, str]:
    """The pick list as the planner edits it: "SKU quantity" and unit barcodes, a line each."""
    ids = [line.product_id for line in project.pick_lines]
    skus = dict(ctx.db.execute(select(Product.id, Product.sku).where(Product.id.in_(ids))).all())
    ordered = sorted(project.pick_lines, key=lambda line: skus.get(line.product_id, ""))
    lines = "\n".join(
        f"{skus.get(line.product_id, line.product_id)} {line.qty}" for line in ordered
    )
    unit_ids = [p.unit_id for p in project.pick_units]
    codes = ctx.db.scalars(select(Unit.barcode).where(Unit.id.in_(unit_ids)).order_by(Unit.barcode))
    return lines, "\n".join(codes)


def _detail(ctx: Ctx, project_id: uuid.UUID, *, status: int = 200, **values):
    project = projects.get_project(session=ctx.db, project_id=project_id)
    report = projects.return_report(session=ctx.db, project_id=project_id)
    pick_units = list(
        ctx.db.scalars(
            select(Unit)
            .where(Unit.id.in_([p.unit_id for p in project.pick_units]))
            .order_by(Unit.barcode)
        )
    )
    unit_rows = unit_outs(session=ctx.db, units=pick_units)
    assignments = list(ctx.db.scalars(crew.assignments_query(project_id=project_id).limit(100)))
    people = dict(
        ctx.db.execute(
            select(User.id, User.name).where(User.id.in_({a.user_id for a in assignments}))
        ).all()
    )
    lines_text, units_text = _pick_text(ctx, project)
    values.setdefault("pick_errors", {})
    values.setdefault("pick_form", {"lines": lines_text, "units": units_text})
    done = ctx.request.query_params.get("done")
    return render(
        ctx,
        "project.html",
        status=status,
        project=project,
        report=report,
        unit_rows=unit_rows,
        assignments=assignments,
        people=people,
        notice=ctx._("Saved.") if done == "saved" else None,
        **values,
    )


@router.get("/{project_id}", include_in_schema=False)
def detail(project_id: uuid.UUID, ctx: ProjectsReader):
    return _detail(ctx, project_id)


@router.post("/{project_id}/pick-list", include_in_schema=False)
def set_pick_list(project_id: uuid.UUID, ctx: ProjectsWriter):
    raw, errors = text_fields(ctx.form, "lines", "units")
    line_items: list[tuple[str, str]] = []
    for number, text in enumerate(raw["lines"].splitlines(), 1):
        parts = text.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[1].isdigit():
            errors.setdefault("lines", f"line {number}: write “SKU quantity”")
            continue
        line_items.append((parts[0], parts[1]))
    codes = [c.strip() for c in raw["units"].splitlines() if c.strip()]
    skus = dict(
        ctx.db.execute(
            select(Product.sku, Product.id).where(Product.sku.in_([s for s, _q in line_items]))
        ).all()
    )
    units = dict(ctx.db.execute(select(Unit.barcode, Unit.id).where(Unit.barcode.in_(codes))).all())
    unknown = [s for s, _q in line_items if s not in skus]
    if unknown and "lines" not in errors:
        errors["lines"] = "unknown SKU: " + ", ".join(unknown[:10])
    missing = [c for c in codes if c not in units]
    if missing:
        errors["units"] = "unknown unit: " + ", ".join(missing[:10])
    if not errors:
        try:
            pick = PickList.model_validate(
                form_data(
                    PickList,
                    {
                        "lines": [{"product_id": skus[s], "qty": q} for s, q in line_items],
                        "unit_ids": [units[c] for c in codes],
                    },
                )
            )
            projects.set_pick_list(session=ctx.db, project_id=project_id, pick_list=pick)
            return redirect(f"/console/projects/{project_id}", done="saved")
        except ValidationError as exc:
            errors = {"lines": "; ".join(schema_errors(exc).values())}
        except AppError as exc:
            errors = {"lines": service_error(ctx, exc)}
    return _detail(ctx, project_id, status=400, pick_errors=errors, pick_form=raw)
