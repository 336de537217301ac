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


def test_dead_pooled_connection_is_replaced_before_use(database_url, monkeypatch):
    """A database restart kills pooled connections silently: the next checkout of one
    that sat idle pings it, and the pool opens a new one instead of failing the request."""
    import pytest
    from sqlalchemy import create_engine, text

    import server.db as db

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite connections are files: nothing to lose")
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout counts as idle
    engine = db.make_engine(database_url, pool_size=2)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    with engine.connect() as conn:  # the pooled, now dead connection is pinged and replaced
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    admin.dispose()
    engine.dispose()


def test_insert_ignore_says_whether_it_inserted(session):
    """The payments' refund and chargeback upserts branch on this answer; on PostgreSQL it
    read False for every insert (psycopg reports rowcount -1 for ON CONFLICT DO NOTHING)."""
    from server.identity.models import LoginThrottle
    from server.sqlutil import insert_ignore

    row = {"key": "ip:192.0.2.7", "failures": 0}
    assert insert_ignore(session, LoginThrottle, row, ["key"]) is True
    assert insert_ignore(session, LoginThrottle, {**row, "failures": 3}, ["key"]) is False
    assert session.get(LoginThrottle, "ip:192.0.2.7").failures == 0
