"""payments: a delivery's body size and SHA-256; rejected deliveries keep a short prefix

Rejected deliveries (bad signature) used to keep up to 256 KiB of body each, so anyone
could grow the database through the webhook routes. Now a rejected delivery keeps its
metadata, the body's size and digest, and its first 1 KiB; upgrade cuts the bodies already
stored for rejected deliveries to that prefix (their size and digest are unknown: NULL).

Downgrade drops the two columns; the cut bodies stay cut.

Revision ID: 0016_webhook_body_digest
Revises: 0015_scan_seq_bigint
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0016_webhook_body_digest"
down_revision: str | None = "0015_scan_seq_bigint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REJECTED_BODY_PREFIX = 1024  # server.payments.webhooks.MAX_REJECTED_BODY_STORED


def upgrade() -> None:
    op.add_column("provider_events", sa.Column("body_bytes", sa.Integer(), nullable=True))
    op.add_column("provider_events", sa.Column("body_sha256", sa.String(64), nullable=True))
    op.execute(
        sa.text(
            "UPDATE provider_events SET body = substr(body, 1, :n) "
            "WHERE outcome = 'rejected' AND length(body) > :n"
        ).bindparams(n=REJECTED_BODY_PREFIX)
    )


def downgrade() -> None:
    drop_column("provider_events", "body_sha256")
    drop_column("provider_events", "body_bytes")
