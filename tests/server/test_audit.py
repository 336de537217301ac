"""The audit trail is append-only, in code and in the database."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.audit.service import record
from server.db import transaction


def test_record_and_refuse_updates(session_factory):
    with transaction(session_factory) as session:
        event = record(session=session, action="test.action", target_type="user", target_id="1")
    assert event.occurred_at.tzinfo is not None
    with pytest.raises(DBAPIError, match="append-only"):
        with transaction(session_factory) as session:
            session.execute(text("UPDATE audit_events SET action = 'forged'"))


def test_postgres_refuses_row_deletes(session_factory, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps DELETE for the test wipe; PostgreSQL refuses it")
    with transaction(session_factory) as session:
        record(session=session, action="test.action")
    with pytest.raises(DBAPIError, match="append-only"):
        with transaction(session_factory) as session:
            session.execute(text("DELETE FROM audit_events"))
