"""A poison scan never blocks a station: it is answered ``rejected`` with a reason code and
the rest of its batch is applied (SPEC §10 "Strings at the edge", issue 14 defects 1–2)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from server.warehouse.models import Movement, Scan
from tests.helpers.edge import BAD_TEXT, raw_json
from tests.server.warehouse.conftest import count


@pytest.fixture
def upload(client, station_headers):
    """Upload with \\u escapes (lone surrogates included), as a JSON encoder sends them."""

    def upload(*batch: dict) -> list[dict]:
        request = raw_json({"scans": list(batch)})
        request["headers"].update(station_headers)
        response = client.post("/api/v1/scans/batch", **request)
        assert response.status_code == 200, response.text
        return response.json()["results"]

    return upload


def _statuses(results):
    return [(r["status"], (r["reason"] or "").split(":")[0]) for r in results]


@pytest.mark.parametrize("bad", list(BAD_TEXT), ids=list(BAD_TEXT))
@pytest.mark.parametrize("field", ["code", "symbology", "case_code"])
def test_bad_text_rejects_only_its_scan(upload, scans, demo, session_factory, field, bad):
    first = scans.scan(demo["unit_codes"][0])
    poison = {**scans.scan(demo["unit_codes"][1], mode="audit"), field: BAD_TEXT[bad]}
    last = scans.scan(demo["unit_codes"][2])
    results = upload(first, poison, last)
    assert _statuses(results) == [
        ("applied", ""),
        ("rejected", "invalid_text"),
        ("applied", ""),
    ]
    assert field in results[1]["reason"]
    assert count(session_factory, Scan) == 2  # never stored: nothing to hold NUL
    assert count(session_factory, Movement) == 2
    # A resend (the kiosk did not get the answer) gets the same answers, still no 500.
    again = upload(first, poison, last)
    assert [r["status"] for r in again] == ["duplicate", "rejected", "duplicate"]


def test_scanned_at_outside_utc_years_is_rejected_alone(upload, scans, demo):
    poison = scans.scan(demo["unit_codes"][0], scanned_at="0001-01-01T00:00:00+14:00")
    fine = scans.scan(demo["unit_codes"][1])
    assert _statuses(upload(poison, fine)) == [
        ("rejected", "invalid_timestamp"),
        ("applied", ""),
    ]


def test_a_seq_beyond_32_bits_is_stored(upload, scans, demo, session_factory):
    """The protocol allows seq up to 2**62; the column was INTEGER (int4 on PostgreSQL)."""
    scan = scans.scan(demo["unit_codes"][0], seq=2**62)
    assert upload(scan)[0]["status"] == "applied"
    with session_factory() as session:
        assert session.get(Scan, uuid.UUID(scan["scan_id"])).seq == 2**62


@pytest.fixture
def database_refuses(session_factory):
    """Make the database itself refuse scans with code POISON-DB (a trigger, both backends):
    the stand-in for any per-row data/integrity error the server did not foresee.

    Each test names its own trigger: on SQLite a pooled connection can still see the trigger
    an earlier test dropped through another one, and a shared name then collided."""
    engine = session_factory.kw["bind"]
    name = f"poison_scan_{uuid.uuid4().hex}"
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'poison' USING ERRCODE = 'numeric_value_out_of_range'; "
                    "END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE INSERT ON scans FOR EACH ROW "
                    f"WHEN (NEW.code = 'POISON-DB') EXECUTE FUNCTION {name}()"
                )
            )
        else:
            conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE INSERT ON scans "
                    "WHEN NEW.code = 'POISON-DB' BEGIN SELECT RAISE(ABORT, 'poison'); END"
                )
            )
    yield
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON scans"))
            conn.execute(text(f"DROP FUNCTION IF EXISTS {name}()"))
        else:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


@pytest.mark.parametrize("where", [0, 3, 6])
def test_a_scan_the_database_refuses_is_isolated(
    upload, scans, demo, session_factory, database_refuses, where
):
    batch = [scans.scan(code) for code in demo["unit_codes"][:6]]
    batch.insert(where, scans.scan("POISON-DB", mode="audit"))
    results = upload(*batch)
    expected = [("applied", "")] * 7
    expected[where] = ("rejected", "not_storable")
    assert _statuses(results) == expected
    assert count(session_factory, Scan) == 6
    assert count(session_factory, Movement) == 6
