"""warehouse: scans.seq becomes BIGINT (the protocol allows seq up to 2**62)

``shared.protocol.ScanIn.seq`` has always allowed up to 2**62, but the column was a 32-bit
INTEGER: on PostgreSQL a scan with seq above 2**31-1 failed its whole batch ("integer out
of range"), and the kiosk resent it forever. SQLite's INTEGER is 64-bit already, so this
only changes PostgreSQL; downgrade narrows it back (refused by the database if a stored
seq no longer fits, rather than truncating it).

Revision ID: 0015_scan_seq_bigint
Revises: 0011_customer_details
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_scan_seq_bigint"
down_revision: str | None = "0011_customer_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch_op:
        batch_op.alter_column(
            "seq", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch_op:
        batch_op.alter_column(
            "seq", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False
        )
