"""Defect 13: security headers on every answer of every route (errors and 500s included),
and HTML pages with a Content-Security-Policy that fits them."""

from __future__ import annotations

import re

from tests.server.test_access_control import _BOUNDED_QUERY, _url, endpoints

ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _assert_secured(response, where: str) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, f"{where}: CSP {csp!r}"
    assert "default-src 'none'" in csp, f"{where}: CSP {csp!r}"


def _no_store(response, where: str) -> None:
    assert response.headers.get("cache-control") == "no-store", f"{where}: cache-control"


def test_every_route_as_anyone_and_as_admin(app, client, user_headers, station_headers):
    admin = user_headers("admin")
    checked = 0
    for endpoint in endpoints(app):
        for who, headers in (("anonymous", {}), ("admin", admin), ("station", station_headers)):
            kwargs = {
                "headers": headers,
                "params": _BOUNDED_QUERY.get((endpoint.method, endpoint.path)),
            }
            if endpoint.method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {}
            response = client.request(endpoint.method, _url(endpoint.path), **kwargs)
            where = f"{endpoint.method} {endpoint.path} as {who} ({response.status_code})"
            _assert_secured(response, where)
            if endpoint.path not in ("/docs", "/redoc"):
                _no_store(response, where)
            checked += 1
    assert checked >= 3 * 30


def test_errors_and_unknown_routes_too(app, client):
    @app.get("/test/boom")
    def boom() -> dict:
        raise RuntimeError("boom")

    for response in (
        client.get("/test/boom"),  # 500, written by Starlette's outermost error middleware
        client.get("/api/v1/nope"),  # 404
        client.post("/api/v1/auth/login", content=b"{"),  # 422
        client.post("/api/v1/auth/login", content=b"x" * (3 * 1024 * 1024)),  # 413
    ):
        where = f"{response.request.url.path} {response.status_code}"
        _assert_secured(response, where)
        _no_store(response, where)
        assert response.headers["x-request-id"]


def _hash_allowed(csp: str, html: str, tag: str) -> None:
    import base64
    import hashlib

    for body in re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_swagger_page_csp_lets_it_work(client):
    response = client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    # The CDN bundle and its one inline script (by hash), the spec from our own origin.
    assert "https://cdn.jsdelivr.net" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    _hash_allowed(directives["script-src"], response.text, "script")
    assert "'self'" in directives["connect-src"]
    assert directives["frame-ancestors"] == "'none'"
    for url in re.findall(r'(?:src|href)="(https://[^/"]+)', response.text):
        assert url in csp, f"{url} is loaded by the page but not allowed"


def test_redoc_page_csp(client):
    response = client.get("/redoc")
    csp = response.headers["content-security-policy"]
    for url in re.findall(r'(?:src|href)="(https://[^/"]+)', response.text):
        assert url in csp, f"{url} is loaded by the page but not allowed"
    assert "worker-src blob:" in csp


def test_export_report_csp_fits_its_inline_style():
    from server.exports.reconciliation.report import render_html
    from server.ops.docs import html_page

    class Run:  # the template reads these attributes
        id = "r1"
        target = "moneybird"
        status = "succeeded"
        started_at = finished_at = message = None
        exported = failed = skipped = api_calls = 0
        report = {}

    html = render_html(Run())
    csp = html_page(html).headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    _hash_allowed(csp, html, "style")
