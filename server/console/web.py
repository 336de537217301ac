"""What every console page shares: the request context (user, language, CSRF token),
rendering with the console's security headers, forms, paging, and HTML error pages.

Pages are server-rendered (Jinja2); htmx swaps parts of them. Nothing runs inline: the
Content-Security-Policy allows only the console's own files, so an injected script or
style in some stored text cannot run.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams

from server.audit.service import Actor
from server.config import Settings
from server.console.i18n import pick_language, translator
from server.db import utcnow
from server.deps import SessionDep
from server.edge import problems
from server.errors import AppError, Forbidden
from server.identity.models import User
from server.identity.permissions import Permission, permissions_for
from server.identity.security import token_hash
from server.ops.proxies import client_ip
from shared.json_input import plain_type

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "rg_console"
LOGIN_COOKIE = "rg_console_login"  # double-submit CSRF token of the login form
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
PAGE_SIZE = 50
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")  # the warehouse's wall clock; stored times are UTC
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class LoginRequired(Exception):
    """No live console session: pages redirect to the login form, actions answer 401."""


@dataclass
class Ctx:
    """One console request: who asks, in which language, with which CSRF token."""

    request: Request
    db: Session
    settings: Settings
    user: User
    language: str
    csrf: str
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    form: FormData | None = None

    def can(self, permission: Permission | str) -> bool:
        return Permission(permission) in self.permissions

    @property
    def actor(self) -> Actor:
        """Who acts, as the audit trail records a console change: the user and address."""
        return Actor(user_id=self.user.id, ip=client_ip(self.request))

    @property
    def _(self):
        return translator(self.language)


def csrf_for(settings: Settings, cookie: str) -> str:
    """The session's CSRF token: derived from its secret cookie, so nothing is stored and
    a page from another site (which cannot read the cookie) cannot know it."""
    key = settings.derived_key("rentguy/console/csrf/v1")
    return hmac.new(key, cookie.encode(), hashlib.sha256).hexdigest()


def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _form(request: Request) -> FormData | None:
    if request.method in SAFE_METHODS:
        return None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return await request.form()
    return FormData()


FormDep = Annotated[FormData | None, Depends(_form)]


def _context(request: Request, db: Session, form: FormData | None) -> Ctx:
    from server.console.sessions import current_user_and_language  # avoids an import cycle

    settings = _settings(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    user, preference = (None, None)
    if cookie:
        user, preference = current_user_and_language(
            session=db, settings=settings, token_hash=token_hash(cookie)
        )
    language = pick_language(preference, request.headers.get("accept-language"))
    if user is None or cookie is None:
        raise LoginRequired(language)
    csrf = csrf_for(settings, cookie)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or (form.get(CSRF_FIELD) if form else None)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf):
            raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    return Ctx(
        request=request,
        db=db,
        settings=settings,
        user=user,
        language=language,
        csrf=csrf,
        permissions=permissions_for(user.role_names),
        form=form,
    )


class Needs:
    """A console page or action that needs ``permission`` (the API's own permissions,
    ``server.identity.permissions``); ``Needs(None)``: any logged-in user."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    def __call__(self, request: Request, db: SessionDep, form: FormDep) -> Ctx:
        ctx = _context(request, db, form)
        if self.permission is not None and not ctx.can(self.permission):
            raise Forbidden(f"this needs the permission {self.permission.value!r}")
        return ctx

    def __repr__(self) -> str:
        return f"Needs({self.permission.value if self.permission else None!r})"


# What a console page or action needs, as real type aliases (one place, so each page
# module names its rule instead of building it, and type checkers read ``ctx: X`` as Ctx).
AnyUser = Annotated[Ctx, Depends(Needs(None))]
AuditReader = Annotated[Ctx, Depends(Needs(Permission.AUDIT_READ))]
ScansReader = Annotated[Ctx, Depends(Needs(Permission.SCANS_READ))]
ScansReviewer = Annotated[Ctx, Depends(Needs(Permission.SCANS_REVIEW))]
ExportsRunner = Annotated[Ctx, Depends(Needs(Permission.EXPORTS_RUN))]
InventoryReader = Annotated[Ctx, Depends(Needs(Permission.INVENTORY_READ))]
InvoicesReader = Annotated[Ctx, Depends(Needs(Permission.INVOICES_READ))]
InvoicesWriter = Annotated[Ctx, Depends(Needs(Permission.INVOICES_WRITE))]
PaymentsRefunder = Annotated[Ctx, Depends(Needs(Permission.PAYMENTS_REFUND))]
UsersReader = Annotated[Ctx, Depends(Needs(Permission.USERS_READ))]
UsersWriter = Annotated[Ctx, Depends(Needs(Permission.USERS_WRITE))]
ProjectsReader = Annotated[Ctx, Depends(Needs(Permission.PROJECTS_READ))]
ProjectsWriter = Annotated[Ctx, Depends(Needs(Permission.PROJECTS_WRITE))]
StationsAdmin = Annotated[Ctx, Depends(Needs(Permission.STATIONS_ADMIN))]


