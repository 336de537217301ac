"""Scheduled export runs: ``RENTGUY_EXPORT_SCHEDULE='{"moneybird": "02:00", "exact": "02:30"}'``
(times in UTC). Every server process (each worker of ``serve --workers N``) runs the same
small loop, first at start-up, then every minute; the database decides. A target runs
never twice at a time (``claim_run``'s partial unique index) and once per scheduled day:
"is it due?" and the claim happen in one transaction, serialized across processes
(``lock_for_transaction``), so a process that checks after another one's run has already
finished sees that run instead of starting a second one."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.config import Settings
from server.db import LOCK_EXPORT_SCHEDULE, lock_for_transaction, transaction, utcnow
from server.errors import AppError
from server.exports.models import ExportRun, Target
from server.exports.service import check_configured, claim_recorded, execute_run
from server.exports.sources import document_source

log = logging.getLogger(__name__)
TICK_SECONDS = 60.0


def parse_schedule(raw: dict[str, str]) -> dict[Target, time]:
    schedule: dict[Target, time] = {}
    for name, hhmm in raw.items():
        try:
            hour, minute = (int(part) for part in str(hhmm).split(":"))
            schedule[Target(name)] = time(hour, minute)
        except ValueError:
            raise ValueError(f"RENTGUY_EXPORT_SCHEDULE: bad entry {name!r}: {hhmm!r}") from None
    return schedule


def due_targets(*, session: Session, schedule: dict[Target, time], now: datetime) -> list[Target]:
    """Targets whose time today has passed and that have no scheduled run since then."""
    due = []
    for target, at in schedule.items():
        slot = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
        if now < slot:
            continue
        ran = session.execute(
            select(ExportRun.id).where(
                ExportRun.target == target.value,
                ExportRun.trigger == "schedule",
                ExportRun.started_at >= slot,
            )
        ).first()
        if ran is None and now - slot < timedelta(hours=12):  # do not catch up stale days
            due.append(target)
    return due


def tick(
    *, session_factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> list[ExportRun]:
    """Start every due run, one after the other in this thread; return the runs."""
    schedule = parse_schedule(settings.export_schedule)
    runs = []
    for target, at in schedule.items():
        try:
            check_configured(settings, target)
            with transaction(session_factory) as session:
                lock_for_transaction(session, LOCK_EXPORT_SCHEDULE)
                due = due_targets(session=session, schedule={target: at}, now=now or utcnow())
                if not due:
                    continue
                run = claim_recorded(session=session, target=target, trigger="schedule")
        except AppError as exc:  # a manual run is going on, or it is not configured
            log.warning("scheduled %s export not started: %s", target.value, exc.message)
            continue
        log.info("scheduled %s export started (run %s)", target.value, run.id)
        runs.append(
            execute_run(
                session_factory=session_factory,
                settings=settings,
                target=target,
                source=document_source(session_factory),
                run_id=run.id,
            )
        )
    return runs


def start_scheduler(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> threading.Event | None:
    """A daemon thread ticking at start-up and then every minute; set the returned event
    to stop it."""
    if not settings.export_schedule:
        return None
    schedule = parse_schedule(settings.export_schedule)  # fail at startup, not at 02:00
    stop = threading.Event()

    def loop() -> None:
        first = True
        while first or not stop.wait(TICK_SECONDS):
            try:
                runs = tick(session_factory=session_factory, settings=settings)
            except Exception:  # keep the loop alive; the next tick tries again
                log.exception("export scheduler tick failed")
                runs = None
            if first:
                log.info(
                    "export scheduler running: %s UTC; first tick %s",
                    ", ".join(f"{t.value} {at:%H:%M}" for t, at in schedule.items()),
                    "failed" if runs is None else f"started {len(runs)} run(s)",
                )
            first = False

    threading.Thread(target=loop, name="export-scheduler", daemon=True).start()
    return stop
