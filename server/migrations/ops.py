"""Small helpers migrations share."""

from __future__ import annotations

from alembic import op


def drop_column(table: str, column: str) -> None:
    """Drop a column in place. Alembic's batch mode would copy the table on SQLite, and with
    foreign keys on, dropping a referenced table's old copy fails (or cascades)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # SQLite >= 3.35
    else:
        op.drop_column(table, column)
