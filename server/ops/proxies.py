"""Who is calling: the one place the client address is decided (docs/security.md).

``X-Forwarded-For`` is believed only when the TCP peer is a configured proxy
(``RENTGUY_TRUSTED_PROXIES``); anybody else could write any address there and dodge the
per-IP login lock-out. uvicorn's own proxy-header handling is off (``serve``), so this is
the only rewrite of the address: the outermost middleware applies it to ``scope["client"]``
and every reader (``client_ip``, the access log, the throttle, the audit log) sees the same.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(host: str | None, trusted: Sequence[Network]) -> bool:
    address = _address(host) if host else None
    return address is not None and any(address in network for network in trusted)


def resolve_client(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]):
    """The client's address: the peer, unless the peer is a trusted proxy; then the nearest
    address in ``X-Forwarded-For`` (read right to left) that is not a trusted proxy."""
    if not trusted or not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        if _address(hop) is None:
            break  # garbage a trusted proxy passed on: stop at the last hop we can vouch for
        client = hop
        if not is_trusted(hop, trusted):
            break
    return client


def forwarded_for(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    return [value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"]


def client_ip(request: Request) -> str | None:
    """The calling client's address as the outermost middleware resolved it."""
    return request.client.host if request.client else None
