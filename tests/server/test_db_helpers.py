"""``server.db.one_of``: the same rows as ``IN`` on both databases, for any list size."""

from __future__ import annotations

from sqlalchemy import select

from server.db import one_of
from server.warehouse.models import Product
from shared.ids import uuid7


def _products(session, n: int) -> list[Product]:
    rows = [
        Product(
            id=uuid7(),
            sku=f"SKU-{i}",
            name=f"Product {i}",
            category="audio",
            tracking="bulk",
            barcode=f"RG-P-{i:05d}",
            day_price_cents=100,
        )
        for i in range(n)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def test_one_of_matches_in_for_strings_uuids_and_empty(session):
    rows = _products(session, 30)
    codes = [r.barcode for r in rows[::3]] + ["RG-NOT-THERE"]
    found = set(
        session.scalars(select(Product.barcode).where(one_of(session, Product.barcode, codes)))
    )
    assert found == {r.barcode for r in rows[::3]}
    ids = [r.id for r in rows[:7]]
    assert set(session.scalars(select(Product.id).where(one_of(session, Product.id, ids)))) == set(
        ids
    )
    assert session.scalars(select(Product.id).where(one_of(session, Product.id, []))).all() == []


def test_one_of_same_answer_every_time_the_statement_is_reused(session):
    # PostgreSQL switches a prepared statement to a generic plan after five runs: the
    # answers (not only the speed) must stay the same across that switch.
    rows = _products(session, 40)
    for size in (1, 5, 40, 3, 40, 2, 17, 40, 1, 40, 8, 40):
        codes = [r.barcode for r in rows[:size]]
        stmt = select(Product.barcode).where(one_of(session, Product.barcode, codes))
        assert sorted(session.scalars(stmt)) == sorted(codes)
