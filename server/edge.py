"""Input at the edge (SPEC §10 "Strings at the edge"): one rule for every request.

No string holding U+0000 or a lone surrogate (U+D800–U+DFFF) reaches the database:
PostgreSQL's text type cannot store NUL and psycopg cannot encode a surrogate, so either
would be a 500 deep inside a service. No JSON integer outside a signed 64-bit range
reaches a BIGINT column either. ``refuse_bad_input`` runs before every route (an app
dependency) over the path and query parameters, the headers and the parsed JSON or form
body, and answers 422 naming the field, in the one error shape of ``server.errors``.

A route that answers per item (the scan batch: one bad scan must not fail the others)
declares it with ``@checked_per_item("scans")``: a bad string in one of those items is
replaced by ``storable`` before the body is validated (so validation cannot fail the whole
batch on it; pydantic refuses surrogates) and the route reads why from
``item_faults(request)`` to answer that item alone. Raw bodies (the webhooks) are the
route's own: see ``server.payments.webhooks``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, AwareDatetime

from shared.json_input import NOT_A_NUMBER
from shared.reasons import Reason, ReasonCode, reason

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# In JSON text, NUL and surrogates can only arrive escaped (raw ones are invalid JSON or
# invalid UTF-8), so a body without such an escape needs no walk for text.
_BAD_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
# A JSON integer needs at least 19 digits to leave the int64 range.
_LONG_NUMBER = re.compile(rb"\d{19}")
_PER_ITEM = "__edge_checked_per_item__"
_INT_MESSAGE = "integer outside the 64-bit range the database holds"

_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def _in_utc(value: datetime) -> datetime:
    # 0001-01-01T00:00+14:00 is a valid AwareDatetime but no UTC datetime: comparing or
    # storing it raised OverflowError deep in a query (a 500).
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must lie within the years 1-9999 in UTC") from None


# An aware timestamp the database and Python can hold, as UTC: for every request field.
UtcDatetime = Annotated[AwareDatetime, NOT_A_NUMBER, AfterValidator(_in_utc)]


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "contains U+0000 (NUL), which text cannot hold"
    return f"contains a lone surrogate (U+{ord(char):04X}), which is not valid Unicode"


def bad_char(value: str) -> str | None:
    """The first character of ``value`` text cannot hold, as ``U+XXXX``; or None."""
    found = _BAD_TEXT.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def storable(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD: for text kept only as a
    record (a refused webhook body, a rejected scan's code), never for text we act on."""
    return _BAD_TEXT.sub("\ufffd", value)


def checked_per_item(field: str) -> Callable[[_Endpoint], _Endpoint]:
    """Mark a route whose body list ``field`` it checks item by item (bad text only)."""

    def mark(endpoint: _Endpoint) -> _Endpoint:
        setattr(endpoint, _PER_ITEM, field)
        return endpoint

    return mark


def problems(value: Any, loc: tuple, skip: str | None = None) -> Iterator[tuple[tuple, str, str]]:
    """``(loc, type, message)`` for every bad string (keys too) or int64 overflow in
    ``value``; ``skip`` names a top-level list whose items' text is left to the route.
    Iterative: a body nested a thousand deep must not hit the recursion limit (a 500)."""
    stack: list[tuple[Any, tuple, bool]] = [(value, loc, True)]
    while stack:
        item, where, text_checked = stack.pop()
        if isinstance(item, str):
            if text_checked and (problem := text_problem(item)):
                yield where, "text_invalid", problem
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                yield where, "int_out_of_range", _INT_MESSAGE
        elif isinstance(item, dict):
            skip_here = skip if where == loc else None
            yield from _dict_problems(item, where, text_checked, skip_here, stack)
        elif isinstance(item, list):
            stack.extend(
                (child, (*where, index), text_checked)
                for index, child in reversed(list(enumerate(item)))
            )


def _dict_problems(
    item: dict[Any, Any],
    where: tuple,
    text_checked: bool,
    skip: str | None,
    stack: list[tuple[Any, tuple, bool]],
) -> Iterator[tuple[tuple, str, str]]:
    """``problems`` of a dict's keys; its values go on ``stack`` (the items of list
    ``skip`` unchecked for text)."""
    for key, child in reversed(item.items()):
        if text_checked and isinstance(key, str) and (problem := text_problem(key)):
            yield (*where, key), "text_invalid", f"field name {problem}"
        if skip is not None and key == skip and isinstance(child, list):
            stack.extend(
                (element, (*where, key, index), False)
                for index, element in reversed(list(enumerate(child)))
            )
        else:
            stack.append((child, (*where, key), text_checked))


def item_faults(request: Request) -> dict[int, Reason]:
    """Index -> reason (``invalid_text``) of the per-item route's items with bad text."""
    return getattr(request.state, "item_faults", {})


def _set_aside(items: list) -> dict[int, Reason]:
    # In place, on the parsed body FastAPI is about to validate (app dependencies run
    # before the body is validated): the item stays, its bad text becomes U+FFFD.
    faults: dict[int, Reason] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if isinstance(value, str) and (char := bad_char(value)):
                faults.setdefault(index, reason(ReasonCode.INVALID_TEXT, field=key, char=char))
                item[key] = storable(value)
    return faults


def _body_problems(request: Request, skip: str | None) -> Iterator[tuple[tuple, str, str]]:
    raw = getattr(request, "_body", b"")
    if hasattr(request, "_json") and (_BAD_ESCAPE.search(raw) or _LONG_NUMBER.search(raw)):
        body = request._json
        if skip is not None and isinstance(body, dict) and isinstance(body.get(skip), list):
            request.state.item_faults = _set_aside(body[skip])
        yield from problems(body, ("body",), skip)
    form = getattr(request, "_form", None)
    if form is not None:
        for key, item in form.multi_items():
            if isinstance(item, str):
                yield from problems({key: item}, ("body",))


def _request_problems(request: Request) -> Iterator[tuple[tuple, str, str]]:
    for name, value in request.path_params.items():
        yield from problems(value, ("path", name))
    for name, value in request.query_params.multi_items():
        yield from problems({name: value}, ("query",))
    for raw_name, raw_value in request.scope.get("headers", ()):
        if b"\x00" in raw_name or b"\x00" in raw_value:
            name = raw_name.replace(b"\x00", b"?").decode("latin-1")
            yield ("header", name), "text_invalid", text_problem("\x00") or ""
    route = request.scope.get("route")
    skip = getattr(getattr(route, "endpoint", None), _PER_ITEM, None)
    yield from _body_problems(request, skip)


async def refuse_bad_input(request: Request) -> None:
    """The app-wide dependency: 422 naming the first bad field (all of them in details)."""
    found = list(_request_problems(request))
    if found:
        raise RequestValidationError(
            [{"loc": loc, "type": kind, "msg": message} for loc, kind, message in found[:50]]
        )
