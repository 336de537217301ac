"""Defect 10: ``X-Forwarded-For`` is believed only from configured proxies, so a client
cannot dodge the per-IP login lock-out by writing a new address into it."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.audit.models import AuditEvent
from server.identity.throttle import SOURCE
from server.ops.proxies import resolve_client
from tests.helpers.live_server import LiveServer

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))


@pytest.mark.parametrize(
    ("peer", "xff", "trusted", "client"),
    [
        ("203.0.113.5", ["1.2.3.4"], (), "203.0.113.5"),  # nothing trusted: the peer
        ("203.0.113.5", ["1.2.3.4"], PROXIES, "203.0.113.5"),  # peer is no proxy
        ("10.0.0.2", ["198.51.100.7"], PROXIES, "198.51.100.7"),
        # The client wrote a first entry itself; the proxy appended the address it saw.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.7"], PROXIES, "198.51.100.7"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.7, 10.0.0.3"], PROXIES, "198.51.100.7"),
        ("10.0.0.2", ["not-an-ip"], PROXIES, "10.0.0.2"),  # garbage: the proxy itself
        ("10.0.0.2", [], PROXIES, "10.0.0.2"),
        ("::1", ["2001:db8::1"], PROXIES, "2001:db8::1"),
    ],
)
def test_resolve_client(peer, xff, trusted, client):
    assert resolve_client(peer, xff, trusted) == client


def _fail_logins(post, count: int, forwarded=lambda i: f"198.51.100.{i}") -> list[int]:
    """``count`` failed logins, each for another account and with another X-Forwarded-For
    (so only the per-source counter can add them up)."""
    statuses = []
    for i in range(count):
        response = post(
            "/api/v1/auth/login",
            json={"email": f"nobody{i}@example.nl", "password": "wrong-password"},
            headers={"X-Forwarded-For": forwarded(i)},
        )
        statuses.append(response.status_code)
    return statuses


def test_forwarded_for_from_an_untrusted_client_is_ignored(settings, session_factory):
    with TestClient(create_app(settings), client=("203.0.113.5", 40000)) as client:
        statuses = _fail_logins(client.post, SOURCE.threshold + 1)
    assert statuses[: SOURCE.threshold] == [401] * SOURCE.threshold
    assert statuses[-1] == 429  # one source, whatever it wrote into the header
    with session_factory() as session:
        ips = set(session.scalars(select(AuditEvent.ip).where(AuditEvent.action == "auth.login")))
    assert ips == {"203.0.113.5"}


def test_a_trusted_proxy_names_the_client(settings, session_factory):
    trusted = settings.model_copy(update={"trusted_proxies": PROXIES})
    with TestClient(create_app(trusted), client=("10.0.0.2", 40000)) as client:
        statuses = _fail_logins(client.post, SOURCE.threshold + 1)
    assert 429 not in statuses  # each a different client behind the proxy
    with session_factory() as session:
        ips = set(session.scalars(select(AuditEvent.ip).where(AuditEvent.action == "auth.login")))
    assert "198.51.100.0" in ips and "10.0.0.2" not in ips


def test_the_real_server_ignores_forwarded_for_from_loopback(
    database_url, session_factory, tmp_path
):
    """``rentguy-server serve`` over real HTTP: uvicorn's own proxy-header handling (which
    believed X-Forwarded-For from 127.0.0.1) must not undo the setting."""
    live = LiveServer(database_url, tmp_path / "server.log")
    live.start()
    try:
        with httpx.Client(base_url=live.url, timeout=30) as http:
            statuses = _fail_logins(http.post, SOURCE.threshold + 1)
    finally:
        live.stop()
    assert statuses[-1] == 429, statuses
    with session_factory() as session:
        ips = set(session.scalars(select(AuditEvent.ip).where(AuditEvent.action == "auth.login")))
    assert ips == {"127.0.0.1"}
