"""exports: error answers per target endpoint, to stay under Exact's block threshold

Exact Online blocks an app after 10 errors per endpoint per hour. Each error answer is a
row (target, endpoint, status, time), so every run and process counts the same hour.

Revision ID: 0013_export_call_budget
Revises: 0012_payment_coverage
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_export_call_budget"
down_revision: str | None = "0012_payment_coverage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "export_endpoint_errors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("endpoint", sa.String(length=128), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_endpoint_errors")),
    )
    op.create_index(
        "ix_export_endpoint_errors_recent",
        "export_endpoint_errors",
        ["target", "endpoint", "at"],
    )


def downgrade() -> None:
    op.drop_index("ix_export_endpoint_errors_recent", table_name="export_endpoint_errors")
    op.drop_table("export_endpoint_errors")
