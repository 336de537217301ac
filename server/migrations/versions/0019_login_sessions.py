"""identity: login sessions that scans are bound to; revoked-token and reference-sync marks

``login_sessions``: one row per login at a station — an online badge login (its id is the
refresh-token family, the access token's ``sid``) or an offline login the kiosk recorded
and uploaded ahead of its scans. ``scans.login_session_id``/``attribution`` say which login
a scan was made under and how it was judged (``shared.protocol.Attribution``); scans
received before this revision keep NULL there.

``stations.revoked_token_hash`` keeps a revoked token's hash so its next call is answered
"station revoked" (a distinct 401 the kiosk acts on); ``stations.reference_synced_at`` is
when the station last proved it holds the current reference data (lost badges: which
stations still carry a revoked badge offline).

Revision ID: 0019_login_sessions
Revises: 0018_badge_credentials
Create Date: 2026-12-06 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0019_login_sessions"
down_revision: str | None = "0018_badge_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("verifier", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("method IN ('badge', 'offline')", name=op.f("ck_login_sessions_method")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_login_sessions_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
    )
    op.create_index("ix_login_sessions_station_user", "login_sessions", ["station_id", "user_id"])
    with op.batch_alter_table("scans") as batch_op:
        batch_op.add_column(sa.Column("login_session_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("attribution", sa.String(length=16), nullable=True))
    with op.batch_alter_table("stations") as batch_op:
        batch_op.add_column(sa.Column("revoked_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("reference_synced_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index(op.f("ix_stations_revoked_token_hash"), "stations", ["revoked_token_hash"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stations_revoked_token_hash"), table_name="stations")
    drop_column("stations", "reference_synced_at")
    drop_column("stations", "revoked_token_hash")
    drop_column("scans", "attribution")
    drop_column("scans", "login_session_id")
    op.drop_index("ix_login_sessions_station_user", table_name="login_sessions")
    op.drop_table("login_sessions")
