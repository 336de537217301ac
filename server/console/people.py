"""People and badges: users and roles, issue a badge and print its card, revoke a badge,
reset a PIN, lift a lockout. A thin view over ``server.identity.service``/``throttle``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import ValidationError

from server.audit.service import record
from server.console.codes import code128_svg, qr_svg
from server.console.web import (
    Ctx,
    Pager,
    UsersReader,
    UsersWriter,
    form_data,
    page_number,
    redirect,
    render,
    schema_errors,
    service_error,
    text_fields,
)
from server.errors import AppError, BadRequest
from server.identity import service, throttle
from server.identity.models import Role
from server.identity.schemas import BadgeIssue, PinSet
from server.paging import page_rows

router = APIRouter(prefix="/people")

# Printed badges: upper case and no 0/O/1/I/L, so a wedge scanner's keyboard layout or a
# person reading the card cannot get it wrong; 12 random characters (~2^59).
DONE = {
    "pin_set": "PIN saved.",
    "pin_cleared": "PIN cleared.",
    "badge_revoked": "Badge revoked.",
    "unlocked": "Saved.",
    "roles": "Saved.",
}


def _notice(ctx: Ctx) -> str | None:
    done = DONE.get(ctx.request.query_params.get("done", ""))
    return ctx._(done) if done else None


@router.get("", include_in_schema=False)
def users(ctx: UsersReader):
    q, _errors = text_fields(ctx.request.query_params, "q", "role")
    role = q["role"] if q["role"] in {r.value for r in Role} else None
    page = page_number(ctx.request.query_params.get("page"))
    by_name = service.users_query(q=q["q"][:100] or None, role=Role(role) if role else None)
    rows, total = page_rows(ctx.db, by_name, limit=50, offset=(page - 1) * 50)
    locks, lock_total = throttle.locked(ctx.db, limit=20)
    return render(
        ctx,
        "people.html",
        users=rows,
        pager=Pager(page, total),
        q=q["q"],
        role=role,
        roles=[r.value for r in Role],
        locks=locks,
        lock_total=lock_total,
        notice=_notice(ctx),
    )


def _user_page(ctx: Ctx, user_id: uuid.UUID, *, status: int = 200, **values):
    user = service.require_user(session=ctx.db, user_id=user_id)
    badges = list(ctx.db.scalars(service.badges_query(user_id=user.id).limit(100)))
    values.setdefault("errors", {})
    values.setdefault("form", {})
    return render(
        ctx,
        "person.html",
        status=status,
        person=user,
        badges=badges,
        roles=[r.value for r in Role],
        notice=_notice(ctx),
        **values,
    )


@router.get("/{user_id}", include_in_schema=False)
def person(user_id: uuid.UUID, ctx: UsersReader):
    return _user_page(ctx, user_id)


@router.post("/{user_id}/badges", include_in_schema=False)
def issue_badge(user_id: uuid.UUID, ctx: UsersWriter):
    """Issue a new badge; the answer is its printable card (the code is shown only now:
    only its keyed hash is stored)."""
    values, errors = text_fields(ctx.form, "label")
    if not errors:
        try:
            body = BadgeIssue.model_validate(form_data(BadgeIssue, {"label": values["label"]}))
        except ValidationError as exc:
            errors = schema_errors(exc)
    if errors:
        return _user_page(ctx, user_id, status=400, errors=errors, form=values)
    user = service.require_user(session=ctx.db, user_id=user_id)
    try:
        # A strong code the server makes (80 random bits + check character, issue 15),
        # printable as Code 128 and QR; imported (weak) codes go through the API.
        badge, code = service.issue_generated_badge(
            session=ctx.db,
            user=user,
            key=ctx.settings.badge_hash_key,
            label=body.label,
            actor=ctx.actor,
        )
    except AppError as exc:
        message = service_error(ctx, exc)
        return _user_page(
            ctx, user_id, status=exc.status_code, errors={"label": message}, form=values
        )
    return render(
        ctx,
        "badge_card.html",
        status=201,
        person=user,
        badge=badge,
        code=code,
        barcode=code128_svg(code),
        qr=qr_svg(code, title=code),
    )


@router.post("/{user_id}/badges/{badge_id}/revoke", include_in_schema=False)
def revoke_badge(user_id: uuid.UUID, badge_id: uuid.UUID, ctx: UsersWriter):
    badge = service.require_badge(session=ctx.db, badge_id=badge_id)
    if badge.user_id != user_id:
        raise BadRequest("this badge belongs to someone else")
    service.revoke_badge(session=ctx.db, badge=badge, actor=ctx.actor, reason="console")
    return redirect(f"/console/people/{user_id}", done="badge_revoked")


@router.post("/{user_id}/pin", include_in_schema=False)
def reset_pin(user_id: uuid.UUID, ctx: UsersWriter):
    values, errors = text_fields(ctx.form, "pin")
    if not errors:
        try:
            body = PinSet.model_validate(form_data(PinSet, {"pin": values["pin"] or None}))
        except ValidationError as exc:
            errors = schema_errors(exc)
    if errors:
        return _user_page(ctx, user_id, status=400, errors=errors)
    user = service.require_user(session=ctx.db, user_id=user_id)
    service.set_pin(session=ctx.db, user=user, pin=body.pin, actor=ctx.actor)
    return redirect(f"/console/people/{user_id}", done="pin_set" if body.pin else "pin_cleared")


@router.post("/{user_id}/roles", include_in_schema=False)
def set_roles(user_id: uuid.UUID, ctx: UsersWriter):
    chosen = [value for value in (ctx.form.getlist("roles") if ctx.form else [])]
    valid = {r.value for r in Role}
    if any(value not in valid for value in chosen):
        return _user_page(ctx, user_id, status=400, errors={"roles": "unknown role"})
    user = service.require_user(session=ctx.db, user_id=user_id)
    try:
        service.set_roles(
            session=ctx.db, user=user, roles=[Role(str(v)) for v in chosen], actor=ctx.actor
        )
    except AppError as exc:
        return _user_page(
            ctx, user_id, status=exc.status_code, errors={"roles": service_error(ctx, exc)}
        )
    return redirect(f"/console/people/{user_id}", done="roles")


@router.post("/lockouts/unlock", include_in_schema=False)
def unlock(ctx: UsersWriter):
    values, errors = text_fields(ctx.form, "key")
    if errors or not values["key"]:
        raise BadRequest("key: which lock to lift")
    if throttle.unlock(ctx.db, values["key"]):
        record(
            session=ctx.db,
            action="auth.unlocked",
            actor=ctx.actor,
            target_type="login_throttle",
            target_id=values["key"][:200],
        )
    return redirect("/console/people", done="unlocked")
