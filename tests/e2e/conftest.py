"""End-to-end fixtures: the real server on loopback, the real kiosk offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.kiosk import fail_on_qt_warnings

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    fail_on_qt_warnings(items, _HERE)
