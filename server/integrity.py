"""Integrity errors as answers, in one place: deleting a row that others still refer to,
and the database's own refusal when a check-then-write races another writer.

``delete_row`` looks, before deleting, at every foreign key in the schema that points at
the row's table and does not cascade; if any row still refers to it the answer is a 409
naming those tables and counts (SQLite's "FOREIGN KEY constraint failed" names nothing,
so the look must come first). ``as_app_error`` maps an ``IntegrityError`` that still
reaches the top (a race) by its SQLSTATE or SQLite message: foreign key and unique → 409,
NOT NULL and CHECK → 422, never a 500.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.errors import AppError, Conflict, Unprocessable

_SQLITE = re.compile(r"(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?:: (.*))?")
_KIND = {"23503": "FOREIGN KEY", "23505": "UNIQUE", "23502": "NOT NULL", "23514": "CHECK"}


def references_to(session: Session, row: Any) -> dict[str, int]:
    """Table -> number of rows that still refer to ``row`` through a non-cascading foreign
    key (rows the ORM deletes along with it, its delete-cascade relationships, excluded)."""
    mapper = inspect(type(row))
    table = mapper.local_table
    deleted_along = {
        rel.mapper.local_table.name for rel in mapper.relationships if rel.cascade.delete
    }
    used: dict[str, int] = {}
    for other in table.metadata.sorted_tables:
        if other.name in deleted_along:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is not table or (fk.ondelete or "").upper() in (
                "CASCADE",
                "SET NULL",
            ):
                continue
            value = getattr(row, mapper.get_property_by_column(fk.column).key)
            count = session.scalar(
                select(func.count()).select_from(other).where(fk.parent == value)
            )
            if count:
                used[other.name] = used.get(other.name, 0) + count
    return used


def delete_row(session: Session, row: Any, what: str) -> None:
    """Delete ``row`` (``what`` names it for people), or 409 naming what still uses it."""
    used = references_to(session, row)
    if used:
        listed = ", ".join(f"{n} row(s) in {t}" for t, n in sorted(used.items()))
        raise Conflict(f"{what} is still used by {listed}", code="in_use", details=used)
    session.delete(row)
    session.flush()


def as_app_error(exc: IntegrityError) -> AppError:
    """The answer for an integrity error nobody caught: 409 or 422 with what we know."""
    orig: Any = exc.orig
    kind, where = None, None
    diag = getattr(orig, "diag", None)
    if diag is not None:
        kind = _KIND.get(getattr(orig, "sqlstate", None) or "")
        where = diag.constraint_name or diag.column_name
        table = diag.table_name
        detail = diag.message_detail
    else:
        found = _SQLITE.search(str(orig))
        if found:
            kind, where = found.group(1), found.group(2)
        table, detail = None, None
    details = {"constraint": where, "table": table}
    if kind == "FOREIGN KEY":
        message = detail or "the row refers to, or is still referred to by, another row"
        return Conflict(f"foreign key: {message}", code="foreign_key_violation", details=details)
    if kind == "UNIQUE":
        return Conflict(
            f"already exists: {detail or where or 'a unique value is taken'}",
            code="already_exists",
            details=details,
        )
    if kind == "NOT NULL":
        message = f"{where or 'a field'} cannot be empty"
        return Unprocessable(message, code="null_not_allowed", details=details)
    return Unprocessable(
        f"a constraint refused the change ({where or kind})",
        code="constraint_violation",
        details=details,
    )
