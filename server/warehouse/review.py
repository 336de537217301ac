"""Scans a person must look at, and their resolution (the live board's review list).

Offline scans are facts (``ingest``): a unit already out elsewhere still moves, answered
``conflict``; a scan the server refused is ``rejected``. Each waits here until someone
resolves it, saying why; the resolution names who and when and is audited. Resolving
changes no scan and no movement: a correction is a new scan or an admin movement.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from server.audit.service import Actor, record
from server.db import get_or_404, utcnow
from server.errors import BadRequest, Conflict
from server.paging import page_rows
from server.warehouse.models import Scan, ScanReview

NEEDS_REVIEW = ("conflict", "rejected")
FLAGGED_SQL = "scans.status IN ('conflict', 'rejected')"
NOTE_MAX = 1000
BUCKET_SECONDS = 300  # the board's plot: scans per 5 minutes
# A scan's received_at is set before its batch commits: a bucket is final once the
# slowest batch that could still land in it has committed (ingest takes well under this).
SETTLE_SECONDS = 120


def awaiting_review(*, session: Session, limit: int = 50) -> tuple[list[Scan], int]:
    """The newest scans awaiting review (up to ``limit``), and how many wait in all."""
    waiting = (
        select(Scan)
        .outerjoin(ScanReview, ScanReview.scan_id == Scan.scan_id)
        # Spelled out as the partial index ix_scans_flagged says it: SQLite uses a partial
        # index only when the query's own words imply its WHERE (not with bound values).
        .where(text(FLAGGED_SQL), ScanReview.scan_id.is_(None))
    )
    newest = waiting.order_by(Scan.received_at.desc(), Scan.seq.desc())
    return page_rows(session, newest, limit=limit, offset=0)


def resolve(*, session: Session, scan_id: uuid.UUID, note: str, actor: Actor) -> ScanReview:
    """Mark a conflict/rejected scan as settled by ``actor`` with ``note`` (why)."""
    note = note.strip()
    if not note:
        raise BadRequest("note: say how it was settled", code="note_required")
    if len(note) > NOTE_MAX:
        raise BadRequest(f"note: at most {NOTE_MAX} characters", code="note_too_long")
    scan = get_or_404(session, Scan, scan_id, f"no scan {scan_id}")
    if scan.status not in NEEDS_REVIEW:
        raise Conflict(f"scan {scan_id} is {scan.status}: nothing to review")
    if session.get(ScanReview, scan_id) is not None:
        raise Conflict(f"scan {scan_id} is already resolved", code="already_resolved")
    review = ScanReview(scan_id=scan_id, resolved_by=actor.user_id, note=note)
    session.add(review)
    session.flush()
    record(
        session=session,
        action="scan.review_resolved",
        actor=actor,
        target_type="scan",
        target_id=scan_id,
        details={"status": scan.status, "note": note},
    )
    return review


def recent_scans(*, session: Session, limit: int = 30) -> list[Scan]:
    return list(
        session.scalars(
            select(Scan).order_by(Scan.received_at.desc(), Scan.seq.desc()).limit(limit)
        )
    )


def scans_per_bucket(
    *,
    session: Session,
    hours: int = 8,
    now: datetime | None = None,
    closed: dict[int, dict[uuid.UUID, int]] | None = None,
) -> dict[uuid.UUID, dict[int, int]]:
    """Scans received per station per 5-minute bucket over the last ``hours``:
    ``{station_id: {bucket: count}}``, a bucket being epoch seconds // 300.

    One count per bucket, each an index range (``ix_scans_received_at``, which covers the
    station too): no per-row date arithmetic, which cost a second at 200,000 scans.
    ``closed`` (the caller's, per process) keeps the counts of buckets that ended more than
    ``SETTLE_SECONDS`` ago, which no commit changes any more: a board refresh counts the
    newest bucket or two, not 96."""
    now = now or utcnow()
    last = int(now.timestamp()) // BUCKET_SECONDS
    first = last - hours * 3600 // BUCKET_SECONDS + 1
    settled = (int(now.timestamp()) - SETTLE_SECONDS) // BUCKET_SECONDS  # buckets before it
    if closed is not None:
        for old in [b for b in list(closed) if b < first]:
            closed.pop(old, None)  # request threads share it: never fail on a race
    result: dict[uuid.UUID, dict[int, int]] = {}
    for bucket in range(first, last + 1):
        counts = closed.get(bucket) if closed is not None else None
        if counts is None:
            lo = datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC)
            hi = lo + timedelta(seconds=BUCKET_SECONDS)
            counts = dict(
                session.execute(
                    select(Scan.station_id, func.count())
                    .where(Scan.received_at >= lo, Scan.received_at < hi)
                    .group_by(Scan.station_id)
                ).all()
            )
            if closed is not None and bucket < settled:
                closed[bucket] = counts
        for station_id, count in counts.items():
            result.setdefault(station_id, {})[bucket] = int(count)
    return result
