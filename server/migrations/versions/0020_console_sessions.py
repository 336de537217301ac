"""console: browser sessions, per-user console language, scan reviews, board indexes

``console_sessions``: one row per browser login (only the cookie's SHA-256), tied to the
refresh-token family its password login opened. ``console_preferences``: the language a
user chose for the console. ``scan_reviews``: who settled a conflict/rejected scan and why
(a scan without one is awaiting review on the live board). Three indexes on ``scans`` for
the board: newest first and per 5 minutes per station (``received_at, station_id``), a
project's scans (``project_id, status``), and the few flagged ones (partial); and one on
``movements`` for the damaged/missing queue (partial: only those kinds).

Revision ID: 0020_console_sessions
Revises: 0019_login_sessions
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_console_sessions"
down_revision: str | None = "0019_login_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FLAGGED = "status IN ('conflict', 'rejected')"


SET_ASIDE = "kind IN ('damaged', 'missing', 'maintenance')"


def upgrade() -> None:
    op.create_index(
        "ix_movements_set_aside",
        "movements",
        ["kind", "unit_id"],
        sqlite_where=sa.text(SET_ASIDE),
        postgresql_where=sa.text(SET_ASIDE),
    )
    op.create_index("ix_scans_received_at", "scans", ["received_at", "station_id"])
    op.create_index("ix_scans_project_id", "scans", ["project_id", "status"])
    op.create_index(
        "ix_scans_flagged",
        "scans",
        ["received_at"],
        sqlite_where=sa.text(FLAGGED),
        postgresql_where=sa.text(FLAGGED),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_console_sessions_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_console_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
    )
    op.create_index("ix_console_sessions_family_id", "console_sessions", ["family_id"])
    op.create_index("ix_console_sessions_user", "console_sessions", ["user_id", "revoked_at"])
    op.create_table(
        "console_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_console_preferences_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_console_preferences"),
    )
    op.create_table(
        "scan_reviews",
        sa.Column("scan_id", sa.Uuid(), nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name="fk_scan_reviews_resolved_by_users"
        ),
        sa.PrimaryKeyConstraint("scan_id", name="pk_scan_reviews"),
    )


def downgrade() -> None:
    op.drop_table("scan_reviews")
    op.drop_table("console_preferences")
    op.drop_index("ix_console_sessions_user", table_name="console_sessions")
    op.drop_index("ix_console_sessions_family_id", table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index("ix_scans_flagged", table_name="scans")
    op.drop_index("ix_scans_project_id", table_name="scans")
    op.drop_index("ix_scans_received_at", table_name="scans")
    op.drop_index("ix_movements_set_aside", table_name="movements")
