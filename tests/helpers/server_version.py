"""In-test servers answer as the current server does: with the version headers.

A kiosk reads an answer without ``RentGuy-Protocol-Accepts`` as a server from before 0.2.0
(protocol 1 only), which a protocol-2 kiosk cannot talk to (shared.protocol). An
``httpx.MockTransport`` handler standing in for today's server must state them.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from shared.protocol import version_headers
from shared.version import __version__

Handler = Callable[[httpx.Request], httpx.Response]


def stating_version(response: httpx.Response) -> httpx.Response:
    """``response`` with today's server's version headers (where it states none itself)."""
    for name, value in version_headers(__version__).items():
        response.headers.setdefault(name, value)
    return response


def current_server(handler: Handler) -> httpx.MockTransport:
    """A transport whose every answer carries today's server's version headers."""
    return httpx.MockTransport(lambda request: stating_version(handler(request)))
