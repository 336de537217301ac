"""Fixtures for warehouse tests: scan factory, an upload helper, an admin client."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers.scans import ScanFactory


@pytest.fixture
def scans(demo) -> ScanFactory:
    return ScanFactory.for_demo(demo)


@pytest.fixture
def upload(client, station_headers):
    def upload(*batch: dict) -> list[dict]:
        response = client.post(
            "/api/v1/scans/batch", json={"scans": list(batch)}, headers=station_headers
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]

    return upload


@pytest.fixture
def admin(client, user_headers):
    """Call the admin API as an admin: ``admin("get", "/api/v1/units", params=...)``."""
    headers = user_headers("admin")

    def call(method: str, path: str, expect: int | None = None, **kwargs):
        response = client.request(method, path, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    return call


def count(session_factory, model, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))
