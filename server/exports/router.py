"""Export runs over HTTP: start one, follow its progress, read its report."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import Response

from server.deps import ExportsRunner, PagingDep, SessionDep, SettingsDep
from server.exports import service
from server.exports.reconciliation.report import render_csv, render_html, run_summary
from server.exports.sources import document_source
from server.ops.docs import html_page
from server.paging import Page, paged

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
TargetName = Literal["moneybird", "exact"]


@router.post("/{target}/runs", status_code=202)
def start_run(
    target: TargetName,
    request: Request,
    session: SessionDep,
    actor: ExportsRunner,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> dict:
    """Start a run on a worker thread; 409 while another run of this target is alive."""
    run, launch = service.start_manual_run(
        session=session,
        session_factory=request.app.state.session_factory,
        settings=settings,
        target=service.parse_target(target),
        source=document_source(request.app.state.session_factory),
        actor_user_id=actor.user_id,
        ip=actor.ip,
    )
    background.add_task(launch)  # after the response: the run row is committed by then
    return run_summary(run)


@router.get("/{target}/runs", response_model=Page[dict[str, Any]])
def list_runs(
    target: TargetName, session: SessionDep, _: ExportsRunner, paging: PagingDep
) -> Page[dict[str, Any]]:
    """The target's runs, newest first, each as ``GET .../runs/{run_id}`` answers it."""
    newest_first = service.runs_query(target=service.parse_target(target))
    return paged(session, newest_first, paging, run_summary)


@router.get("/{target}/runs/{run_id}")
def get_run(target: TargetName, run_id: uuid.UUID, session: SessionDep, _: ExportsRunner) -> dict:
    """Status, progress (0..1) and an ETA in seconds derived from the target's rate limit."""
    return run_summary(
        service.get_run(session=session, target=service.parse_target(target), run_id=run_id)
    )


@router.get("/{target}/runs/{run_id}/report")
def get_report(
    target: TargetName,
    run_id: uuid.UUID,
    session: SessionDep,
    _: ExportsRunner,
    format: Literal["html", "csv"] = Query(default="html"),
) -> Response:
    run = service.get_run(session=session, target=service.parse_target(target), run_id=run_id)
    if format == "csv":
        return Response(
            render_csv(run),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="export-{run.id}.csv"'},
        )
    # The report's one inline <style>, allowed by its hash; nothing else may load.
    return html_page(render_html(run))
