"""The three bulk writes of an ingest batch, fast on both databases.

PostgreSQL gets each as ONE statement over one JSON parameter (``json_to_recordset``): a
500-scan batch is three round trips, not a multi-thousand-placeholder INSERT that psycopg
must re-parse per page, nor 500 pipelined UPDATEs, nor per-element array adaptation.
SQLite (in-process, no round trips) uses SQLAlchemy Core
``executemany``. Semantics are identical: the claim is ``ON CONFLICT (scan_id) DO
NOTHING RETURNING scan_id``, so exactly-once still rests on the primary key.
"""

from __future__ import annotations

import uuid

import orjson
from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.db import is_postgresql, table_of
from server.warehouse.models import Movement, Scan

_SCAN_COLUMNS = {
    "scan_id": "uuid",
    "station_id": "uuid",
    "seq": "int8",
    "user_id": "uuid",
    "project_id": "uuid",
    "mode": "text",
    "code": "text",
    "symbology": "text",
    "source": "text",
    "qty": "int8",
    "annuls_scan_id": "uuid",
    "condition": "text",
    "case_code": "text",
    "login_session_id": "uuid",
    "scanned_at": "timestamptz",
    "received_at": "timestamptz",
    "status": "text",
}
_MOVEMENT_COLUMNS = {
    "id": "uuid",
    "scan_id": "uuid",
    "kind": "text",
    "product_id": "uuid",
    "unit_id": "uuid",
    "project_id": "uuid",
    "qty": "int8",
    "created_at": "timestamptz",
}

_ANSWER_COLUMNS = {
    "scan_id": "uuid",
    "status": "text",
    "reason": "text",
    "reasons": "text",
    "code": "text",
    "attribution": "text",
}


def _recordset(columns: dict[str, str]) -> str:
    spec = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    return f"json_to_recordset(CAST(:rows AS json)) AS v({spec})"


def _json(rows: list[dict], columns: dict[str, str]) -> dict[str, str]:
    # orjson writes UUIDs and aware datetimes (RFC 3339, offset kept) natively, in C.
    return {"rows": orjson.dumps([{k: row[k] for k in columns} for row in rows]).decode()}


def claim(session: Session, rows: list[dict]) -> set[uuid.UUID]:
    """Insert scan rows whose ``scan_id`` is new; return the ids this call inserted."""
    if is_postgresql(session):
        names = ", ".join(_SCAN_COLUMNS)
        stmt = text(
            f"INSERT INTO scans ({names}) SELECT {names} FROM {_recordset(_SCAN_COLUMNS)} "
            "ON CONFLICT (scan_id) DO NOTHING RETURNING scan_id"
        )
        return set(session.execute(stmt, _json(rows, _SCAN_COLUMNS)).scalars())
    table = table_of(Scan)
    ignoring = sqlite_insert(table).on_conflict_do_nothing(index_elements=["scan_id"])
    # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
    return set(session.execute(ignoring.returning(table.c.scan_id), rows).scalars())


def insert_movements(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    if is_postgresql(session):
        names = ", ".join(_MOVEMENT_COLUMNS)
        session.execute(
            text(
                f"INSERT INTO movements ({names}) "
                f"SELECT {names} FROM {_recordset(_MOVEMENT_COLUMNS)}"
            ),
            _json(rows, _MOVEMENT_COLUMNS),
        )
        return
    session.execute(insert(table_of(Movement)), rows)


def set_answers(session: Session, rows: list[dict]) -> None:
    """Store each claimed scan's answer: ``scan_id``, ``status``, ``reason``, ``reasons``
    (JSON text), ``code``, ``attribution``."""
    if is_postgresql(session):
        session.execute(
            text(
                "UPDATE scans SET status = v.status, reason = v.reason, reasons = v.reasons, "
                "normalized_code = v.code, attribution = v.attribution "
                f"FROM {_recordset(_ANSWER_COLUMNS)} "
                "WHERE scans.scan_id = v.scan_id"
            ),
            _json(rows, _ANSWER_COLUMNS),
        )
        return
    table = table_of(Scan)
    session.execute(
        update(table)
        .where(table.c.scan_id == bindparam("b_scan_id"))
        .values(
            status=bindparam("b_status"),
            reason=bindparam("b_reason"),
            reasons=bindparam("b_reasons"),
            normalized_code=bindparam("b_code"),
            attribution=bindparam("b_attribution"),
        ),
        [
            {
                "b_scan_id": r["scan_id"],
                "b_status": r["status"],
                "b_reason": r["reason"],
                "b_reasons": r["reasons"],
                "b_code": r["code"],
                "b_attribution": r["attribution"],
            }
            for r in rows
        ],
    )
