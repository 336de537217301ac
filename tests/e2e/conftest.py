"""End-to-end fixtures: the real server on loopback, the real kiosk offscreen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.app import build_app
from client.config import KioskConfig
from tests.helpers.kiosk import fail_on_qt_warnings
from tests.helpers.live_server import LiveServer

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    fail_on_qt_warnings(items, _HERE)


@pytest.fixture
def live(fresh_database_url, tmp_path):
    """The real server as a process on loopback, migrated and seeded: (server, demo data)."""
    server = LiveServer(fresh_database_url, tmp_path / "server.log")
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    server.start()
    yield server, demo
    server.stop()


@pytest.fixture
def kiosk(qtbot, live, tmp_path):
    """The real kiosk, enrolled at the live server, shown once its first reference sync is in."""
    server, demo = live
    config = KioskConfig(
        server_url=server.url,
        data_dir=tmp_path / "kiosk",
        station_token_file=tmp_path / "kiosk" / "station-token",
        sync_interval_s=0.2,
        # Real clock on a busy 2-core machine: a generous gap keeps the burst a burst.
        # The 20 ms rule itself is pinned with an injected clock in tests/client.
        wedge_gap_ms=300,
        language="en",  # the assertions read English texts; Dutch is the kiosk's default
        sound=False,
    )
    config.write_station_token(demo["station_token"])
    app = build_app(config, start_sync=False)
    qtbot.addWidget(app.window)
    with qtbot.waitSignal(app.sync_events.reference_updated, timeout=15_000):
        app.start_sync()
    app.show()
    qtbot.waitExposed(app.window)
    yield app
    app.shutdown()
