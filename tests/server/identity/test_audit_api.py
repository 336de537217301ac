"""GET /api/v1/audit: admins only, filters and paging, newest first."""

from datetime import timedelta

from server.audit.models import AuditEvent
from server.db import transaction, utcnow


def test_filters_and_paging(client, session_factory, user_headers):
    admin = user_headers("admin")
    base = utcnow() - timedelta(hours=1)
    with transaction(session_factory) as session:
        for n in range(6):
            # Rows are append-only (even in tests), so they are written with their time.
            session.add(
                AuditEvent(
                    action="auth.login" if n % 2 else "badge.issued",
                    target_type="user",
                    target_id=f"u{n}",
                    occurred_at=base + timedelta(minutes=n),
                )
            )
    page = client.get(
        "/api/v1/audit", params={"action": "auth.login", "limit": 2}, headers=admin
    ).json()
    assert page["total"] == 3
    assert [e["target_id"] for e in page["items"]] == ["u5", "u3"]
    rest = client.get(
        "/api/v1/audit", params={"action": "auth.login", "limit": 2, "offset": 2}, headers=admin
    ).json()
    assert [e["target_id"] for e in rest["items"]] == ["u1"]
    prefix = client.get("/api/v1/audit", params={"action": "badge.*"}, headers=admin).json()
    assert {e["action"] for e in prefix["items"]} == {"badge.issued"}
    window = client.get(
        "/api/v1/audit",
        params={
            "since": (base + timedelta(minutes=2)).isoformat(),
            "until": (base + timedelta(minutes=4)).isoformat(),
            "target_type": "user",
        },
        headers=admin,
    ).json()
    assert [e["target_id"] for e in window["items"]] == ["u3", "u2"]


def test_actor_filter(client, make_user, user_headers):
    admin = user_headers("admin")
    created = client.post("/api/v1/users", json={"name": "X"}, headers=admin).json()
    me = client.get("/api/v1/me", headers=admin).json()
    events = client.get("/api/v1/audit", params={"actor": me["user"]["id"]}, headers=admin).json()[
        "items"
    ]
    assert [e["target_id"] for e in events] == [created["id"]]


def test_only_admins_and_bad_filters(client, user_headers):
    assert client.get("/api/v1/audit", headers=user_headers("planner")).status_code == 403
    admin = user_headers("admin")
    assert client.get("/api/v1/audit", params={"actor": "x"}, headers=admin).status_code == 422
    naive = client.get("/api/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=admin)
    assert naive.status_code == 422
    backwards = client.get(
        "/api/v1/audit",
        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        headers=admin,
    )
    assert backwards.status_code == 400
