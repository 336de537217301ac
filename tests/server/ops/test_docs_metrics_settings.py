"""Defect 12: /docs, /redoc, /openapi.json and /metrics follow settings; production keeps
docs off by default and serves metrics only with a bearer token or to loopback."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from server.app import create_app

DOCS = ("/docs", "/redoc", "/openapi.json")


def _client(settings, **changes) -> TestClient:
    app = create_app(settings.model_copy(update=changes))
    return TestClient(app, raise_server_exceptions=False)


def _client_from(host: str, settings, **changes) -> TestClient:
    app = create_app(settings.model_copy(update=changes))
    return TestClient(app, raise_server_exceptions=False, client=(host, 50000))


def test_docs_on_in_development_and_test(settings):
    for environment in ("development", "test"):
        with _client(settings, environment=environment) as client:
            for path in DOCS:
                assert client.get(path).status_code == 200, (environment, path)


def test_docs_off_in_production_unless_enabled(settings):
    with _client(settings, environment="production") as client:
        for path in DOCS:
            assert client.get(path).status_code == 404, path
    with _client(settings, environment="production", docs_enabled=True) as client:
        assert client.get("/openapi.json").status_code == 200
    with _client(settings, environment="test", docs_enabled=False) as client:
        assert client.get("/docs").status_code == 404


def test_production_metrics_only_for_loopback_without_a_token(settings):
    with _client_from("203.0.113.9", settings, environment="production") as client:
        assert client.get("/metrics").status_code == 404
    with _client_from("127.0.0.1", settings, environment="production") as client:
        assert client.get("/metrics").status_code == 200
        # A request a local reverse proxy passed on is not a local scraper.
        proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 404


@pytest.mark.parametrize("environment", ["production", "test"])
def test_metrics_token_is_required_when_set(settings, environment):
    with _client_from(
        "127.0.0.1", settings, environment=environment, metrics_token=SecretStr("m" * 40)
    ) as client:
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
        assert wrong.status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40})
        assert ok.status_code == 200 and "rentguy_http_requests_total" in ok.text


def test_metrics_can_be_switched_off(settings):
    with _client(settings, metrics_enabled=False) as client:
        assert client.get("/metrics").status_code == 404


def test_settings_read_from_the_environment(monkeypatch, settings):
    from server.config import Settings

    monkeypatch.setenv("RENTGUY_ENVIRONMENT", "production")
    monkeypatch.setenv("RENTGUY_METRICS_TOKEN", "t" * 40)
    loaded = Settings()
    assert loaded.docs_on is False
    assert loaded.metrics_token.get_secret_value() == "t" * 40
    monkeypatch.setenv("RENTGUY_DOCS_ENABLED", "true")
    assert Settings().docs_on is True
