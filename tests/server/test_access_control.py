"""Every route of the app × every role (+ anonymous, + station token) answers as its
declared rule says: ``Requires(permission)``, ``CurrentStation`` or ``PUBLIC_ROUTES``.

The rule is read from the route itself (its dependency tree), so a new route is covered
the moment it is added; a route that declares no rule fails ``test_every_route_declares_a_rule``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts

from server.deps import CurrentStation, Requires
from server.identity.models import Role
from server.identity.permissions import PUBLIC_ROUTES, Permission, permissions_for

_STATION_DEPENDENCY = CurrentStation.__metadata__[0].dependency
_SKIPPED_METHODS = {"HEAD", "OPTIONS"}
ROLE_PRINCIPALS = [role.value for role in Role] + ["no-role"]
PRINCIPALS = ["anonymous", "station", *ROLE_PRINCIPALS]


@dataclass(frozen=True)
class Rule:
    kind: str  # "public" | "station" | "permission"
    permission: Permission | None = None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    rule: Rule | None
    problem: str | None = None


def _calls(dependant) -> list:
    found = []
    for sub in dependant.dependencies:
        found.append(sub.call)
        found.extend(_calls(sub))
    return found


def _rule(method: str, path: str, dependant) -> tuple[Rule | None, str | None]:
    calls = _calls(dependant) if dependant is not None else []
    permissions = {call.permission for call in calls if isinstance(call, Requires)}
    station = any(call is _STATION_DEPENDENCY for call in calls)
    public = (method, path) in PUBLIC_ROUTES
    declared = sum([bool(permissions), station, public])
    if declared == 0:
        return None, "declares no rule (Requires, CurrentStation or PUBLIC_ROUTES)"
    if declared > 1 or len(permissions) > 1:
        return None, "declares more than one rule"
    if public:
        return Rule("public"), None
    if station:
        return Rule("station"), None
    return Rule("permission", permissions.pop()), None


def endpoints(app: FastAPI) -> list[Endpoint]:
    found = []
    for ctx in iter_route_contexts(app.routes):
        dependant = getattr(ctx.original_route, "dependant", None)
        for method in sorted((ctx.methods or set()) - _SKIPPED_METHODS):
            rule, problem = _rule(method, ctx.path, dependant)
            found.append(Endpoint(method, ctx.path, rule, problem))
    return found


def expected(endpoint: Endpoint, principal: str) -> str:
    """'ok' (anything but 401/403, never 5xx), '2xx', '401' or '403'."""
    rule = endpoint.rule
    if rule.kind == "public":
        return "2xx" if endpoint.method == "GET" else "ok"
    if rule.kind == "station":
        return "ok" if principal == "station" else "401"
    if principal in ("anonymous", "station"):
        return "401"
    roles = [] if principal == "no-role" else [principal]
    if rule.permission not in permissions_for(roles):
        return "403"
    # A list route with no path parameters must simply work for an allowed role.
    return "2xx" if endpoint.method == "GET" and "{" not in endpoint.path else "ok"


# Endless routes get a query that ends them, or the matrix would wait forever.
_BOUNDED_QUERY = {("GET", "/api/v1/scans/stream"): {"limit": "0"}}


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _m: str(uuid.uuid4()), path)


def _matches(expectation: str, status: int) -> bool:
    if status >= 500:
        return False
    if expectation == "2xx":
        return 200 <= status < 300
    if expectation == "ok":
        return status not in (401, 403)
    return status == int(expectation)


def test_every_route_declares_a_rule(app):
    problems = [f"{e.method} {e.path}: {e.problem}" for e in endpoints(app) if e.problem]
    assert problems == []
    # Public routes that no longer exist are stale entries: they would hide a future route.
    live = {(e.method, e.path) for e in endpoints(app)}
    assert PUBLIC_ROUTES <= live


def test_a_route_without_a_rule_is_caught(app):
    router = APIRouter()

    @router.get("/api/v1/forgotten")
    def forgotten() -> dict:
        return {}

    app.include_router(router)
    problems = [e for e in endpoints(app) if e.problem]
    assert [(e.method, e.path) for e in problems] == [("GET", "/api/v1/forgotten")]


@pytest.fixture
def principal_headers(user_headers, station_headers) -> dict[str, dict[str, str]]:
    headers = {"anonymous": {}, "station": station_headers}
    for role in Role:
        headers[role.value] = user_headers(role.value)
    headers["no-role"] = user_headers()
    return headers


def test_route_by_role_matrix(app, client, principal_headers):
    mismatches = []
    checked = 0
    for endpoint in endpoints(app):
        assert endpoint.rule is not None, f"{endpoint.method} {endpoint.path}: {endpoint.problem}"
        for principal in PRINCIPALS:
            want = expected(endpoint, principal)
            kwargs = {
                "headers": principal_headers[principal],
                "params": _BOUNDED_QUERY.get((endpoint.method, endpoint.path)),
            }
            if endpoint.method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {}
            response = client.request(endpoint.method, _url(endpoint.path), **kwargs)
            checked += 1
            if not _matches(want, response.status_code):
                mismatches.append(
                    f"{endpoint.method} {endpoint.path} as {principal}: "
                    f"expected {want}, got {response.status_code} {response.text[:120]}"
                )
    assert mismatches == []
    assert checked >= len(PRINCIPALS) * 30  # the matrix really ran over the whole app
