"""Every console page and action × every role (+ anonymous): the menu and the answers
follow the API's own permissions (``server.identity.permissions``).

The rule of each route is read from the route itself (its ``Needs`` dependency), so a new
console route is walked the moment it exists; one that declares no rule fails.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from server.console.nav import NAV
from server.console.web import Needs
from server.db import transaction, utcnow
from server.exports.models import ExportRun
from server.identity.permissions import permissions_for
from tests.console.conftest import ROLES, csrf_of, log_in, make_user
from tests.helpers.billing import make_invoice, record_payment

PUBLIC = {("GET", "/login"), ("POST", "/login")}
# Walked last (it ends the session) and on its own.
SKIP = {("POST", "/logout")}


def console_app(app):
    [mount] = [r for r in app.routes if getattr(r, "path", None) == "/console"]
    return mount.app


def _needs(dependant) -> list[Needs]:
    found, todo = [], list(dependant.dependencies)
    while todo:
        dep = todo.pop()
        if isinstance(dep.call, Needs):
            found.append(dep.call)
        todo.extend(dep.dependencies)
    return found


def console_routes(app) -> list[tuple[str, str, Needs | None]]:
    routes = []
    for ctx in iter_route_contexts(console_app(app).routes):
        dependant = getattr(ctx.original_route, "dependant", None)
        if dependant is None:
            continue  # the static files
        for method in sorted((ctx.methods or set()) - {"HEAD"}):
            needs = _needs(dependant)
            assert len(needs) <= 1, f"{method} {ctx.path} declares several rules"
            if not needs:
                assert (method, ctx.path) in PUBLIC, f"{method} {ctx.path} declares no rule"
            routes.append((method, ctx.path, needs[0] if needs else None))
    return routes


@pytest.fixture
def ids(demo, session_factory) -> dict[str, str]:
    invoice = make_invoice(session_factory, lines=[(10_000, 1)])
    payment = record_payment(session_factory, invoice)
    with transaction(session_factory) as session:
        run = ExportRun(target="moneybird", status="succeeded", finished_at=utcnow())
        session.add(run)
        session.flush()
        run_id = str(run.id)
        from server.warehouse.models import Unit

        unit_id = str(session.query(Unit.id).first()[0])
    return {
        "project_id": demo["project_id"],
        "unit_id": unit_id,
        "user_id": demo["crew_user_id"],
        "station_id": demo["station_id"],
        "invoice_id": str(invoice.id),
        "payment_id": str(payment.id),
        "run_id": run_id,
        "scan_id": "01900000-0000-7000-8000-000000000000",
        "badge_id": "01900000-0000-7000-8000-000000000001",
    }


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def test_every_console_route_declares_a_rule(app):
    routes = console_routes(app)
    assert len(routes) > 25


def test_the_menu_names_only_pages_the_role_may_open(browser_for):
    for role in ROLES:
        client = browser_for(role)
        html = client.get("/console/", follow_redirects=True).text
        granted = permissions_for([role])
        for path, _label, permission in NAV:
            assert (f'href="{path}"' in html) == (permission in granted), (role, path)


@pytest.mark.parametrize("role", [*ROLES, None])
def test_every_page_and_action_for_role(role, app, ids, session_factory):
    user = make_user(session_factory, role)
    granted = permissions_for([role] if role else [])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert log_in(client, user["email"]).status_code == 303
        token = csrf_of(client.get("/console/", follow_redirects=True).text)
        for method, path, needs in console_routes(app):
            if (method, path) in SKIP or needs is None:
                continue
            url = "/console" + fill(path, ids)
            if path == "/board/stream":
                url += "?limit=0"  # connect, then end: an endless stream otherwise
            if method == "GET":
                answer = client.get(url, follow_redirects=False)
            else:
                answer = client.post(url, data={"csrf_token": token}, follow_redirects=False)
            allowed = needs.permission is None or needs.permission in granted
            where = f"{role} {method} {url}: {answer.status_code}"
            assert answer.status_code < 500, where
            assert "Traceback" not in answer.text, where
            if not allowed:
                assert answer.status_code == 403, where
                assert "text/html" in answer.headers["content-type"], where
            elif method == "GET":
                assert answer.status_code in (200, 303), where
                if path not in ("/", "/board/stream", "/runs/{run_id}/report"):
                    assert "text/html" in answer.headers["content-type"], where
            else:
                assert answer.status_code not in (401, 403), where


def test_anonymous_pages_redirect_and_actions_get_401(app, ids):
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, needs in console_routes(app):
            if needs is None:
                continue
            url = "/console" + fill(path, ids)
            if method == "GET":
                answer = client.get(url, follow_redirects=False)
                assert answer.status_code == 303, url
                assert answer.headers["location"].startswith("/console/login?next="), url
            else:
                answer = client.post(url, data={}, follow_redirects=False)
                assert answer.status_code == 401, url
