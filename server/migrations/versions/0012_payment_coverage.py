"""payments: refunds pending apart from refunds done; invoices can be ``overpaid``

A refund counts in ``refunded_cents`` only once the provider reports it done (Stripe
``succeeded``, Mollie ``refunded``); until then it is in the new ``*_refund_pending_cents``.
Upgrade moves the amounts of the refunds stored as pending (queued, pending, processing,
requires_action) there, re-derives the state of the invoices concerned, and schedules their
payments for reconciliation, which follows the refunds until they settle. Failed and
canceled refunds already counted nothing at the provider's side of the sums. Refunds get
``done_at`` (set from ``updated_at`` for those already done) and ``reversed_at`` (a done
refund that failed after all), so the export books each moment of money once. Invoices
already paid beyond their total become ``overpaid``.

The invoice state check gains ``overpaid``. SQLite cannot alter a CHECK constraint and
copying ``invoices`` is not possible with foreign keys on (payments, lines and credit notes
refer to it), so the table's stored definition is edited in place, the procedure SQLite
documents for changes that leave the stored rows as they are
(https://www.sqlite.org/lang_altertable.html#otheralter). Downgrade turns ``overpaid``
invoices back into ``paid`` and folds pending refunds into the refunded sums again.

Revision ID: 0012_payment_coverage
Revises: 0011_customer_details
Create Date: 2026-12-06 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0012_payment_coverage"
down_revision: str | None = "0011_customer_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATES = "'draft', 'open', 'partially_paid', 'paid', 'partially_refunded', 'refunded', "
OLD_STATES += "'cancelled'"
NEW_STATES = OLD_STATES + ", 'overpaid'"
PENDING = "('queued', 'pending', 'processing', 'requires_action')"


def _replace_state_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_invoices_state"), "invoices", type_="check")
        op.create_check_constraint(op.f("ck_invoices_state"), "invoices", f"state IN ({new})")
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'invoices'"
    ).scalar_one()
    if f"state IN ({old})" not in sql:
        raise RuntimeError("invoices: the state check is not the one this migration expects")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'invoices'",
        (sql.replace(f"state IN ({old})", f"state IN ({new})"),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    op.add_column(
        "payments",
        sa.Column(
            "amount_refund_pending_cents", sa.Integer(), server_default="0", nullable=False
        ),
    )
    op.add_column(
        "invoices",
        sa.Column("refund_pending_cents", sa.Integer(), server_default="0", nullable=False),
    )
    _replace_state_check(OLD_STATES, NEW_STATES)
    op.add_column("refunds", sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "refunds", sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE refunds SET done_at = updated_at WHERE status IN ('refunded', 'succeeded')")
    op.execute(
        f"""
        UPDATE payments SET
            amount_refund_pending_cents = (
                SELECT COALESCE(SUM(r.amount_cents), 0) FROM refunds r
                WHERE r.payment_id = payments.id AND r.status IN {PENDING}),
            next_check_at = CURRENT_TIMESTAMP
        WHERE EXISTS (SELECT 1 FROM refunds r
                      WHERE r.payment_id = payments.id AND r.status IN {PENDING})
        """
    )
    op.execute(
        "UPDATE payments SET amount_refunded_cents = "
        "amount_refunded_cents - amount_refund_pending_cents "
        "WHERE amount_refund_pending_cents > 0"
    )
    op.execute(
        """
        UPDATE invoices SET
            refund_pending_cents = (SELECT COALESCE(SUM(p.amount_refund_pending_cents), 0)
                                    FROM payments p WHERE p.invoice_id = invoices.id),
            refunded_cents = (SELECT COALESCE(SUM(p.amount_refunded_cents), 0)
                              FROM payments p WHERE p.invoice_id = invoices.id)
        WHERE EXISTS (SELECT 1 FROM payments p
                      WHERE p.invoice_id = invoices.id AND p.amount_refund_pending_cents > 0)
        """
    )
    # The state those sums imply (server.invoicing.service.derive_state as of this revision).
    op.execute(
        """
        UPDATE invoices SET state = CASE
            WHEN paid_cents > 0 AND refunded_cents >= paid_cents THEN 'refunded'
            WHEN paid_cents - refunded_cents - charged_back_cents > total_cents THEN 'overpaid'
            WHEN refunded_cents > 0 AND paid_cents - refunded_cents < total_cents
                THEN 'partially_refunded'
            WHEN paid_cents > 0 AND paid_cents >= total_cents THEN 'paid'
            WHEN paid_cents > 0 THEN 'partially_paid'
            ELSE 'open' END
        WHERE refund_pending_cents > 0 AND state IN ('partially_refunded', 'refunded')
        """
    )
    # Invoices already paid more than their total (two payments at once, before this
    # revision) are flagged now: the metric and every export report list them.
    op.execute(
        """
        UPDATE invoices SET state = 'overpaid'
        WHERE state NOT IN ('draft', 'cancelled', 'overpaid')
          AND paid_cents - refunded_cents - charged_back_cents > total_cents
        """
    )


def downgrade() -> None:
    op.execute("UPDATE invoices SET state = 'paid' WHERE state = 'overpaid'")
    op.execute(
        "UPDATE invoices SET refunded_cents = refunded_cents + refund_pending_cents, "
        "state = CASE WHEN refunded_cents + refund_pending_cents >= paid_cents "
        "THEN 'refunded' ELSE 'partially_refunded' END "
        "WHERE refund_pending_cents > 0"
    )
    op.execute(
        "UPDATE payments SET amount_refunded_cents = "
        "amount_refunded_cents + amount_refund_pending_cents "
        "WHERE amount_refund_pending_cents > 0"
    )
    _replace_state_check(NEW_STATES, OLD_STATES)
    drop_column("refunds", "reversed_at")
    drop_column("refunds", "done_at")
    drop_column("invoices", "refund_pending_cents")
    drop_column("payments", "amount_refund_pending_cents")
