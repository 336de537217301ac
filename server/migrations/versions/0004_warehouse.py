"""warehouse: return condition on scans, admin movements, named pick units, reference versions

Revision ID: 0004_warehouse
Revises: 0003_identity
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0004_warehouse"
down_revision: str | None = "0003_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stock_qty", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("condition", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("case_code", sa.String(length=256), nullable=True))

    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=500), nullable=True))
        batch_op.alter_column("scan_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.drop_index("ix_movements_unit")
        batch_op.drop_index("ix_movements_project_id")
        batch_op.create_index("ix_movements_unit_latest", ["unit_id", "id"], unique=False)
        batch_op.create_index(
            "ix_movements_project_product", ["project_id", "product_id"], unique=False
        )

    # The ledger is append-only, enforced by the database too (as audit_events).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION movements_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'movements is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements "
            "FOR EACH ROW EXECUTE FUNCTION movements_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER movements_append_only BEFORE UPDATE ON movements "
            "BEGIN SELECT RAISE(ABORT, 'movements is append-only'); END"
        )

    op.create_table(
        "pick_units",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_pick_units_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_pick_units_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("project_id", "unit_id", name=op.f("pk_pick_units")),
    )
    op.create_table(
        "reference_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digests", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_versions")),
    )
    with op.batch_alter_table("reference_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reference_versions_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reference_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reference_versions_created_at"))
    op.drop_table("reference_versions")
    op.drop_table("pick_units")
    op.execute(
        "DROP TRIGGER IF EXISTS movements_append_only"
        + (" ON movements" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS movements_append_only()")
    # Admin movements have no scan; they cannot survive the NOT NULL coming back.
    op.execute("DELETE FROM movements WHERE scan_id IS NULL")
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index("ix_movements_project_product")
        batch_op.drop_index("ix_movements_unit_latest")
        batch_op.create_index("ix_movements_project_id", ["project_id"], unique=False)
        batch_op.create_index("ix_movements_unit", ["unit_id", "created_at"], unique=False)
        batch_op.alter_column("scan_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("note")
        batch_op.drop_column("user_id")

    drop_column("scans", "case_code")
    drop_column("scans", "condition")
    drop_column("products", "stock_qty")
