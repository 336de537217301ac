"""Fixtures for the API fuzzing suites."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _schemathesis_node_id(request):
    # schemathesis 4.32's lazy (fixture-built) schemas rename the test node for their
    # report through ``node._nodeid``, which pytest 9.2 no longer has; give it one.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
