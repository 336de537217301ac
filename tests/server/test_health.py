"""Operations endpoints: health, readiness, metrics, OpenAPI, request ids."""

import os

from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from shared.protocol import MIN_PROTOCOL_VERSION, PROTOCOL_VERSION
from shared.version import __version__


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {  # the answering worker, and what it can talk to
        "status": "ok",
        "pid": os.getpid(),
        "version": __version__,
        "protocol": {
            "current": PROTOCOL_VERSION,
            "accepts": [MIN_PROTOCOL_VERSION, PROTOCOL_VERSION],
        },
    }


def test_readyz_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_unmigrated_database_is_503(tmp_path, settings):
    unmigrated = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/empty.db"})
    with TestClient(create_app(unmigrated)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "rentguy-server migrate" in response.json()["checks"]["migrations"]


def test_readyz_unreachable_database_is_503(settings):
    bad = settings.model_copy(
        update={"database_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    )
    with TestClient(create_app(bad)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")


def test_metrics_prometheus_text(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'rentguy_http_requests_total{method="GET",route="/healthz",status="200"}' in (
        response.text
    )


def test_openapi_lists_the_scan_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/scans/batch" in paths
    assert "/api/v1/sync/reference" in paths


def test_request_id_is_returned_and_kept_when_sane(client):
    assert client.get("/healthz").headers["x-request-id"]
    kept = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert replaced.headers["x-request-id"] != "bad id\twith junk"


def test_settings_refuse_weak_secret():
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError, match="32"):
        Settings(secret_key="changeme")
