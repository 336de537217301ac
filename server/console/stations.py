"""Stations: enrol (a one-time code, also as a QR code for the kiosk's camera), rename,
revoke, last seen. A thin view over ``server.identity.stations``."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter
from pydantic import ValidationError

from server.console.codes import qr_svg
from server.console.web import (
    Ctx,
    Pager,
    StationsAdmin,
    form_data,
    page_number,
    redirect,
    render,
    schema_errors,
    service_error,
    text_fields,
)
from server.errors import AppError
from server.identity import stations
from server.identity.schemas import EnrollmentCreate, StationRename
from server.paging import page_rows

router = APIRouter(prefix="/stations")
DONE = {"renamed": "Saved.", "revoked": "Revoked"}


def _page(ctx: Ctx, *, status: int = 200, **values):
    pager_page = page_number(ctx.request.query_params.get("page"))
    by_name = stations.stations_query()
    rows, total = page_rows(ctx.db, by_name, limit=50, offset=(pager_page - 1) * 50)
    done = DONE.get(ctx.request.query_params.get("done", ""))
    values.setdefault("errors", {})
    values.setdefault("form", {"name": "", "ttl_minutes": "60"})
    return render(
        ctx,
        "stations.html",
        status=status,
        stations=rows,
        pager=Pager(pager_page, total),
        notice=ctx._(done) if done else None,
        **values,
    )


@router.get("", include_in_schema=False)
def list_page(ctx: StationsAdmin):
    return _page(ctx)


@router.post("/enrollments", include_in_schema=False)
def enrol(ctx: StationsAdmin):
    values, errors = text_fields(ctx.form, "name", "ttl_minutes")
    if not errors:
        try:
            body = EnrollmentCreate.model_validate(
                form_data(
                    EnrollmentCreate,
                    {"name": values["name"], "ttl_minutes": values["ttl_minutes"] or "60"},
                )
            )
        except ValidationError as exc:
            errors = schema_errors(exc)
    if errors:
        return _page(ctx, status=400, errors=errors, form=values)
    try:
        enrollment, code = stations.create_enrollment(
            session=ctx.db,
            name=body.name,
            ttl=timedelta(minutes=body.ttl_minutes),
            actor=ctx.actor,
        )
    except AppError as exc:
        return _page(
            ctx, status=exc.status_code, errors={"name": service_error(ctx, exc)}, form=values
        )
    return _page(
        ctx,
        status=201,
        enrollment=enrollment,
        code=code,
        # The code as typed at the kiosk: its camera reads the QR code into the same field.
        code_qr=qr_svg(code, title=code),
    )


@router.post("/{station_id}/rename", include_in_schema=False)
def rename(station_id: uuid.UUID, ctx: StationsAdmin):
    values, errors = text_fields(ctx.form, "name")
    station = stations.require_station(session=ctx.db, station_id=station_id)
    if not errors:
        try:
            body = StationRename.model_validate(form_data(StationRename, {"name": values["name"]}))
            stations.rename_station(
                session=ctx.db, station=station, name=body.name, actor=ctx.actor
            )
        except ValidationError as exc:
            errors = schema_errors(exc)
        except AppError as exc:
            errors = {"name": service_error(ctx, exc)}
    if errors:
        return _page(
            ctx,
            status=400 if "name" in errors else 409,
            rename_errors={str(station_id): errors.get("name")},
            rename_values={str(station_id): values["name"]},
        )
    return redirect("/console/stations", done="renamed")


@router.post("/{station_id}/revoke", include_in_schema=False)
def revoke(station_id: uuid.UUID, ctx: StationsAdmin):
    station = stations.require_station(session=ctx.db, station_id=station_id)
    stations.revoke_station(session=ctx.db, station=station, actor=ctx.actor)
    return redirect("/console/stations", done="revoked")
