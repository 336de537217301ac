"""Migration 0012 (payment coverage): refunds stored as pending leave the refunded sums for
the pending ones and the invoice's state follows; the state check admits ``overpaid``;
downgrade folds them back. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, text

from server.migrations import downgrade, upgrade

BEFORE = "0011_customer_details"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _insert(conn, table: str, **values) -> None:
    def kind(value):
        if isinstance(value, uuid.UUID):
            return sa.Uuid()
        if isinstance(value, datetime):
            return sa.DateTime(timezone=True)
        if isinstance(value, date):
            return sa.Date()
        return None

    columns = [sa.column(name, kind(value)) for name, value in values.items()]
    conn.execute(sa.table(table, *columns).insert().values(**values))


def _invoice(conn, customer_id, number, *, state, paid, refunded) -> uuid.UUID:
    invoice_id = uuid.uuid4()
    _insert(
        conn,
        "invoices",
        id=invoice_id,
        number=number,
        customer_id=customer_id,
        state=state,
        currency="EUR",
        issue_date=date(2026, 12, 1),
        subtotal_cents=10_000,
        vat_cents=0,
        total_cents=10_000,
        paid_cents=paid,
        refunded_cents=refunded,
        charged_back_cents=0,
        created_at=NOW,
        updated_at=NOW,
    )
    return invoice_id


def _payment(conn, invoice_id, *, refunded) -> uuid.UUID:
    payment_id = uuid.uuid4()
    _insert(
        conn,
        "payments",
        id=payment_id,
        invoice_id=invoice_id,
        provider="mollie",
        provider_payment_id=f"tr_{payment_id.hex[:10]}",
        idempotency_key=f"key-{payment_id}",
        amount_cents=10_000,
        currency="EUR",
        status="paid",
        provider_status="paid",
        amount_refunded_cents=refunded,
        amount_charged_back_cents=0,
        dispute_status="none",
        paid_at=NOW,
        synced_at=NOW,
        created_at=NOW,
        updated_at=NOW,
    )
    return payment_id


def _refund(conn, payment_id, cents, status) -> None:
    rid = uuid.uuid4()
    _insert(
        conn,
        "refunds",
        id=rid,
        payment_id=payment_id,
        provider="mollie",
        provider_refund_id=f"re_{rid.hex[:10]}",
        amount_cents=cents,
        status=status,
        initiated_by="admin",
        created_at=NOW,
        updated_at=NOW,
    )


def _state(engine, invoice_id) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.select(
                    sa.column("state"), sa.column("refunded_cents"), sa.column("paid_cents")
                )
                .select_from(sa.table("invoices"))
                .where(sa.column("id", sa.Uuid()) == invoice_id)
            ).one()
        )


def test_pending_refunds_move_apart_and_back(fresh_database_url):
    upgrade(fresh_database_url, BEFORE)
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            customer = uuid.uuid4()
            _insert(conn, "customers", id=customer, name="Acme", created_at=NOW)
            # A: 3000 done + 2000 pending (old code counted 5000); B: all pending.
            a = _invoice(conn, customer, "2026-00001", state="partially_refunded", paid=10_000,
                         refunded=5_000)
            pay_a = _payment(conn, a, refunded=5_000)
            _refund(conn, pay_a, 3_000, "refunded")
            _refund(conn, pay_a, 2_000, "pending")
            b = _invoice(conn, customer, "2026-00002", state="refunded", paid=10_000,
                         refunded=10_000)
            pay_b = _payment(conn, b, refunded=10_000)
            _refund(conn, pay_b, 10_000, "queued")
            # C: paid twice before coverage existed.
            c = _invoice(conn, customer, "2026-00003", state="paid", paid=20_000, refunded=0)
            _payment(conn, c, refunded=0)
            _payment(conn, c, refunded=0)
        engine.dispose()

        upgrade(fresh_database_url)
        assert _state(engine, a) == ("partially_refunded", 3_000, 10_000)
        assert _state(engine, b) == ("paid", 0, 10_000)
        assert _state(engine, c) == ("overpaid", 0, 20_000)
        with engine.connect() as conn:
            pending = dict(
                conn.execute(
                    text("SELECT number, refund_pending_cents FROM invoices ORDER BY number")
                ).all()
            )
            followed = conn.execute(
                text("SELECT COUNT(*) FROM payments WHERE next_check_at IS NOT NULL")
            ).scalar_one()
        assert pending == {"2026-00001": 2_000, "2026-00002": 10_000, "2026-00003": 0}
        assert followed == 2  # reconciliation follows the pending refunds
        with engine.connect() as conn:
            done = dict(
                conn.execute(text("SELECT status, done_at IS NOT NULL FROM refunds")).all()
            )
        assert done == {"refunded": True, "pending": False, "queued": False}
        with engine.begin() as conn:  # the new state is allowed by the check
            conn.execute(text("UPDATE invoices SET state = 'overpaid' WHERE number = '2026-00002'"))
        engine.dispose()

        downgrade(fresh_database_url, BEFORE)
        assert _state(engine, a) == ("partially_refunded", 5_000, 10_000)
        assert _state(engine, b) == ("refunded", 10_000, 10_000)
        assert _state(engine, c) == ("paid", 0, 20_000)
        with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
            conn.execute(text("UPDATE invoices SET state = 'overpaid'"))
    finally:
        engine.dispose()
