"""UTC timestamps as the kiosk stores them: tz-aware datetimes, ISO 8601 text in SQLite."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, tz-aware in UTC (never a naive local time)."""
    return datetime.now(UTC)


def to_iso(value: datetime) -> str:
    """ISO text for storage; refuses naive datetimes so no local time sneaks in."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {value!r}")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
