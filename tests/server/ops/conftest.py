"""Ops test helpers: the server's own JSON log handler, writing into a buffer."""

from __future__ import annotations

import io
import json
import logging

import pytest

from server.ops.logging import configure_logging


@pytest.fixture
def json_log():
    """The log as the server writes it (``configure_logging``, JSON); returns a function
    that gives the lines written so far, parsed. Restores the root logger afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("INFO", json=True)
    buffer = io.StringIO()
    root.handlers[0].setStream(buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    lines.text = buffer.getvalue  # the raw text, for "nothing of this anywhere" checks
    yield lines
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])
