"""Scheduled export runs: ``RENTGUY_EXPORT_SCHEDULE='{"moneybird": "02:00", "exact": "02:30"}'``
(times in UTC). Every server process runs the same small loop; the database decides:
a target runs once per scheduled day, and never twice at a time (``claim_run``)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.config import Settings
from server.db import transaction, utcnow
from server.errors import AppError
from server.exports.models import ExportRun, Target
from server.exports.service import run_export
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


def tick(*, session_factory: sessionmaker[Session], settings: Settings, now=None) -> list:
    """Start every due run, one after the other in this thread; return the runs."""
    schedule = parse_schedule(settings.export_schedule)
    with transaction(session_factory) as session:
        targets = due_targets(session=session, schedule=schedule, now=now or utcnow())
    runs = []
    for target in targets:
        try:
            runs.append(
                run_export(
                    session_factory=session_factory,
                    settings=settings,
                    target=target,
                    source=document_source(session_factory),
                    trigger="schedule",
                )
            )
        except AppError as exc:  # another process runs it, or it is not configured
            log.warning("scheduled %s export not started: %s", target.value, exc.message)
    return runs


def start_scheduler(
    *, session_factory: sessionmaker[Session], settings: Settings
) -> threading.Event | None:
    """A daemon thread ticking every minute; set the returned event to stop it."""
    if not settings.export_schedule:
        return None
    parse_schedule(settings.export_schedule)  # fail at startup, not at 02:00
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(TICK_SECONDS):
            try:
                tick(session_factory=session_factory, settings=settings)
            except Exception:  # keep the loop alive; the next tick tries again
                log.exception("export scheduler tick failed")

    threading.Thread(target=loop, name="export-scheduler", daemon=True).start()
    return stop
