"""The error answers every operation can give, declared in ``/openapi.json``.

FastAPI declares only the success answer and a 422 in *its own* shape (``{"detail": ...}``),
while ``server.errors`` answers every error, 422 included, as ``ErrorBody``. A client
generated from, or a fuzzer checking against, the schema would otherwise meet answers the
schema says cannot happen. Declared here once for all routes instead of on each of them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail
    request_id: str | None = None


# Status -> why; any operation may answer these (authentication, permissions, missing
# rows, state conflicts, bad input, throttling, the database being unavailable).
ERROR_STATUSES = {
    "400": "Bad request",
    "401": "Missing or invalid credentials",
    "403": "Not allowed for this caller",
    "404": "Not found",
    "409": "Conflicts with the current state",
    "413": "Request body too large",
    "422": "Invalid request (the error names the field)",
    "426": "The client's protocol is too old for this server (RentGuy-Protocol)",
    "429": "Too many requests (see Retry-After)",
    "502": "An outside service (payment provider, accounting system) failed",
    "503": "Temporarily unavailable, e.g. the database (see Retry-After)",
}

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
# FastAPI's own 422 models: unused once every 422 is declared as ErrorBody.
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def declare_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare ``ErrorBody`` answers on every operation."""

    generate = app.openapi  # FastAPI's own, which caches in app.openapi_schema

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _add_error_responses(generate())
        assert app.openapi_schema is not None  # generate() stored it
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_error_responses(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    ).pop("$defs", {}).items():
        components[name] = definition
    components["ErrorBody"] = ErrorBody.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    components["ErrorBody"].pop("$defs", None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                declared = responses.get(status)
                if declared is not None and not _is_fastapi_validation(declared):
                    continue  # the route declared its own answer for this status
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        components.pop(name, None)


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    content = response.get("content", {}).get("application/json", {})
    return content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError")
