"""The live board: scans as they arrive (SSE), stations, scans awaiting review, and
scans per 5 minutes per station over the last 8 hours. Fits a wall screen; its panels
refresh themselves (htmx polling), the scan list is pushed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from server.console.plots import Series, line_plot
from server.console.web import (
    LOCAL_TZ,
    Ctx,
    ScansReader,
    ScansReviewer,
    redirect,
    render,
    service_error,
    text_fields,
)
from server.db import utcnow
from server.errors import AppError
from server.identity.models import Station
from server.warehouse import review

router = APIRouter(prefix="/board")

# A kiosk syncs every few seconds and fetches reference data when idle: silent for this
# long, it counts as offline.
ONLINE_WITHIN = timedelta(minutes=2)
PLOT_HOURS = 8


def _stations(ctx: Ctx) -> list[Station]:
    return list(ctx.db.scalars(select(Station).order_by(Station.name).limit(200)))


def _station_rows(ctx: Ctx) -> list[dict]:
    now = utcnow()
    rows = []
    for station in _stations(ctx):
        online = (
            station.active
            and station.last_seen_at is not None
            and now - station.last_seen_at <= ONLINE_WITHIN
        )
        state = "revoked" if not station.active else "online" if online else "offline"
        rows.append({"station": station, "state": state})
    return rows


def _labels(ctx: Ctx) -> str:
    _ = ctx._
    words = ("applied", "conflict", "rejected", "duplicate", "out", "in", "audit")
    labels = {word: _(word) for word in words}
    labels |= {"connected": _("connected"), "reconnecting": _("reconnecting…")}
    return json.dumps(labels)


@router.get("", include_in_schema=False)
def board(ctx: ScansReader):
    stations = _stations(ctx)
    names = {str(s.id): s.name for s in stations}
    return render(
        ctx,
        "board.html",
        scans=review.recent_scans(session=ctx.db, limit=30),
        station_names=names,
        station_json=json.dumps(names),
        labels=_labels(ctx),
        **_stations_values(ctx),
        **_review_values(ctx),
        **_plot_values(ctx, stations),
    )


@router.get("/stream", include_in_schema=False)
async def stream(ctx: ScansReader, limit: Annotated[int | None, Query(ge=0, le=1_000_000)] = None):
    """The existing live scan feed (``server.warehouse.feed``) for this browser;
    ``limit`` ends it after that many scans (0: a probe)."""
    feed = ctx.request.app.state.scan_feed
    return StreamingResponse(
        feed.stream(limit=limit),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _stations_values(ctx: Ctx) -> dict:
    return {"station_rows": _station_rows(ctx)}


@router.get("/stations", include_in_schema=False)
def stations_panel(ctx: ScansReader):
    return render(ctx, "board_stations.html", **_stations_values(ctx))


def _review_values(ctx: Ctx, errors: dict | None = None, notes: dict | None = None) -> dict:
    scans, waiting = review.awaiting_review(session=ctx.db, limit=20)
    names = {s.id: s.name for s in _stations(ctx)}
    listed = {str(scan.scan_id) for scan in scans}
    # An error about a scan no longer listed (resolved meanwhile) shows above the list.
    message = next((text for key, text in (errors or {}).items() if key not in listed), None)
    return {
        "review_message": message,
        "reviews": scans,
        "waiting": waiting,
        "review_errors": errors or {},
        "review_notes": notes or {},
        "review_station_names": names,
    }


@router.get("/reviews", include_in_schema=False)
def reviews_panel(ctx: ScansReader):
    return render(ctx, "board_reviews.html", **_review_values(ctx))


@router.post("/reviews/{scan_id}", include_in_schema=False)
def resolve(scan_id: uuid.UUID, ctx: ScansReviewer):
    values, errors = text_fields(ctx.form, "note")
    status = 200
    if not errors:
        try:
            review.resolve(
                session=ctx.db,
                scan_id=scan_id,
                note=values["note"],
                actor=ctx.actor,
            )
        except AppError as exc:
            errors = {"note": service_error(ctx, exc)}
            status = exc.status_code
    if errors:
        status = status if status != 200 else 400
        return render(
            ctx,
            "board_reviews.html",
            status=status,
            **_review_values(
                ctx, errors={str(scan_id): errors["note"]}, notes={str(scan_id): values["note"]}
            ),
        )
    if not ctx.request.headers.get("hx-request"):
        return redirect("/console/board")
    return render(ctx, "board_reviews.html", **_review_values(ctx))


def _plot_values(ctx: Ctx, stations: list[Station] | None = None) -> dict:
    now = utcnow()
    state = ctx.request.app.state
    if not hasattr(state, "board_plot_buckets"):
        state.board_plot_buckets = {}  # this process's settled buckets (review.py)
    counts = review.scans_per_bucket(
        session=ctx.db, hours=PLOT_HOURS, now=now, closed=state.board_plot_buckets
    )
    last = int(now.timestamp()) // review.BUCKET_SECONDS
    steps = PLOT_HOURS * 3600 // review.BUCKET_SECONDS
    first = last - steps + 1
    names = {s.id: s.name for s in (stations if stations is not None else _stations(ctx))}
    series = [
        Series(
            names.get(station_id, str(station_id)[:8]),
            [buckets.get(b, 0) for b in range(first, last + 1)],
        )
        for station_id, buckets in sorted(counts.items(), key=lambda kv: names.get(kv[0], ""))
    ]
    labels = []
    for index in range(steps):
        moment = datetime.fromtimestamp((first + index) * review.BUCKET_SECONDS, UTC)
        local = moment.astimezone(LOCAL_TZ)
        if local.minute == 0 and local.hour % 2 == 0:
            labels.append((index, local.strftime("%H:%M")))
    return {"plot": line_plot(series=series, steps=steps, x_labels=labels)}


@router.get("/plot", include_in_schema=False)
def plot_panel(ctx: ScansReader):
    return render(ctx, "board_plot.html", **_plot_values(ctx))
