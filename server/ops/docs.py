"""OpenAPI docs behind a setting, and Content-Security-Policies fit for the HTML we serve.

``/docs``, ``/redoc`` and ``/openapi.json`` exist only when ``RENTGUY_DOCS_ENABLED`` says so
(default: on, except in production). Their pages load Swagger UI / ReDoc from a CDN and
run one inline script, so each gets a CSP naming exactly those sources and the hash of that
script; every other answer keeps the default ``default-src 'none'`` (server.ops.middleware).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_CDN = "https://cdn.jsdelivr.net"
_FAVICON_HOST = "https://fastapi.tiangolo.com"


def _hashes(html: str, tag: str) -> list[str]:
    found = []
    for kind, body in _INLINE.findall(html):
        if kind.lower() == tag:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            found.append(f"'sha256-{digest}'")
    return found


def html_csp(html: str, **sources: str) -> str:
    """A CSP for ``html``: nothing by default, its own inline scripts and styles by hash,
    plus ``sources`` per directive (``script_src="https://cdn…"``)."""
    directives = {"default-src": "'none'"}
    for tag in ("script", "style"):
        given = sources.pop(f"{tag}_src", "")
        # With a hash listed, browsers ignore 'unsafe-inline': add hashes only without it.
        hashes = [] if "'unsafe-inline'" in given else _hashes(html, tag)
        allowed = " ".join([given, *hashes]).strip()
        if allowed:
            directives[f"{tag}-src"] = allowed
    for name, value in sources.items():
        directives[name.replace("_", "-")] = value
    directives.update({"base-uri": "'none'", "form-action": "'none'"})
    directives["frame-ancestors"] = "'none'"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def html_page(html: str, **sources: str) -> HTMLResponse:
    """An HTML answer carrying the CSP that fits it."""
    return HTMLResponse(html, headers={"Content-Security-Policy": html_csp(html, **sources)})


def install_docs(app: FastAPI) -> None:
    """Add the docs routes (the app is built with FastAPI's own turned off)."""
    title = f"{app.title} - docs"

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        html = bytes(get_swagger_ui_html(openapi_url="/openapi.json", title=title).body).decode()
        return html_page(
            html,
            script_src=_CDN,
            # Swagger UI sets style attributes on its elements as it renders.
            style_src=f"{_CDN} 'unsafe-inline'",
            img_src=f"'self' data: {_CDN} {_FAVICON_HOST}",
            connect_src="'self'",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        html = bytes(get_redoc_html(openapi_url="/openapi.json", title=title).body).decode()
        return html_page(
            html,
            script_src=_CDN,
            # ReDoc injects its styles as <style> elements at run time.
            style_src="https://fonts.googleapis.com 'unsafe-inline'",
            font_src="https://fonts.gstatic.com",
            img_src=f"'self' data: {_FAVICON_HOST}",
            connect_src="'self'",
            worker_src="blob:",
        )
