"""identity: badge strength, the PIN's offline join, per-station offline verifiers

``badges.kind``: ``issued`` (generated: 80 random bits + check character), ``imported``
(a given code: weak) or ``signed`` (an Ed25519-signed QR payload). Every badge that exists
before this revision becomes ``imported``: it keeps working, as a weak badge (a weak badge
of an admin or planner then needs a PIN to log in).

``users.pin_join``: ``HMAC(PIN key, PIN)`` (shared.badges.pin_join), joined into the
stations' offline verifiers; NULL for PINs set before this revision until the next online
login with the PIN fills it in.

``station_badge_verifiers``: each station's slow verifier per badge (scrypt, ~20 ms each),
kept so a reference download does not recompute them.

Revision ID: 0018_badge_credentials
Revises: 0017_scan_reason_codes
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0018_badge_credentials"
down_revision: str | None = "0017_scan_reason_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): users and badges are referenced by other tables.
    op.add_column(
        "badges",
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="imported"),
    )
    op.add_column("users", sa.Column("pin_join", sa.String(length=64), nullable=True))
    op.create_table(
        "station_badge_verifiers",
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("badge_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("verifier", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_station_badge_verifiers_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["badge_id"],
            ["badges.id"],
            name=op.f("fk_station_badge_verifiers_badge_id_badges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", "badge_id", name=op.f("pk_station_badge_verifiers")),
    )


def downgrade() -> None:
    op.drop_table("station_badge_verifiers")
    drop_column("users", "pin_join")
    drop_column("badges", "kind")
