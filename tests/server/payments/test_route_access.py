"""Every payments/invoicing route is public by intent (webhooks) or needs a permission."""

from __future__ import annotations

import uuid

from server.identity.permissions import PUBLIC_ROUTES

PREFIXES = ("/api/v1/invoices", "/api/v1/payments", "/api/v1/customers", "/api/v1/webhooks")


def _routes(app):
    for path, operations in app.openapi()["paths"].items():
        if path.startswith(PREFIXES):
            for method in operations:
                yield method.upper(), path


def test_each_route_is_public_or_guarded(client, user_headers):
    crew = user_headers("crew")
    seen = 0
    for method, path in _routes(client.app):
        seen += 1
        url = path.format(
            invoice_id=uuid.uuid4(), payment_id=uuid.uuid4(), customer_id=uuid.uuid4()
        )
        if (method, path) in PUBLIC_ROUTES:
            assert path.startswith("/api/v1/webhooks/"), path
            continue
        assert client.request(method, url, json={}).status_code == 401, (method, path)
        assert client.request(method, url, json={}, headers=crew).status_code == 403, (method, path)
    assert seen >= 12
