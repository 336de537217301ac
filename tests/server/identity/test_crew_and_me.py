"""Crew assignments (user × project × role × window) and /me with today's assignments."""

import uuid
from datetime import timedelta

import pytest

from server.db import utcnow
from server.warehouse.crew import today_window
from tests.server.identity.conftest import bearer


def _assign(client, headers, user_id, project_id, starts_at, ends_at, role="rigger"):
    return client.post(
        "/api/v1/crew-assignments",
        json={
            "user_id": str(user_id),
            "project_id": str(project_id),
            "role": role,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
        headers=headers,
    )


def test_planner_assigns_and_crew_sees_today_on_me(client, user_headers, demo, station_headers):
    planner = user_headers("planner")
    start, end = today_window()
    today = _assign(
        client,
        planner,
        demo["crew_user_id"],
        demo["project_id"],
        start + timedelta(hours=8),
        start + timedelta(hours=20),
    )
    assert today.status_code == 201, today.text
    later = _assign(
        client,
        planner,
        demo["crew_user_id"],
        demo["project_id"],
        end + timedelta(days=2),
        end + timedelta(days=3),
        role="lighting",
    )
    assert later.status_code == 201

    login = client.post(
        "/api/v1/auth/badge", json={"badge_code": demo["badge_code"]}, headers=station_headers
    ).json()
    me = client.get("/api/v1/me", headers=bearer(login["access_token"])).json()
    assert [a["role"] for a in me["assignments_today"]] == ["rigger"]
    assert me["roles"] == ["crew", "warehouse"]
    assert "inventory:read" in me["permissions"] and "users:write" not in me["permissions"]

    listed = client.get(
        "/api/v1/crew-assignments", params={"project_id": demo["project_id"]}, headers=planner
    ).json()
    assert listed["total"] == 2
    window = client.get(
        "/api/v1/crew-assignments",
        params={"from": end.isoformat(), "until": (end + timedelta(days=10)).isoformat()},
        headers=planner,
    ).json()
    assert [a["role"] for a in window["items"]] == ["lighting"]


def test_update_and_delete(client, user_headers, demo):
    planner = user_headers("planner")
    now = utcnow()
    created = _assign(
        client, planner, demo["crew_user_id"], demo["project_id"], now, now + timedelta(hours=4)
    ).json()
    url = f"/api/v1/crew-assignments/{created['id']}"
    patched = client.patch(
        url, json={"role": "stagehand", "notes": "bring gloves"}, headers=planner
    )
    assert patched.status_code == 200 and patched.json()["role"] == "stagehand"
    bad = client.patch(
        url, json={"ends_at": (now - timedelta(hours=1)).isoformat()}, headers=planner
    )
    assert bad.status_code == 400
    assert client.delete(url, headers=planner).status_code == 204
    assert client.get(url, headers=planner).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"ends_at": "before"},  # ends before it starts
        {"starts_at": "2026-06-01T08:00:00"},  # naive timestamp
        {"project_id": "unknown"},
        {"user_id": "unknown"},
        {"role": ""},
        {"role": "x" * 101},
    ],
)
def test_bad_assignments_are_4xx(client, user_headers, demo, change):
    planner = user_headers("planner")
    now = utcnow()
    body = {
        "user_id": demo["crew_user_id"],
        "project_id": demo["project_id"],
        "role": "rigger",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
    }
    for key, value in change.items():
        if value == "before":
            value = (now - timedelta(hours=2)).isoformat()
        elif value == "unknown":
            value = str(uuid.uuid4())
        body[key] = value
    response = client.post("/api/v1/crew-assignments", json=body, headers=planner)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]


def test_crew_cannot_plan(client, user_headers, demo):
    crew = user_headers("crew")
    assert client.get("/api/v1/crew-assignments", headers=crew).status_code == 403


def test_today_window_is_a_local_day():
    start, end = today_window()
    assert start.hour == 0 and end.hour == 0
    assert timedelta(hours=23) <= end - start <= timedelta(hours=25)
