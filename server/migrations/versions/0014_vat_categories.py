"""invoicing: a VAT category (UNCL5305) and exemption reason next to each line's rate

A 0 % line was always written as zero-rated (Z), also for a business abroad. Lines now say
their category (``server.invoicing.vat``). Existing lines were all Dutch VAT: S above 0 %,
Z at 0 %; none has an exemption reason. Credit notes keep their lines as JSON and read a
missing category the same way. Downgrade drops both columns.

Revision ID: 0014_vat_categories
Revises: 0013_export_call_budget
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0014_vat_categories"
down_revision: str | None = "0013_export_call_budget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invoice_lines",
        sa.Column("vat_category", sa.String(length=2), server_default="S", nullable=False),
    )
    op.add_column(
        "invoice_lines", sa.Column("vat_exemption_reason", sa.String(length=300), nullable=True)
    )
    op.execute("UPDATE invoice_lines SET vat_category = 'Z' WHERE vat_rate = 0")


def downgrade() -> None:
    drop_column("invoice_lines", "vat_exemption_reason")
    drop_column("invoice_lines", "vat_category")
