"""Errors services raise, and the one place that turns them into HTTP answers.

    AppError                     500 unless a subclass says otherwise
    ├── BadRequest               400
    │   └── PayloadTooLarge      413
    ├── Unauthorized             401  (missing/invalid credentials)
    ├── Forbidden                403
    ├── NotFound                 404
    ├── Conflict                 409
    ├── Unprocessable            422  (valid JSON, but a value the data cannot hold)
    ├── UpgradeRequired          426  (the client speaks a protocol too old for us)
    ├── TooManyRequests          429  (with Retry-After)
    └── ExternalServiceError     502  (a provider or accounting system failed)

The database being out of reach (connection refused, a backend terminated, the pool
exhausted) is answered 503 ``database_unavailable`` with Retry-After, not 500: nothing was
applied (the transaction rolled back) and the same request can simply be sent again.

Every error body has one shape:
``{"error": {"code": str, "message": str, "details": any}, "request_id": str}``.
Routers do not raise ``HTTPException``; unknown exceptions are logged and answered 500.
An ``IntegrityError`` is never a 500: ``server.integrity.as_app_error`` maps it (409/422).

An error raised with ``keep_work=True`` still commits the request's transaction (see
``server.deps``): a failed login must leave its throttle counter and audit line behind.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

log = logging.getLogger(__name__)


class AppError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        code: str | None = None,
        keep_work: bool = False,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.details = details
        self.keep_work = keep_work
        self.headers = headers or {}
        if code is not None:
            self.code = code


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class PayloadTooLarge(BadRequest):
    status_code = 413
    code = "payload_too_large"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unprocessable(AppError):
    status_code = 422
    code = "unprocessable"


class UpgradeRequired(AppError):
    status_code = 426
    code = "upgrade_required"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.headers["Retry-After"] = str(max(1, int(retry_after)))


class ExternalServiceError(AppError):
    status_code = 502
    code = "external_service_error"


DATABASE_RETRY_AFTER_S = 2


def database_unavailable(exc: Exception) -> bool:
    """True for a database that could not be reached or dropped the connection; False
    for an error in what we asked of it (a constraint, a bad statement: a bug, a 500)."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # psycopg: connection refused/lost and "terminating connection due to administrator
    # command" are OperationalError; SQLite: "database is locked", disk I/O trouble.
    return isinstance(exc, OperationalError)


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path answers to. Starlette's 405 names only the first
    route that matched the path, but FastAPI makes a route per method: ``OPTIONS
    /products`` would say ``Allow: GET`` although POST works too (RFC 9110 §15.5.6).
    Read from the app's OpenAPI paths, compiled once."""
    table = getattr(request.app.state, "allow_table", None)
    if table is None:
        table = [
            (path, compile_path(path)[0], {method.upper() for method in operations})
            for path, operations in request.app.openapi()["paths"].items()
        ]
        request.app.state.allow_table = table
    url_path = request.url.path
    # A literal path is its own resource: /stations/enroll is not /stations/{station_id}.
    for path, _pattern, path_methods in table:
        if path == url_path:
            return sorted(path_methods)
    methods: set[str] = set()
    for _path, pattern, path_methods in table:
        if pattern.match(url_path):
            methods |= path_methods
    return sorted(methods)


def error_body(request: Request, code: str, message: str, details: Any = None) -> dict:
    return {
        "error": {"code": code, "message": message, "details": jsonable_encoder(details)},
        "request_id": getattr(request.state, "request_id", None),
    }


def _validation_details(exc: RequestValidationError) -> list[dict]:
    # Drop the echoed input: it can be 10 MB or hold secrets; location and message suffice.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
        for err in exc.errors()[:50]
    ]


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    if exc.status_code >= 500:
        log.error("request failed: %s", exc.message)
    headers = dict(exc.headers)
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(
        error_body(request, exc.code, exc.message, exc.details),
        status_code=exc.status_code,
        headers=headers or None,
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = _validation_details(exc)
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"])
    return JSONResponse(
        error_body(request, "validation_error", f"{where}: {first['msg']}", details),
        status_code=422,
    )


async def _data(request: Request, exc: DataError) -> JSONResponse:
    # A value the column cannot hold (out of range, too long) that no schema bound.
    log.warning("data error answered as 422: %s", exc.orig)
    diag = getattr(exc.orig, "diag", None)  # psycopg's; SQLite's errors have none
    message = str(diag and diag.message_primary or "")
    return await _app_error(
        request,
        Unprocessable(
            f"a value is outside what the database holds: {message or 'out of range'}",
            code="value_out_of_range",
        ),
    )


async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
    # A check-then-write that lost a race, or a constraint nobody checked first.
    from server.integrity import as_app_error  # server.integrity imports this module

    log.warning("integrity error answered as 4xx: %s", exc.orig)
    return await _app_error(request, as_app_error(exc))


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse(
        error_body(request, code, str(exc.detail)),
        status_code=exc.status_code,
        headers=headers or None,
    )


async def _database(request: Request, exc: Exception) -> JSONResponse:
    if not database_unavailable(exc):
        return await _unhandled(request, exc)
    log.error("database unavailable: %s", type(exc.__cause__ or exc).__name__)
    return JSONResponse(
        error_body(request, "database_unavailable", "database unavailable, retry later"),
        status_code=503,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error")
    return JSONResponse(
        error_body(request, "internal_error", "internal server error"), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    # Through the decorator: add_exception_handler's type wants handlers of any Exception.
    app.exception_handler(AppError)(_app_error)
    app.exception_handler(RequestValidationError)(_validation)
    app.exception_handler(DataError)(_data)
    app.exception_handler(IntegrityError)(_integrity)
    app.exception_handler(StarletteHTTPException)(_http)
    app.exception_handler(DBAPIError)(_database)
    app.exception_handler(PoolTimeout)(_database)
    app.exception_handler(Exception)(_unhandled)
