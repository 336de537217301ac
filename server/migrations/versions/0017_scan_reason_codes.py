"""warehouse: scans keep their reasons as codes; annulled scans are looked up by index

``scans.reasons`` holds the answer's reasons as a JSON list of ``{"code", "params"}``
(``shared.reasons``) next to the English ``reason``, so a resent scan is answered with the
same codes. Rows answered before this revision keep only their English text (NULL here):
the kiosk shows that text as it always did.

``ix_scans_annuls_scan_id``: every count derived from the ledger leaves out the movements
of annulled scans and of the annuls themselves (``server.warehouse.ledger.counted``).

Revision ID: 0017_scan_reason_codes
Revises: 0016_webhook_body_digest
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_scan_reason_codes"
down_revision: str | None = "0016_webhook_body_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.Text(), nullable=True))
    op.create_index("ix_scans_annuls_scan_id", "scans", ["annuls_scan_id"])


def downgrade() -> None:
    op.drop_index("ix_scans_annuls_scan_id", table_name="scans")
    with op.batch_alter_table("scans") as batch_op:
        batch_op.drop_column("reasons")
