"""Scheduled runs: once per day per target, at or after the configured UTC time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.db import transaction
from server.exports.models import Target
from server.exports.schedule import due_targets, parse_schedule, tick


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
