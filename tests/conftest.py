"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is the machine's server on 127.0.0.1:5432 (trust auth). Each test run creates
its own database and drops it at the end. Locally, a missing PostgreSQL skips those tests
with a reason; under CI (``CI`` set) it is an error, so CI can never go green without them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from server.config import Settings  # noqa: E402
from server.db import make_engine, make_session_factory  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from server.models import Base  # noqa: E402
from shared.protocol import version_headers  # noqa: E402
from shared.version import __version__  # noqa: E402

PG_HOST = os.environ.get("RENTGUY_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("RENTGUY_TEST_PG_PORT", "5432")
PG_USER = os.environ.get("RENTGUY_TEST_PG_USER", "postgres")
PG_ADMIN_URL = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"


def _pg_admin_engine() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = _pg_admin_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver error: not reachable
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} not reachable: {type(exc).__name__}"


def create_pg_database() -> tuple[str, str]:
    name = f"rentguy_test_{os.getpid()}_{secrets.token_hex(3)}"
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_pg_database(name: str) -> None:
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def require_pg() -> None:
    reason = pg_available()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test run."""
    require_pg()
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request, tmp_path_factory) -> str:
    """A migrated database URL, once per backend per test run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'rentguy.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_database")
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database_url(request, tmp_path) -> Iterator[str]:
    """An empty, unmigrated database of its own for one test, per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    require_pg()
    name, url = create_pg_database()
    yield url
    drop_pg_database(name)


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


# Rows a migration creates and the schema needs (not test data).
_MIGRATION_ROWS = {"reference_stamp"}


def _wipe(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in _MIGRATION_ROWS]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def session_factory(engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on a clean database; whatever a test commits is wiped after it."""
    yield make_session_factory(engine)
    _wipe(engine)


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=os.environ["RENTGUY_SECRET_KEY"],
        environment="test",
        log_json=False,
    )


@pytest.fixture
def app(settings, session_factory):
    from server.app import create_app

    app = create_app(settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    # As today's kiosk and admin tools: stating the current sync protocol. A request that
    # states none is a 0.1.0 kiosk (protocol 1), answered in that release's shapes.
    headers = version_headers(__version__)
    with TestClient(app, raise_server_exceptions=False, headers=headers) as client:
        yield client


@pytest.fixture
def demo(session_factory, settings) -> dict:
    """The demo data set (see server.demo), committed."""
    from server.db import transaction
    from server.demo import seed_demo

    with transaction(session_factory) as session:
        # Its crew member is logged in at the demo station (``login_session_id``): scans
        # no login of their user at their station backs are conflicts (issue 15).
        return seed_demo(session=session, settings=settings)


def login_at_station(session, settings, user_id, station_id) -> str:
    """Open a badge login session of ``user_id`` at ``station_id``; its id, as text."""
    import uuid

    from server.identity.login import open_session
    from server.identity.models import User

    user = session.get(User, uuid.UUID(str(user_id)))
    grant = open_session(
        session=session,
        settings=settings,
        user=user,
        method="badge",
        station_id=uuid.UUID(str(station_id)),
    )
    return str(grant.session_id)


@pytest.fixture
def station_headers(demo) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['station_token']}"}


@pytest.fixture
def user_headers(session_factory, settings):
    """``user_headers("admin", "planner")`` -> headers with an access token for a new user."""
    from server.db import transaction
    from server.identity import service as identity
    from server.identity.login import open_session
    from server.identity.models import Role

    def make(*roles: str) -> dict[str, str]:
        with transaction(session_factory) as session:
            user = identity.create_user(
                session=session,
                name=f"Test {'/'.join(roles) or 'nobody'}",
                roles=[Role(role) for role in roles],
            )
            # A real login session: access tokens are checked against it on every request.
            grant = open_session(session=session, settings=settings, user=user)
        return {"Authorization": f"Bearer {grant.access_token}"}

    return make
