"""``/healthz`` (process up), ``/readyz`` (database and migrations), ``/metrics``."""

from __future__ import annotations

import hmac
import ipaddress
import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from server.errors import NotFound, Unauthorized
from server.migrations import current_revision, head_revision
from server.ops.proxies import client_ip, is_trusted
from shared.protocol import MIN_PROTOCOL_VERSION, PROTOCOL_VERSION
from shared.version import __version__

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict:
    # The pid says which worker process answered (``serve --workers N``). The versions say
    # which kiosks this server can take (the rule: shared.protocol).
    return {
        "status": "ok",
        "pid": os.getpid(),
        "version": __version__,
        "protocol": {
            "current": PROTOCOL_VERSION,
            "accepts": [MIN_PROTOCOL_VERSION, PROTOCOL_VERSION],
        },
    }


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


_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _check_metrics_access(request: Request) -> None:
    """``RENTGUY_METRICS_TOKEN`` set: the bearer token or 401. Not set: anyone outside
    production; in production only a direct loopback client (a sidecar, a local scraper)."""
    settings = request.app.state.settings
    if not settings.metrics_enabled:
        raise NotFound("no metrics here")
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("/metrics needs RENTGUY_METRICS_TOKEN as a bearer token")
        return
    if settings.environment != "production":
        return
    proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    if proxied or not is_trusted(client_ip(request), _LOOPBACK):
        # As if absent: production does not advertise an unauthenticated metrics page.
        raise NotFound("no metrics here")


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> Response:
    _check_metrics_access(request)
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
