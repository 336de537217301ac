"""invoicing: structured customer address, country and KvK number (replaces free-text address)

SI-UBL 2.0 needs a Dutch business customer's street, city and postal code (BR-NL-4) and
KvK number (BR-NL-10); Moneybird and Exact keep them as separate fields too. The old
free-text ``address`` is split where it reads as a Dutch address -- ``<street>,
<1234 AB> <city>`` with commas or line breaks, or on one line, optionally ending in
"Nederland" -- into ``street``, ``zipcode`` and ``city``. Anything else goes into
``street`` whole (line breaks become ", "), so nothing is lost and a person can see what
to complete; its invoices report BR-NL-4 until then. Every customer gets country NL (the
business invoices Dutch customers; a foreign one is corrected by hand).

Downgrade joins street, "zipcode city" and a non-NL country back into ``address`` and drops
the new columns; the KvK numbers are lost with theirs.

Revision ID: 0011_customer_details
Revises: 0010_reference_stamp
Create Date: 2026-11-27 09:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0011_customer_details"
down_revision: str | None = "0010_reference_stamp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS_LENGTH = 500
CITY_LENGTH = 100
_POSTCODE_CITY = re.compile(r"([1-9]\d{3}) ?([A-Za-z]{2})\s+(\S.*)")
# On one line the postcode's letters must be capitals: "Dorpsstraat 1000 ab" is no postcode.
_ONE_LINE = re.compile(r"(\S.*?)\s+([1-9]\d{3}) ?([A-Z]{2})\s+(\S.*)")
_NETHERLANDS = {"nederland", "netherlands", "the netherlands", "nl", "holland"}


def split_address(text: str) -> tuple[str | None, str | None, str | None]:
    """(street, zipcode, city) of an old free-text address; unsplittable text is all street."""
    parts = [part.strip() for part in re.split(r"[\r\n,]+", text or "") if part.strip()]
    if not parts:
        return None, None, None
    if len(parts) > 1 and parts[-1].lower() in _NETHERLANDS:
        parts = parts[:-1]
    found = None
    if len(parts) >= 2 and (tail := _POSTCODE_CITY.fullmatch(parts[-1])):
        found = ", ".join(parts[:-1]), tail[1], tail[2], tail[3]
    elif len(parts) == 1 and (line := _ONE_LINE.fullmatch(parts[0])):
        found = line[1], line[2], line[3], line[4]
    if found and len(found[3]) <= CITY_LENGTH:
        street, digits, letters, city = found
        return street, f"{digits} {letters.upper()}", city
    whole = ", ".join(parts)
    if len(whole) > ADDRESS_LENGTH:  # ", " for a line break could make it longer: never cut
        whole = " ".join(" ".join(parts).split())
    return whole, None, None


def join_address(
    street: str | None, zipcode: str | None, city: str | None, country: str | None
) -> str:
    place = " ".join(part for part in (zipcode, city) if part)
    parts = [street, place, country if country and country != "NL" else None]
    return ", ".join(part for part in parts if part)[:ADDRESS_LENGTH]


def upgrade() -> None:
    op.add_column("customers", sa.Column("street", sa.String(length=500), nullable=True))
    op.add_column("customers", sa.Column("zipcode", sa.String(length=16), nullable=True))
    op.add_column("customers", sa.Column("city", sa.String(length=100), nullable=True))
    op.add_column(
        "customers",
        sa.Column("country", sa.String(length=2), server_default="NL", nullable=False),
    )
    op.add_column("customers", sa.Column("kvk", sa.String(length=8), nullable=True))
    conn = op.get_bind()
    for customer_id, address in conn.execute(
        sa.text("SELECT id, address FROM customers WHERE address <> ''")
    ).all():
        street, zipcode, city = split_address(address)
        conn.execute(
            sa.text("UPDATE customers SET street = :s, zipcode = :z, city = :c WHERE id = :id"),
            {"s": street, "z": zipcode, "c": city, "id": customer_id},
        )
    drop_column("customers", "address")


def downgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("address", sa.String(length=500), server_default="", nullable=False),
    )
    conn = op.get_bind()
    for customer_id, *parts in conn.execute(
        sa.text("SELECT id, street, zipcode, city, country FROM customers")
    ).all():
        if address := join_address(*parts):
            conn.execute(
                sa.text("UPDATE customers SET address = :a WHERE id = :id"),
                {"a": address, "id": customer_id},
            )
    for column in ("kvk", "country", "city", "zipcode", "street"):
        drop_column("customers", column)
