"""One page of a list: the ``?limit=&offset=`` a list route takes and the shape it answers.

Below every domain (identity, audit and the rest use it), so no domain borrows another's
paging type.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class Paging(BaseModel):
    """``?limit=&offset=`` on every list route (a dependency: ``Annotated[Paging, Query()]``).

    Not ``extra="forbid"``: as a query model that would refuse the route's other filters.
    """

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0
