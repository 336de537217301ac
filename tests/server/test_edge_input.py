"""Strings and integers at the edge (SPEC §10, issue 14 defect 1), for every route.

NUL or a lone surrogate anywhere in a request's path, query or JSON body — and a JSON
integer beyond 64 bits — is a 422 naming the field, before any route code runs, on both
databases. The routes are read from the app, so a new route is covered when it is added.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

from server.app import create_app
from tests.helpers.edge import BAD_TEXT, raw_json

_SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def _routes(*, with_body: bool = False) -> list[tuple[str, str]]:
    return sorted(
        (method, ctx.path)
        for ctx in iter_route_contexts(create_app().routes)
        if hasattr(ctx.original_route, "dependant")  # API routes, not the docs pages
        # A body the route reads: a declared one, or a webhook's raw body.
        and (
            not with_body
            or ctx.original_route.body_field is not None
            or "/webhooks/" in ctx.path
        )
        for method in (ctx.methods or set()) - _SKIPPED_METHODS
    )


ROUTES = _routes()
BODY_ROUTES = _routes(with_body=True)
PARAM_ROUTES = [(m, p) for m, p in ROUTES if "{" in p]


def _fill(path: str, value: str = "01a249e4-ba2b-77e4-9e12-e7464c6741b5") -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _assert_422_naming(response, where: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"].startswith(where), error["message"]


@pytest.fixture
def headers(user_headers):
    return user_headers("admin")


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_nul_in_any_query_parameter_is_422(client, headers, method, path):
    response = client.request(method, _fill(path) + "?q=a%00b", headers=headers)
    _assert_422_naming(response, "query.q: contains U+0000")


@pytest.mark.parametrize(
    ("method", "path"), PARAM_ROUTES, ids=[f"{m} {p}" for m, p in PARAM_ROUTES]
)
def test_nul_in_a_path_parameter_is_422(client, headers, method, path):
    response = client.request(method, _fill(path, "a%00b"), headers=headers)
    assert response.status_code == 422, response.text
    assert "contains U+0000" in response.json()["error"]["message"]


@pytest.mark.parametrize("bad", list(BAD_TEXT))
@pytest.mark.parametrize(
    ("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES]
)
def test_bad_text_in_any_json_body_is_422_naming_the_field(client, headers, method, path, bad):
    if path == "/api/v1/scans/batch":
        pytest.skip("answered per scan: tests/server/warehouse/test_poison_scans.py")
    request = raw_json({"name": BAD_TEXT[bad], "nested": [{"ok": "fine"}]})
    request["headers"].update(headers)
    response = client.request(method, _fill(path), **request)
    if path.startswith("/api/v1/webhooks/"):
        # Raw bodies are the webhook's own (tests/server/payments/test_webhook_edge.py);
        # here no provider is configured: a 4xx, never a 500.
        assert 400 <= response.status_code < 500, response.text
        return
    _assert_422_naming(response, "body.name: contains")


@pytest.mark.parametrize(
    ("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES]
)
def test_an_integer_beyond_64_bits_is_422(client, headers, method, path):
    if path.startswith("/api/v1/webhooks/"):
        pytest.skip("raw bodies")
    body = b'{"scans": [{"seq": 99999999999999999999999}], "x": 1}'
    response = client.request(
        method, _fill(path), content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "64-bit" in response.json()["error"]["message"]


# The cases the issue reproduced, by name, on both databases.


@pytest.mark.parametrize("bad", list(BAD_TEXT))
def test_login_email_with_bad_text_is_422(client, bad):
    request = raw_json({"email": f"a{BAD_TEXT[bad]}@example.com", "password": "x" * 12})
    response = client.post("/api/v1/auth/login", **request)
    _assert_422_naming(response, "body.email")


@pytest.mark.parametrize("bad", list(BAD_TEXT))
def test_user_and_customer_names_with_bad_text_are_422(client, headers, bad):
    for path in ("/api/v1/users", "/api/v1/customers"):
        request = raw_json({"name": BAD_TEXT[bad]})
        request["headers"].update(headers)
        _assert_422_naming(client.post(path, **request), "body.name")


@pytest.mark.parametrize(
    ("path", "param"), [("/api/v1/products", "q"), ("/api/v1/audit", "action")]
)
def test_list_filters_with_nul_are_422(client, headers, path, param):
    response = client.get(f"{path}?{param}=a%00b", headers=headers)
    _assert_422_naming(response, f"query.{param}")


def test_nul_in_a_header_is_422(client, headers):
    response = client.get(
        "/api/v1/products", headers={**headers, "X-Note": b"a\x00b"}
    )
    _assert_422_naming(response, "header.x-note")


def test_a_deeply_nested_body_with_bad_text_is_422_not_a_recursion_error(client, headers):
    depth = 900  # under json's own nesting limit, over what a recursive walk survives
    body = b'{"name": ' + b"[" * depth + b'"a\\u0000"' + b"]" * depth + b"}"
    response = client.post(
        "/api/v1/customers", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "contains U+0000" in response.json()["error"]["message"]