# -- rendering -----------------------------------------------------------------------------


def html_headers() -> dict[str, str]:
    return {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Vary": "Cookie"}


def render(ctx: Ctx | None, name: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    language = ctx.language if ctx else values.pop("language", "nl")
    from server.console.nav import menu

    body = templates.get_template(name).render(
        ctx=ctx,
        status=status,
        menu=menu(ctx) if ctx else [],
        _=translator(language),
        lang=language,
        P=Permission,
        **values,
    )
    return HTMLResponse(body, status_code=status, headers=html_headers())


def redirect(url: str, **query: Any) -> RedirectResponse:
    """303 See Other after a POST (the browser GETs the page, a reload does not resend)."""
    query = {k: v for k, v in query.items() if v is not None}
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    return RedirectResponse(url, status_code=303)


def hx_redirect(ctx: Ctx, url: str) -> Response:
    """htmx follows ``HX-Redirect``; a plain form post follows the 303."""
    if ctx.request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return redirect(url)


# -- forms ---------------------------------------------------------------------------------


def text_fields(
    form: FormData | QueryParams | None, *names: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The named fields as stripped text, and an error per field holding a character the
    database must not store (SPEC §10: NUL, lone surrogates): ``(values, errors)``."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in names:
        raw = form.get(name) if form else None
        value = raw.strip() if isinstance(raw, str) else ""
        for _loc, _kind, message in problems({name: value}, ()):
            errors[name] = message
        values[name] = value
    return values, errors


_WHOLE_NUMBER = re.compile(r"[-+]?\d{1,18}")


def form_data(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` from an HTML form with its text turned into the JSON types ``model`` takes.

    Request models take JSON's own types only (shared.json_input): ``"6"`` is not 6 there.
    A form sends text, so a whole number typed into an integer field becomes an int (nested
    models and lists of them too); anything else stays text and the schema names the field.
    """
    out = dict(data)
    for name, info in model.model_fields.items():
        value = out.get(name)
        kind = plain_type(info.annotation)
        if kind is int and isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
            out[name] = int(value)
        elif get_origin(kind) is list and isinstance(value, list):
            (item,) = get_args(kind) or (None,)
            if isinstance(item, type) and issubclass(item, BaseModel):
                out[name] = [form_data(item, v) if isinstance(v, dict) else v for v in value]
    return out


def schema_errors(exc: ValidationError) -> dict[str, str]:
    """A pydantic error per form field (the API's own schema decides what is valid)."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc") or ("form",)
        errors.setdefault(str(loc[0]), err.get("msg", "invalid"))
    return errors


def service_error(ctx: Ctx, exc: AppError) -> str:
    """A service's refusal as the message shown on the page. Its work is rolled back
    (unless the error keeps it, like a failed login's counter): nothing half-saved."""
    if not exc.keep_work:
        ctx.db.rollback()
    return exc.message


# -- paging and formatting -----------------------------------------------------------------


@dataclass(frozen=True)
class Pager:
    page: int
    total: int
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    def link(self, request: Request, page: int) -> str:
        query = dict(request.query_params)
        query["page"] = str(page)
        return f"{request.url.path}?{urlencode(query)}"


def page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 1_000_000))
    except ValueError:
        return 1


def parse_uuid(raw: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if value is None:
        return "—"
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def ago(value: datetime | None, language: str) -> str:
    if value is None:
        return translator(language)("never")
    seconds = max(0, int((utcnow() - value).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def money(cents: int | Decimal | None, language: str = "nl", currency: str = "EUR") -> str:
    if cents is None:
        return "—"
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    grouped = f"{whole:,}"
    if language == "nl":
        grouped = grouped.replace(",", ".")
        text = f"{grouped},{part:02d}"
    else:
        text = f"{grouped}.{part:02d}"
    symbol = "€" if currency.upper() == "EUR" else currency.upper() + " "
    return f"{sign}{symbol}{text}"


templates.filters["local"] = local_time
templates.filters["money"] = money
templates.filters["urlquote"] = lambda value: quote(str(value), safe="")
templates.globals["ago"] = ago
