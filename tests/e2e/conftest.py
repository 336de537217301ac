"""End-to-end fixtures: the real server on loopback, the real kiosk offscreen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
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


def kiosk_config(server: LiveServer, demo: dict, tmp_path: Path) -> KioskConfig:
    """A kiosk enrolled at ``server`` with its data under ``tmp_path/kiosk``."""
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
    return config


@contextmanager
def running_kiosk(qtbot, config: KioskConfig, **build_options) -> Iterator:
    """The kiosk built from ``config``, shown once its first reference sync is in."""
    app = build_app(config, start_sync=False, **build_options)
    qtbot.addWidget(app.window)
    with qtbot.waitSignal(app.sync_events.reference_updated, timeout=15_000):
        app.start_sync()
    app.show()
    qtbot.waitExposed(app.window)
    try:
        yield app
    finally:
        app.shutdown()


@pytest.fixture
def kiosk(qtbot, live, tmp_path):
    """The real kiosk, enrolled at the live server."""
    server, demo = live
    with running_kiosk(qtbot, kiosk_config(server, demo, tmp_path)) as app:
        yield app
