"""Log in, log out, choose the language; the start page."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.console import sessions
from server.console.i18n import pick_language
from server.console.nav import first_page
from server.console.web import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    AnyUser,
    FormDep,
    redirect,
    render,
    service_error,
    text_fields,
)
from server.deps import SessionDep
from server.errors import AppError
from server.ops.proxies import client_ip

router = APIRouter()


def _safe_next(raw: str | None) -> str:
    """Only a console path: never an open redirect to another site."""
    if raw and raw.startswith("/console") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/console/"


def _login_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    errors: dict | None = None,
    email: str = "",
    notice: str | None = None,
):
    language = pick_language(None, request.headers.get("accept-language"))
    token = secrets.token_urlsafe(24)
    response = render(
        None,
        "login.html",
        status=status,
        language=language,
        login_csrf=token,
        error=error,
        errors=errors or {},
        email=email,
        notice=notice,
        next=_safe_next(request.query_params.get("next")),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/console/login",
        secure=request.url.scheme == "https",
        max_age=3600,
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, session: SessionDep) -> Response:
    notice = {"out": "You are logged out.", "ended": "Your session has ended; log in again."}
    return _login_page(request, notice=notice.get(request.query_params.get("msg", "")))


@router.post("/login", include_in_schema=False)
def login(request: Request, session: SessionDep, form: FormDep) -> Response:
    language = pick_language(None, request.headers.get("accept-language"))
    from server.console.i18n import translator

    _ = translator(language)
    sent = form.get(CSRF_FIELD) if form else None
    expected = request.cookies.get(LOGIN_COOKIE)
    if not (isinstance(sent, str) and expected and hmac.compare_digest(sent, expected)):
        return _login_page(
            request,
            status=403,
            error=_("The form was stale or incomplete; reload the page and try again."),
        )
    values, errors = text_fields(form, "email", "password")
    for name in ("email", "password"):
        if not values[name] and name not in errors:
            errors[name] = _("This field is required.")
    if errors:
        return _login_page(request, status=400, errors=errors, email=values["email"])
    raw_password = form.get("password") if form else None  # not stripped: spaces count
    try:
        user, cookie = sessions.open_console_session(
            session=session,
            settings=request.app.state.settings,
            email=values["email"],
            password=raw_password if isinstance(raw_password, str) else "",
            ip=client_ip(request),
        )
    except AppError as exc:
        if not exc.keep_work:
            session.rollback()
        message = (
            _("Too many failed attempts; try again later.")
            if exc.status_code == 429
            else _("Wrong e-mail or password.")
        )
        response = _login_page(
            request, status=exc.status_code, error=message, email=values["email"]
        )
        for name, value in exc.headers.items():
            response.headers[name] = value
        return response
    next_url = form.get("next") if form else None
    response = redirect(_safe_next(next_url if isinstance(next_url, str) else None))
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/console",
        max_age=int(sessions.SESSION_TTL.total_seconds()),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/console/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(ctx: AnyUser) -> Response:
    sessions.close_console_session(
        session=ctx.db,
        cookie=ctx.request.cookies.get(SESSION_COOKIE, ""),
        user=ctx.user,
        ip=client_ip(ctx.request),
    )
    response = redirect("/console/login", msg="out")
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response


@router.post("/language", include_in_schema=False)
def choose_language(ctx: AnyUser) -> Response:
    values, _errors = text_fields(ctx.form, "language", "back")
    try:
        sessions.set_language(session=ctx.db, user_id=ctx.user.id, language=values["language"])
    except AppError as exc:
        return render(ctx, "error.html", status=exc.status_code, message=service_error(ctx, exc))
    return redirect(_safe_next(values["back"]))


@router.get("/", include_in_schema=False)
def start(ctx: AnyUser) -> Response:
    page = first_page(ctx)
    if page is not None:
        return redirect(page)
    return render(ctx, "home.html")


def login_redirect(request: Request, exc: Exception) -> Response:
    """No session: a page goes to the login form (and back after); an action gets 401."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method == "GET" and not request.headers.get("hx-request"):
        return redirect(
            "/console/login",
            next=target,
            msg="ended" if request.cookies.get(SESSION_COOKIE) else None,
        )
    language = exc.args[0] if exc.args else "nl"
    response = render(
        None,
        "error.html",
        status=401,
        language=language,
        title="Log in",
        message="Your session has ended; log in again.",
        translate_message=True,
    )
    response.headers["HX-Redirect"] = "/console/login"
    return response
