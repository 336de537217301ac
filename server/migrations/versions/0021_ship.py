"""stations: what each kiosk last reported (queue depth, release) for /metrics

The kiosk sends its queue depth and release with every sync request (headers, see
``shared.protocol``). They are stored next to ``last_seen_at`` in the same UPDATE that
request already makes, so ``/metrics`` reads one truth from the database whichever worker
or host the kiosk talked to. NULL: not reported yet (kiosks from before 0.2.0).

Revision ID: 0021_ship
Revises: 0020_console_sessions
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0021_ship"
down_revision: str | None = "0020_console_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stations", sa.Column("reported_queue_depth", sa.Integer(), nullable=True))
    op.add_column("stations", sa.Column("app_version", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that rebuilds the table, and DROP TABLE stations fails on
    # the foreign keys other tables hold to it (login_sessions, station_badge_verifiers).
    drop_column("stations", "app_version")
    drop_column("stations", "reported_queue_depth")
