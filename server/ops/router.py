"""``/healthz`` (process up), ``/readyz`` (database and migrations), ``/metrics``."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from server.migrations import current_revision, head_revision

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict:
    # The pid says which worker process answered (``serve --workers N``).
    return {"status": "ok", "pid": os.getpid()}


@router.get(
    "/readyz",
    responses={503: {"description": "database unreachable or migrations not current"}},
)
def readyz(request: Request) -> JSONResponse:
    engine = request.app.state.engine
    checks: dict[str, str] = {}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready", never a 500
        checks["database"] = f"unreachable: {type(exc).__name__}"
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    current, head = current_revision(engine), head_revision()
    if current != head:
        checks["migrations"] = f"at {current}, head is {head}: run `rentguy-server migrate`"
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    checks["migrations"] = f"at head ({head})"
    return JSONResponse({"status": "ok", "checks": checks})


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
