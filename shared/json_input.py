"""Request bodies take JSON's own types: ``false`` is not 0, ``"12"`` is not 12, and a number
is not a date.

FastAPI validates a parsed JSON body in pydantic's lax Python mode, which converts ``false``
to 0, ``"12"`` and ``12.0`` to 12, ``1`` and ``"yes"`` to True, and a Unix timestamp to a
date-time. For a client that sent the wrong type by mistake that hides a bug; for a hostile
one it is a second spelling of every value. ``JsonInput`` makes every integer and boolean
field of a subclass strict and lets a date or date-time field take only a string (or, from
Python code, a date object), so the answer is a 422 naming the field. Bases of request
models derive from it; tests/fuzz/test_hostile_values.py sends every body field a value of
each wrong type. ``IsoDate`` and ``server.edge.UtcDatetime`` carry the date rule to
query parameters.
"""

from __future__ import annotations

import re
import types
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    FutureDate,
    NaiveDatetime,
    PastDate,
    Strict,
)
from pydantic_core import PydanticCustomError

_DATE_TYPES = (AwareDatetime, NaiveDatetime, FutureDate, PastDate)


def _exactly_an_int(value: Any) -> Any:
    # A Literal[21, 9, 0] takes False as 0 even in strict mode: False == 0 in Python.
    if type(value) is not int:
        raise PydanticCustomError("int_type", "Input should be a valid integer", {})
    return value


_NUMBER_TEXT = re.compile(r"\s*[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    # pydantic reads a number, or a string of digits, as a Unix time: 0 would be 1970-01-01.
    if isinstance(value, (int, float)) or (
        isinstance(value, str) and _NUMBER_TEXT.fullmatch(value)
    ):
        raise PydanticCustomError(
            "date_not_iso", "must be an ISO 8601 date or date-time, not a number", {}
        )
    return value


NOT_A_NUMBER = BeforeValidator(_not_a_number)
_EXACTLY_AN_INT = BeforeValidator(_exactly_an_int)
# For a date outside a JsonInput model, e.g. a query parameter (``?active_on=0``).
IsoDate = Annotated[date, NOT_A_NUMBER]


def plain_type(annotation: Any) -> Any:
    """``int`` for ``int``, ``int | None``, ``Annotated[int, ...] | None``; None for a union of
    several types (each is its own schema)."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return None
            annotation = options[0]
        else:
            return annotation


def _is_int_literal(kind: Any) -> bool:
    values = get_args(kind) if get_origin(kind) is Literal else ()
    return bool(values) and all(type(v) is int for v in values)


def _is_date(kind: Any) -> bool:
    return kind in _DATE_TYPES or (isinstance(kind, type) and issubclass(kind, date))


class JsonInput(BaseModel):
    """Base of request models: each field takes its JSON type only (see the module doc)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for field in cls.model_fields.values():
            kind = plain_type(field.annotation)
            if kind in (int, bool):
                if not any(isinstance(m, Strict) for m in field.metadata):
                    field.metadata.append(Strict())
                    changed = True
            elif _is_int_literal(kind) and _EXACTLY_AN_INT not in field.metadata:
                field.metadata.insert(0, _EXACTLY_AN_INT)
                changed = True
            elif _is_date(kind) and NOT_A_NUMBER not in field.metadata:
                field.metadata.insert(0, NOT_A_NUMBER)
                changed = True
        if changed:
            cls.model_rebuild(force=True)
