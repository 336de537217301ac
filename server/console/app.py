"""The console as an app of its own, mounted at ``/console`` by ``server.app``.

Its own app, so its errors answer as HTML pages (the API's answer JSON), and its routes
stay out of the API's OpenAPI document. It shares the API's state: the same database
sessions, settings, scan feed and payment providers.
"""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.console import audit, auth, board, exports, inventory, money, people, projects, stations
from server.console.web import HERE, LoginRequired, render
from server.edge import refuse_bad_input
from server.errors import AppError

log = logging.getLogger(__name__)


class StaticFilesCached(StaticFiles):
    """The console's own files; vendored ones change only with their version."""

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def create_console(parent: FastAPI) -> FastAPI:
    console = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_bad_input)],
    )
    console.state = parent.state
    console.mount("/static", StaticFilesCached(directory=HERE / "static"), name="static")
    for module in (auth, board, projects, inventory, people, stations, money, exports, audit):
        console.include_router(module.router)

    console.add_exception_handler(LoginRequired, auth.login_redirect)

    @console.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError):
        if exc.status_code >= 500:
            log.error("console request failed: %s", exc.message)
        return _error_page(request, exc.status_code, exc.message, exc.headers)

    @console.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _error_page(request, 422, f"{where}: {first.get('msg', 'invalid request')}")

    @console.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return _error_page(request, exc.status_code, str(exc.detail))

    @console.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception):
        log.exception("unhandled console error")
        return _error_page(request, 500, None)

    return console


def _error_page(request: Request, status: int, message: str | None, headers=None):
    from server.console.i18n import pick_language

    language = pick_language(None, request.headers.get("accept-language"))
    titles = {403: "Not allowed", 404: "Not found"}
    response = render(
        None,
        "error.html",
        status=status,
        language=language,
        title=titles.get(status, "Something went wrong"),
        # A 5xx shows no internals: only that nothing was saved, and the request id.
        message=message if status < 500 else "The server could not do this. Nothing was saved.",
        translate_message=status >= 500,
        request_id=getattr(request.state, "request_id", None),
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
