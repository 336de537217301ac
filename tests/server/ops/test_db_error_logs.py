"""Defect 7: a database error's log lines carry none of the bound parameters (password and
PIN hashes, e-mail addresses) nor what the error message repeats of them (PostgreSQL's
``DETAIL:  Key (email)=(…) already exists``)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, insert
from sqlalchemy.exc import IntegrityError

from server.db import transaction
from server.identity import service as identity
from server.identity.models import User
from server.identity.security import hash_password

EMAIL = "secret.person@example.nl"
log = logging.getLogger("tests.ops.db_errors")


@pytest.fixture
def taken_email(session_factory):
    with transaction(session_factory) as session:
        identity.create_user(session=session, name="First", email=EMAIL)


def test_a_failing_request_logs_no_parameters(app, client, json_log, taken_email):
    password_hash, pin_hash = hash_password("hunter2-password"), hash_password("4826")

    @app.post("/test/duplicate-user")
    def duplicate_user() -> dict:
        # A write the services would refuse with a 409: here it reaches the database, whose
        # unique key answers; the one integrity handler makes it a 409 and logs the error.
        with transaction(app.state.session_factory) as session:
            session.add(User(name="Second", email=EMAIL, password_hash=password_hash,
                             pin_hash=pin_hash))
            session.flush()
        return {}

    response = client.post("/test/duplicate-user")
    assert response.status_code == 409
    text = json_log.text()
    assert "integrity error" in text.lower()  # the error is logged...
    for secret in (EMAIL, password_hash, pin_hash, "$argon2"):
        assert secret not in text  # ...without what it was given


def test_an_engine_made_elsewhere_is_scrubbed_too(database_url, json_log, taken_email):
    """An engine that did not hide its parameters (a script's own ``create_engine``): the
    log still shows neither the parameters nor PostgreSQL's DETAIL line."""
    pin_hash = hash_password("123456")
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(User.__table__).values(
                id=User.id.default.arg(None), name="Third", email=EMAIL, pin_hash=pin_hash,
                active=True, skills=[],
            ))
    except IntegrityError as exc:
        assert EMAIL in str(exc) or pin_hash in str(exc)  # the raw message does carry them
        log.exception("insert failed")
    finally:
        engine.dispose()
    text = json_log.text()
    assert "insert failed" in text and "IntegrityError" in text
    for secret in (EMAIL, pin_hash, "$argon2"):
        assert secret not in text


def test_message_arguments_are_scrubbed(json_log):
    pin_hash = hash_password("0000")
    log.error("saw %s", f"DETAIL:  Key (email)=({EMAIL}) already exists; hash {pin_hash}")
    text = json_log.text()
    assert "saw" in text and EMAIL not in text and pin_hash not in text
