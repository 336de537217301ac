"""Fixtures for the fault suites: the real server on loopback, behind a proxy we break."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.db import make_engine, make_session_factory, transaction
from server.identity import service as identity
from tests.helpers.live_server import LiveServer


@dataclass
class LiveSite:
    server: LiveServer
    demo: dict
    tmp: Path

    def station_tokens(self, count: int) -> list[str]:
        """The demo station's token and ``count - 1`` new stations' tokens."""
        engine = make_engine(self.server.database_url)
        try:
            tokens = [self.demo["station_token"]]
            with transaction(make_session_factory(engine)) as session:
                for n in range(1, count):
                    _, token = identity.create_station(session=session, name=f"fault kiosk {n}")
                    tokens.append(token)
            return tokens
        finally:
            engine.dispose()


@pytest.fixture
def live_site(fresh_database_url, tmp_path) -> Iterator[LiveSite]:
    """``rentguy-server serve`` on a migrated, seeded database of each backend."""
    server = LiveServer(fresh_database_url, tmp_path / "server.log")
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    server.start()
    try:
        yield LiveSite(server, demo, tmp_path)
    finally:
        server.stop()
