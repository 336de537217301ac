"""One page of a list: the ``?limit=&offset=`` a list route takes, the shape it answers,
and the one count-then-slice every list query goes through.

Below every domain (identity, audit and the rest use it), so no domain borrows another's
paging type. A route takes ``server.deps.PagingDep`` and answers ``paged(...)``, or
``Page.of(...)`` over what a service's ``page_rows`` gave.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    """``{items, total, limit, offset}``: what every list route answers."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[T], total: int, paging: Paging) -> Page[T]:
        return cls(items=list(items), total=total, limit=paging.limit, offset=paging.offset)


class Paging(BaseModel):
    """``?limit=&offset=`` on every list route (a dependency: ``Annotated[Paging, Query()]``).

    Not ``extra="forbid"``: as a query model that would refuse the route's other filters.
    """

    # The widest bounds any list had before they shared this one (warehouse admin's).
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=10_000_000)] = 0


def page_rows(session: Session, stmt: Select[R], *, limit: int, offset: int) -> tuple[list[R], int]:
    """One slice of ``stmt``'s rows (in its order) and how many rows it has in all."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def paged(
    session: Session, stmt: Select[R], paging: Paging, to_out: Callable[[R], Any]
) -> Page[Any]:
    """The page ``paging`` asks of ``stmt``, each row answered as ``to_out`` makes it."""
    return paged_rows(session, stmt, paging, lambda rows: [to_out(row) for row in rows])


def paged_rows(
    session: Session,
    stmt: Select[R],
    paging: Paging,
    to_outs: Callable[[list[R]], Sequence[Any]],
) -> Page[Any]:
    """``paged`` for answers made for the page's rows together (``to_outs`` reads what
    they need in one query for all of them, e.g. stock per product)."""
    rows, total = page_rows(session, stmt, limit=paging.limit, offset=paging.offset)
    return Page.of(to_outs(rows), total, paging)
