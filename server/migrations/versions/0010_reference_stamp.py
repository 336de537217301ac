"""warehouse: a change stamp over the reference tables (what a station mirrors)

``reference_stamp`` holds one counter that database triggers bump on every insert, update
or delete in the tables the reference download is built from (movements excepted: the
ledger is append-only, so its row count already tells whether it changed). The server
compares (stamp, movement count) with what it built its last reference version from and
skips rebuilding 50,000 rows when nothing changed — the common case, as every kiosk asks
every few seconds. Triggers rather than application code, so no writer (admin API, CLI,
a migration, psql) can forget to bump it.

Revision ID: 0010_reference_stamp
Revises: 0009_export_tokens_encrypted
Create Date: 2026-11-26 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_reference_stamp"
down_revision: str | None = "0009_export_tokens_encrypted"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table server/warehouse/reference.py reads, but movements (see the docstring).
TABLES = (
    "products",
    "units",
    "cases",
    "case_units",
    "projects",
    "pick_lines",
    "badges",
    "users",
    "user_roles",
)
_OPS = ("INSERT", "UPDATE", "DELETE")
_BUMP = "UPDATE reference_stamp SET changes = changes + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "reference_stamp",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_reference_stamp_single_row")),
    )
    op.execute("INSERT INTO reference_stamp (id, changes) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per transaction: every further UPDATE of the one row would add a row version
        # (a 40,000-row import took 20 s instead of 2). The flag is transaction-local and
        # reverts with a rolled-back savepoint, together with the bump it stands for.
        op.execute(
            "CREATE FUNCTION reference_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF current_setting('rentguy.reference_bumped', true) = 'on' THEN RETURN NULL; END IF; "
            "PERFORM set_config('rentguy.reference_bumped', 'on', true); "
            f"{_BUMP}; RETURN NULL; "
            "END $$"
        )
        for table in TABLES:  # once per statement, not per row: bulk writes stay cheap
            op.execute(
                f"CREATE TRIGGER reference_stamp_{table} "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION reference_stamp_bump()"
            )
    else:  # SQLite has row triggers only
        for table in TABLES:
            for kind in _OPS:
                op.execute(
                    f"CREATE TRIGGER reference_stamp_{table}_{kind.lower()} "
                    f"AFTER {kind} ON {table} BEGIN {_BUMP}; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS reference_stamp_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS reference_stamp_bump()")
    else:
        for table in TABLES:
            for kind in _OPS:
                op.execute(f"DROP TRIGGER IF EXISTS reference_stamp_{table}_{kind.lower()}")
    op.drop_table("reference_stamp")
