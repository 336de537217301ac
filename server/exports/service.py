"""Export runs as a service: build a target's client from settings, start (claim) a run,
execute it in the caller's thread or in the background, list and read runs."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from server.audit import service as audit
from server.config import Settings
from server.db import transaction
from server.errors import BadRequest, NotFound
from server.exports.crypto import TokenCipher
from server.exports.documents import DocumentSource
from server.exports.models import ExportRun, Target
from server.exports.runner import ExportRunner, claim_run
from server.exports.targets.error_budget import ErrorBudget
from server.exports.targets.exact.client import ExactClient
from server.exports.targets.exact.tokens import ExactTokenStore
from server.exports.targets.mapping import mapping_for
from server.exports.targets.moneybird.client import MoneybirdClient

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def parse_target(value: str) -> Target:
    try:
        return Target(value)
    except ValueError:
        raise BadRequest(f"unknown export target {value!r}: use moneybird or exact") from None


def check_configured(settings: Settings, target: Target) -> None:
    if target is Target.MONEYBIRD:
        missing = [
            name
            for name, value in (
                ("RENTGUY_MONEYBIRD_ADMINISTRATION_ID", settings.moneybird_administration_id),
                ("RENTGUY_MONEYBIRD_TOKEN", settings.moneybird_token.get_secret_value()),
            )
            if not value
        ]
    else:
        missing = [
            name
            for name, value in (
                ("RENTGUY_EXACT_DIVISION", settings.exact_division),
                ("RENTGUY_EXACT_CLIENT_ID", settings.exact_client_id),
                ("RENTGUY_EXACT_RECEIVABLES_GL_ACCOUNT", settings.exact_receivables_gl_account),
            )
            if not value
        ]
    if missing:
        raise BadRequest(f"{target.value} export is not configured: set {', '.join(missing)}")


def build_connector(
    *,
    settings: Settings,
    target: Target,
    session_factory: sessionmaker[Session],
    http: httpx.Client,
):
    mapping = mapping_for(settings, target)
    if target is Target.MONEYBIRD:
        return MoneybirdClient.from_settings(settings, http=http, mapping=mapping)
    tokens = exact_tokens(settings=settings, session_factory=session_factory, http=http)
    errors = ErrorBudget(
        session_factory=session_factory,
        target=target.value,
        threshold=settings.exact_errors_per_hour,
        hour=settings.exact_hour_seconds,
    )
    return ExactClient.from_settings(
        settings, http=http, mapping=mapping, tokens=tokens, errors=errors
    )


def exact_tokens(
    *, settings: Settings, session_factory: sessionmaker[Session], http: httpx.Client
) -> ExactTokenStore:
    return ExactTokenStore(
        session_factory=session_factory,
        http=http,
        token_url=f"{settings.exact_base_url.rstrip('/')}/api/oauth2/token",
        client_id=settings.exact_client_id,
        client_secret=settings.exact_client_secret.get_secret_value(),
        initial_refresh_token=settings.exact_refresh_token.get_secret_value(),
        cipher=TokenCipher.from_settings(settings),
    )


def execute_run(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    target: Target,
    source: DocumentSource,
    run_id: uuid.UUID,
    http: httpx.Client | None = None,
    crash_hook: Callable[[str, str], None] | None = None,
    on_progress: Callable[[ExportRun], None] | None = None,
) -> ExportRun:
    own = http is None
    http = http or httpx.Client(timeout=HTTP_TIMEOUT)
    try:
        connector = build_connector(
            settings=settings, target=target, session_factory=session_factory, http=http
        )
        runner = ExportRunner(
            session_factory=session_factory,
            connector=connector,
            source=source,
            crash_hook=crash_hook,
            on_progress=on_progress,
        )
        return runner.execute(run_id)
    finally:
        if own:
            http.close()


def claim_recorded(*, session: Session, target: Target, trigger: str) -> ExportRun:
    """``claim_run`` plus its audit line, in the caller's transaction (409 if taken)."""
    run = claim_run(session=session, target=target.value, trigger=trigger)
    audit.record(
        session=session,
        action="export.run_started",
        target_type="export_run",
        target_id=run.id,
        details={"target": target.value, "trigger": trigger},
    )
    return run


def run_export(
    *,
    session_factory: sessionmaker[Session],
    settings: Settings,
    target: Target,
    source: DocumentSource,
    trigger: str = "manual",
    **kwargs: Any,  # ExportRunner's hooks (crash_hook, on_progress)
) -> ExportRun:
    """Claim the target and run the export in this thread (CLI, tests)."""
    check_configured(settings, target)
    with transaction(session_factory) as session:
        run = claim_recorded(session=session, target=target, trigger=trigger)
    return execute_run(
        session_factory=session_factory,
        settings=settings,
        target=target,
        source=source,
        run_id=run.id,
        **kwargs,
    )


def start_background_run(
    *,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    target: Target,
    source: DocumentSource,
    trigger: str = "manual",
) -> tuple[ExportRun, Callable[[], None]]:
    """Claim the target in the request's transaction (409 if taken); returns the run and
    a function that starts the worker thread, to be called once that transaction has
    committed (a FastAPI background task), so the worker sees the run row."""
    check_configured(settings, target)
    run = claim_run(session=session, target=target.value, trigger=trigger)

    def launch() -> None:
        threading.Thread(
            target=execute_run,
            kwargs={
                "session_factory": session_factory,
                "settings": settings,
                "target": target,
                "source": source,
                "run_id": run.id,
            },
            name=f"export-{target.value}-{run.id}",
            daemon=True,
        ).start()

    return run, launch


def start_manual_run(
    *,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    target: Target,
    source: DocumentSource,
    actor_user_id: uuid.UUID,
    ip: str | None,
) -> tuple[ExportRun, Callable[[], None]]:
    """A person starts a run (the API or the console): claimed and audited in the
    request's transaction; call the returned launcher once it has committed."""
    run, launch = start_background_run(
        session=session,
        session_factory=session_factory,
        settings=settings,
        target=target,
        source=source,
    )
    audit.record(
        session=session,
        action="export.run_started",
        actor_user_id=actor_user_id,
        ip=ip,
        target_type="export_run",
        target_id=run.id,
        details={"target": target.value, "trigger": "manual"},
    )
    return run, launch


def get_run(*, session: Session, target: Target, run_id: uuid.UUID) -> ExportRun:
    run = session.get(ExportRun, run_id)
    if run is None or run.target != target.value:
        raise NotFound(f"no {target.value} export run {run_id}")
    return run


def runs_query(*, target: Target) -> Select[ExportRun]:
    """The target's runs, newest first (the API pages them; the console takes the first)."""
    return (
        select(ExportRun)
        .where(ExportRun.target == target.value)
        .order_by(ExportRun.started_at.desc(), ExportRun.id)
    )
