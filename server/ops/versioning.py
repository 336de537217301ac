"""Protocol versions on the wire (the rule: ``shared.protocol``'s module doc).

``check_client_protocol`` runs before every route (an app dependency, before the body is
read): a request that states a protocol this server does not accept is refused with a
precise answer instead of a 422 about fields it does not know. ``VERSION_HEADERS`` are the
server's own protocol, accepted range and release, stated on every answer, errors too
(``server.ops.middleware.DefaultHeadersMiddleware``, set up in ``server.app``).
"""

from __future__ import annotations

from fastapi import Request

from server.errors import BadRequest, Conflict, UpgradeRequired
from shared.protocol import (
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    parse_protocol,
    version_headers,
)
from shared.version import __version__

VERSION_HEADERS = tuple(
    (k.lower().encode(), v.encode()) for k, v in version_headers(__version__).items()
)


def _details(client: int) -> dict:
    return {
        "client_protocol": client,
        "server_protocol": PROTOCOL_VERSION,
        "accepts": [MIN_PROTOCOL_VERSION, PROTOCOL_VERSION],
        "server_version": __version__,
    }


async def check_client_protocol(request: Request) -> None:
    """426 for a client older than we accept, 409 for one newer than we are. The version
    it speaks is kept as ``request.state.client_protocol`` for routes whose answer depends
    on it (the reference download)."""
    try:
        client = parse_protocol(request.headers.get(PROTOCOL_HEADER))
    except ValueError as exc:
        raise BadRequest(str(exc), code="bad_protocol_header") from None
    request.state.client_protocol = client
    if client < MIN_PROTOCOL_VERSION:
        raise UpgradeRequired(
            f"this kiosk speaks protocol {client}; the server accepts "
            f"{MIN_PROTOCOL_VERSION}-{PROTOCOL_VERSION}: update the kiosk",
            code="kiosk_too_old",
            details=_details(client),
            headers={"Upgrade": f"rentguy-sync/{PROTOCOL_VERSION}"},
        )
    if client > PROTOCOL_VERSION:
        raise Conflict(
            f"this kiosk speaks protocol {client}; the server (release {__version__}) only "
            f"{MIN_PROTOCOL_VERSION}-{PROTOCOL_VERSION}: update the server first",
            code="server_too_old",
            details=_details(client),
        )

