"""payments: chargebacks/disputes as rows of their own (exported once each)

Existing payments' chargebacks are read again from the provider by the next webhook or
reconciliation; until then a payment's ``amount_charged_back_cents`` still tells.

Revision ID: 0008_chargebacks
Revises: 0007_vat_per_rate
Create Date: 2026-11-26 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_chargebacks"
down_revision: str | None = "0007_vat_per_rate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chargebacks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("provider_chargeback_id", sa.String(length=64), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_chargebacks_amount_positive")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_chargebacks_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargebacks")),
        sa.UniqueConstraint(
            "provider",
            "provider_chargeback_id",
            name=op.f("uq_chargebacks_provider_provider_chargeback_id"),
        ),
    )
    op.create_index(op.f("ix_chargebacks_payment_id"), "chargebacks", ["payment_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_chargebacks_payment_id"), table_name="chargebacks")
    op.drop_table("chargebacks")
