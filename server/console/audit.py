"""The audit log with filters: a thin view over ``server.audit.service.events_query``."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.audit.service import events_query
from server.console.web import LOCAL_TZ, AuditReader, Pager, page_number, render, text_fields
from server.identity.models import User
from server.paging import page_rows

router = APIRouter(prefix="/audit")
OUTCOMES = ("ok", "failed", "denied")


def _day(raw: str) -> datetime | None:
    """A local calendar day (the form's date field) as its first instant in UTC."""
    try:
        return datetime.combine(date.fromisoformat(raw), time(), LOCAL_TZ) if raw else None
    except ValueError:
        return None


@router.get("", include_in_schema=False)
def audit_log(ctx: AuditReader):
    q, errors = text_fields(
        ctx.request.query_params, "action", "outcome", "target_type", "target_id", "since"
    )
    for name in ("action", "target_type", "target_id"):
        q[name] = q[name][:64]
    since = _day(q["since"])
    if q["since"] and since is None:
        errors["since"] = "YYYY-MM-DD"
    page = page_number(ctx.request.query_params.get("page"))
    events: list[AuditEvent] = []
    total = 0
    if not errors:
        matching = events_query(
            action=q["action"] or None,
            outcome=q["outcome"] if q["outcome"] in OUTCOMES else None,
            target_type=q["target_type"] or None,
            target_id=q["target_id"] or None,
            since=since,
        )
        events, total = page_rows(ctx.db, matching, limit=50, offset=(page - 1) * 50)
    actor_ids = {e.actor_user_id for e in events if e.actor_user_id}
    names = dict(ctx.db.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all())
    return render(
        ctx,
        "audit.html",
        status=400 if errors else 200,
        events=events,
        pager=Pager(page, total),
        q=q,
        errors=errors,
        outcomes=OUTCOMES,
        names=names,
    )
