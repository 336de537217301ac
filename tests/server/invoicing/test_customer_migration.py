"""Migration 0011 (customer details): the old free-text address is split where it reads as
a Dutch address and kept whole otherwise, and joined back on downgrade, on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from server.migrations import downgrade, upgrade

BEFORE = "0010_reference_stamp"
ADDRESSES = {
    "comma": "Stationsplein 12, 9726 AE Groningen",
    "lines": "Havenweg 1\n3542ab  Utrecht\nNederland",
    "one line": "Dorpsstraat 5 1234 AB Ons Dorp",
    "foreign": "Rue Royale 1\n1000 Bruxelles\nBelgique",
    "street only": "Industrieweg 7",
    "empty": "",
}


def _rows(engine, columns: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        return {
            row[0]: tuple(row[1:])
            for row in conn.execute(text(f"SELECT name, {columns} FROM customers"))
        }


def test_addresses_are_split_and_joined_back(fresh_database_url):
    upgrade(fresh_database_url, BEFORE)
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            for name, address in ADDRESSES.items():
                conn.execute(
                    text(
                        "INSERT INTO customers (id, name, address, created_at) "
                        "VALUES (:id, :name, :address, CURRENT_TIMESTAMP)"
                    ),
                    {"id": uuid.uuid4().hex, "name": name, "address": address},
                )
        upgrade(fresh_database_url)
        assert _rows(engine, "street, zipcode, city, country, kvk") == {
            "comma": ("Stationsplein 12", "9726 AE", "Groningen", "NL", None),
            "lines": ("Havenweg 1", "3542 AB", "Utrecht", "NL", None),
            "one line": ("Dorpsstraat 5", "1234 AB", "Ons Dorp", "NL", None),
            # Not a Dutch address: kept whole, for a person to complete (and BR-NL-4 says so).
            "foreign": ("Rue Royale 1, 1000 Bruxelles, Belgique", None, None, "NL", None),
            "street only": ("Industrieweg 7", None, None, "NL", None),
            "empty": (None, None, None, "NL", None),
        }
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE customers SET country = 'BE', zipcode = '1000', kvk = '12345678' "
                    "WHERE name = 'street only'"
                )
            )

        engine.dispose()
        downgrade(fresh_database_url, BEFORE)
        assert _rows(engine, "address") == {
            "comma": ("Stationsplein 12, 9726 AE Groningen",),
            "lines": ("Havenweg 1, 3542 AB Utrecht",),
            "one line": ("Dorpsstraat 5, 1234 AB Ons Dorp",),
            "foreign": ("Rue Royale 1, 1000 Bruxelles, Belgique",),
            "street only": ("Industrieweg 7, 1000, BE",),
            "empty": ("",),
        }

        engine.dispose()
        upgrade(fresh_database_url)  # and up again
        assert _rows(engine, "street, zipcode, city")["lines"] == (
            "Havenweg 1",
            "3542 AB",
            "Utrecht",
        )
    finally:
        engine.dispose()
