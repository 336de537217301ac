"""Exports: runs with a live progress bar and ETA, start a run, each run's report (with
its reconciliation), exported documents with filters, and calls against the target's
rate limit. A thin view over ``server.exports``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, BackgroundTasks
from sqlalchemy import func, select

from server.console.plots import Series, line_plot
from server.console.web import (
    LOCAL_TZ,
    Ctx,
    ExportsRunner,
    Pager,
    hx_redirect,
    page_number,
    render,
    service_error,
    text_fields,
)
from server.db import utcnow
from server.errors import AppError
from server.exports import service
from server.exports.models import ExportRecord, ExportRun, RecordKind, RecordStatus, Target
from server.exports.reconciliation.report import render_html
from server.exports.sources import document_source
from server.ops.docs import html_page
from server.ops.proxies import client_ip

router = APIRouter(prefix="/exports")
TARGETS = [t.value for t in Target]
BUCKET = 300
PLOT_HOURS = 8


def _runs(ctx: Ctx) -> list[ExportRun]:
    runs = [run for t in Target for run in ctx.db.scalars(service.runs_query(target=t).limit(20))]
    return sorted(runs, key=lambda run: run.started_at, reverse=True)[:30]


def _runs_values(ctx: Ctx) -> dict:
    runs = _runs(ctx)
    return {"runs": runs, "any_running": any(run.status == "running" for run in runs)}


@router.get("", include_in_schema=False)
def exports_page(ctx: ExportsRunner):
    return _page(ctx)


def _page(ctx: Ctx, status: int = 200, errors: dict | None = None):
    q, _errors = text_fields(ctx.request.query_params, "target", "kind", "status")
    page = page_number(ctx.request.query_params.get("page"))
    conditions = []
    if q["target"] in TARGETS:
        conditions.append(ExportRecord.target == q["target"])
    if q["kind"] in {k.value for k in RecordKind}:
        conditions.append(ExportRecord.kind == q["kind"])
    if q["status"] in {s.value for s in RecordStatus}:
        conditions.append(ExportRecord.status == q["status"])
    total = ctx.db.scalar(select(func.count()).select_from(ExportRecord).where(*conditions))
    documents = ctx.db.scalars(
        select(ExportRecord)
        .where(*conditions)
        .order_by(ExportRecord.updated_at.desc(), ExportRecord.id)
        .limit(50)
        .offset((page - 1) * 50)
    ).all()
    return render(
        ctx,
        "exports.html",
        status=status,
        errors=errors or {},
        targets=TARGETS,
        q=q,
        kinds=[k.value for k in RecordKind],
        statuses=[s.value for s in RecordStatus],
        documents=documents,
        pager=Pager(page, int(total or 0)),
        plot=_calls_plot(ctx),
        **_runs_values(ctx),
    )


@router.get("/runs", include_in_schema=False)
def runs_panel(ctx: ExportsRunner):
    """The runs table alone: the page polls it while a run is alive."""
    return render(ctx, "exports_runs.html", **_runs_values(ctx))


@router.post("/runs", include_in_schema=False)
def start(ctx: ExportsRunner, background: BackgroundTasks):
    values, errors = text_fields(ctx.form, "target")
    if values["target"] not in TARGETS:
        errors["target"] = " / ".join(TARGETS)
    if errors:
        return _page(ctx, status=400, errors=errors)
    try:
        _run, launch = service.start_manual_run(
            session=ctx.db,
            session_factory=ctx.request.app.state.session_factory,
            settings=ctx.settings,
            target=service.parse_target(values["target"]),
            source=document_source(ctx.request.app.state.session_factory),
            actor_user_id=ctx.user.id,
            ip=client_ip(ctx.request),
        )
    except AppError as exc:
        status = exc.status_code
        return _page(ctx, status=status, errors={"target": service_error(ctx, exc)})
    background.add_task(launch)  # after the answer: the run row has been committed
    return hx_redirect(ctx, "/console/exports")


@router.get("/runs/{run_id}/report", include_in_schema=False)
def report(run_id: uuid.UUID, ctx: ExportsRunner):
    """The run's report as the API serves it (its totals, failures, reconciliation)."""
    run = ctx.db.get(ExportRun, run_id)
    if run is None:
        from server.errors import NotFound

        raise NotFound(f"no export run {run_id}")
    return html_page(render_html(run))


def _calls_plot(ctx: Ctx):
    """API calls per 5 minutes per target (each run's calls spread evenly over its
    duration: runs count calls, not when each was made) against the target's limit."""
    now = utcnow()
    since = now - timedelta(hours=PLOT_HOURS)
    runs = ctx.db.scalars(
        select(ExportRun)
        .where(
            ExportRun.api_calls > 0,
            func.coalesce(ExportRun.finished_at, ExportRun.heartbeat_at) >= since,
        )
        .limit(1000)
    ).all()
    last = int(now.timestamp()) // BUCKET
    steps = PLOT_HOURS * 3600 // BUCKET
    first = last - steps + 1
    per_target: dict[str, list[float]] = {}
    for run in runs:
        start = run.started_at.timestamp()
        end = max((run.finished_at or run.heartbeat_at).timestamp(), start + 1)
        points = per_target.setdefault(run.target, [0.0] * steps)
        for b in range(max(first, int(start) // BUCKET), min(last, int(end) // BUCKET) + 1):
            overlap = min(end, (b + 1) * BUCKET) - max(start, b * BUCKET)
            if overlap > 0:
                points[b - first] += run.api_calls * overlap / (end - start)
    s = ctx.settings
    limit = int(s.moneybird_requests_per_window * BUCKET / s.moneybird_window_seconds)
    labels = []
    for index in range(steps):
        local = datetime.fromtimestamp((first + index) * BUCKET, UTC).astimezone(LOCAL_TZ)
        if local.minute == 0 and local.hour % 2 == 0:
            labels.append((index, local.strftime("%H:%M")))
    series = [Series(t, [round(v) for v in pts]) for t, pts in sorted(per_target.items())]
    return line_plot(series=series, steps=steps, x_labels=labels, limit=limit)
