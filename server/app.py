"""The FastAPI app factory: settings in, a wired app out (no globals, so tests build many)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from server.config import Settings, get_settings
from server.console.app import create_console
from server.db import make_engine, make_session_factory
from server.edge import refuse_bad_input
from server.errors import install_error_handlers
from server.exports import metrics as export_metrics
from server.exports.router import router as exports_router
from server.exports.schedule import start_scheduler
from server.identity.admin import router as identity_admin_router
from server.identity.audit_trail import router as audit_router
from server.identity.kiosk_reports import StationCollector
from server.identity.router import router as auth_router
from server.invoicing.router import router as invoicing_router
from server.openapi import declare_error_responses
from server.ops.docs import install_docs
from server.ops.logging import configure_logging
from server.ops.metrics import Metrics
from server.ops.middleware import (
    SECURITY_HEADERS,
    BodySizeLimitMiddleware,
    DefaultHeadersMiddleware,
    RequestContextMiddleware,
)
from server.ops.router import router as ops_router
from server.ops.versioning import VERSION_HEADERS, check_client_protocol
from server.payments.metrics import MoneyCollector
from server.payments.providers import PROVIDERS, ProviderSet
from server.payments.ratelimit import WebhookLimits
from server.payments.recheck import RecheckLoop
from server.payments.router import router as payments_router
from server.payments.webhooks import SeenCache
from server.warehouse.admin import router as warehouse_admin_router
from server.warehouse.crew_routes import router as crew_router
from server.warehouse.feed import feed_for
from server.warehouse.router import router as warehouse_router
from shared.version import __version__


class RentGuyAPI(FastAPI):
    """FastAPI with the request context and security headers wrapped around *everything*.

    ``add_middleware`` places middleware inside Starlette's ``ServerErrorMiddleware``, so
    the unhandled-error handler, its log line and its 500 answer ran outside them: no
    request id, no headers. Here they wrap the whole stack instead.
    """

    def build_middleware_stack(self):
        stack = super().build_middleware_stack()
        stack = DefaultHeadersMiddleware(stack, SECURITY_HEADERS + VERSION_HEADERS)
        return RequestContextMiddleware(
            stack, metrics=self.state.metrics, trusted_proxies=self.state.settings.trusted_proxies
        )


def serve_app() -> FastAPI:
    """The app ``rentguy-server serve`` runs (an import string for uvicorn): each worker
    process builds its own from the environment, with logging set up in that process."""
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return create_app(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    providers = ProviderSet.from_settings(settings)
    scan_feed = feed_for(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        loop = None
        if settings.payments_reconcile_interval > 0:
            loop = RecheckLoop(
                factory=session_factory,
                providers=providers,
                interval=settings.payments_reconcile_interval,
            )
            loop.start()
        scheduler = start_scheduler(session_factory=_app.state.session_factory, settings=settings)
        yield
        if scheduler is not None:
            scheduler.set()
        if loop is not None:
            loop.stop()
        scan_feed.close()
        engine.dispose()

    app = RentGuyAPI(
        lifespan=lifespan,
        title="RentGuy Kiosk server",
        version=__version__,
        description="Scan ingest, reference sync, identity, payments and exports.",
        # FastAPI's own docs routes are off; install_docs adds them behind a setting.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # Before every route: a protocol we speak (else a precise 426/409, before the body
        # is read), and no NUL/lone surrogate/int64 overflow gets past the edge.
        dependencies=[Depends(check_client_protocol), Depends(refuse_bad_input)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.payment_providers = providers
    app.state.webhook_seen = SeenCache()
    app.state.metrics = Metrics(
        collectors=[MoneyCollector(session_factory), StationCollector(session_factory)],
        process_collectors=export_metrics.COLLECTORS,
        webhook_providers=PROVIDERS,
    )
    app.state.webhook_limits = WebhookLimits.from_settings(settings)
    app.state.scan_feed = scan_feed

    install_error_handlers(app)
    if settings.docs_on:
        install_docs(app)
    app.include_router(ops_router)
    app.include_router(warehouse_router)
    app.include_router(warehouse_admin_router)
    app.include_router(auth_router)
    app.include_router(identity_admin_router)
    app.include_router(crew_router)
    app.include_router(audit_router)
    app.include_router(invoicing_router)
    app.include_router(payments_router)
    app.include_router(exports_router)
    declare_error_responses(app)
    # The browser console: its own app (HTML errors, not in the API's OpenAPI document).
    app.mount("/console", create_console(app))

    # Inside RentGuyAPI's request context: the request id exists before the size check answers.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)

    return app
