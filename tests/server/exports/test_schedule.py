"""Scheduled runs: once per day per target, at or after the configured UTC time."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from server.db import LOCK_EXPORT_SCHEDULE, lock_for_transaction, transaction
from server.exports.models import ExportRun, Target
from server.exports.schedule import due_targets, parse_schedule, tick
from tests.helpers.live_server import LiveServer
from tests.server.exports.conftest import MB_LEDGER, MB_TAX


def test_parse_schedule_rejects_bad_entries():
    assert parse_schedule({"exact": "02:30"}) == {Target.EXACT: datetime(2026, 1, 1, 2, 30).time()}
    with pytest.raises(ValueError, match="RENTGUY_EXPORT_SCHEDULE"):
        parse_schedule({"twinfield": "02:00"})
    with pytest.raises(ValueError):
        parse_schedule({"exact": "25:00"})


def test_tick_runs_a_due_target_once_per_day(session_factory, export_settings, fake_moneybird):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    slot = now - timedelta(minutes=1)
    if slot.date() != now.date():
        pytest.skip("the slot would be yesterday (the test runs in the minute after midnight)")
    settings = export_settings.model_copy(
        update={"export_schedule": {"moneybird": slot.strftime("%H:%M")}}
    )
    early = tick(
        session_factory=session_factory, settings=settings, now=slot - timedelta(seconds=1)
    )
    assert early == []
    runs = tick(session_factory=session_factory, settings=settings, now=now)
    assert [(r.target, r.trigger, r.status) for r in runs] == [
        ("moneybird", "schedule", "succeeded")
    ]
    # Another process ticking a minute later: today's run exists, nothing starts.
    assert (
        tick(session_factory=session_factory, settings=settings, now=now + timedelta(minutes=1))
        == []
    )
    with transaction(session_factory) as session:
        schedule = parse_schedule(settings.export_schedule)
        assert due_targets(session=session, schedule=schedule, now=now) == []


def _slot_a_minute_ago() -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    slot = now - timedelta(minutes=1)
    if slot.date() != now.date():
        pytest.skip("the slot would be yesterday (the test runs in the minute after midnight)")
    return slot, now


def test_the_due_check_waits_for_another_process_claim(
    session_factory, export_settings, fake_moneybird
):
    """A process that checks while another one claims sees that run, even when it has
    already finished: check and claim are one transaction under a cross-process lock."""
    slot, now = _slot_a_minute_ago()
    settings = export_settings.model_copy(
        update={"export_schedule": {"moneybird": slot.strftime("%H:%M")}}
    )
    result: dict = {}
    other = threading.Thread(
        target=lambda: result.update(
            runs=tick(session_factory=session_factory, settings=settings, now=now)
        )
    )
    with session_factory() as holder:
        lock_for_transaction(holder, LOCK_EXPORT_SCHEDULE)
        holder.execute(text("SELECT 1"))  # SQLite: BEGIN IMMEDIATE holds the write lock
        other.start()
        if holder.get_bind().dialect.name == "postgresql":
            _wait_until_waiting_for(LOCK_EXPORT_SCHEDULE, holder.get_bind())
        # The run another process started (and finished) while this one was waiting.
        holder.add(
            ExportRun(
                target="moneybird",
                trigger="schedule",
                status="succeeded",
                started_at=now,
                finished_at=now,
            )
        )
        holder.commit()
    other.join(timeout=60)
    assert result["runs"] == []


def _wait_until_waiting_for(key: dict, engine) -> None:
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND classid = :k1 AND objid = :k2"
                ),
                key,
            ).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the other tick never waited for the lock")


def test_two_server_workers_run_a_scheduled_export_once(
    database_url, session_factory, fake_moneybird, tmp_path
):
    """The real server, two workers, both ticking at start-up: one scheduled run."""
    slot, _now = _slot_a_minute_ago()
    env = {
        "RENTGUY_LOG_LEVEL": "INFO",
        "RENTGUY_EXPORT_SCHEDULE": json.dumps({"moneybird": slot.strftime("%H:%M")}),
        "RENTGUY_MONEYBIRD_BASE_URL": fake_moneybird.url,
        "RENTGUY_MONEYBIRD_ADMINISTRATION_ID": fake_moneybird.administration_id,
        "RENTGUY_MONEYBIRD_TOKEN": fake_moneybird.token,
        "RENTGUY_MONEYBIRD_TAX_RATE_IDS": json.dumps(MB_TAX),
        "RENTGUY_MONEYBIRD_LEDGER_ACCOUNT_IDS": json.dumps(MB_LEDGER),
    }
    server = LiveServer(database_url, tmp_path / "server.log", workers=2, env=env)
    server.start()
    try:
        # Each worker logs once its first tick is over (its run, if it started one, done).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            firsts = [
                line["message"]
                for line in map(json.loads, _json_lines(server.log_path))
                if line["message"].startswith("export scheduler running")
            ]
            if len(firsts) == 2:
                break
            time.sleep(0.1)
    finally:
        server.stop()
    assert len(firsts) == 2, server.log_path.read_text()[-3000:]
    assert sorted(m.rsplit("; ", 1)[1] for m in firsts) == [
        "first tick started 0 run(s)",
        "first tick started 1 run(s)",
    ]
    with transaction(session_factory) as session:
        runs = session.execute(select(ExportRun.trigger, ExportRun.status)).all()
    assert runs == [("schedule", "succeeded")]


def _json_lines(path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("{")]
