"""Every PATCH route × every field: ``null`` is a 422 for a NOT NULL column (it was an
IntegrityError, a 500), and clears a nullable one (issue 14 defect 3).

The routes are read from the app, so a new PATCH route fails here until it is listed in
``TARGETS`` with the table it writes, and its schema's ``clearable`` must match the
table's nullable columns.
"""

from __future__ import annotations

import typing
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel

from server.app import create_app
from server.identity.models import Station, User
from server.invoicing.models import Customer
from server.patch import PatchBody
from server.warehouse.models import Case, CrewAssignment, Product, Project, Unit

# PATCH path -> (ORM model it writes, how the test finds an existing row's id)
TARGETS = {
    "/api/v1/products/{product_id}": (Product, "product"),
    "/api/v1/units/{unit_id}": (Unit, "unit"),
    "/api/v1/cases/{case_id}": (Case, "case"),
    "/api/v1/projects/{project_id}": (Project, "project"),
    "/api/v1/users/{user_id}": (User, "user"),
    "/api/v1/stations/{station_id}": (Station, "station"),
    "/api/v1/crew-assignments/{assignment_id}": (CrewAssignment, "assignment"),
    "/api/v1/customers/{customer_id}": (Customer, "customer"),
}
# Fields that are not a column of the table (null has its own meaning there).
NOT_COLUMNS = {("/api/v1/users/{user_id}", "roles")}


def _patch_routes() -> dict[str, type[BaseModel]]:
    app = create_app()
    routes = {}
    for ctx in iter_route_contexts(app.routes):
        if "PATCH" in (ctx.methods or set()):
            hints = typing.get_type_hints(ctx.original_route.endpoint)
            (body,) = [
                t
                for name, t in hints.items()
                if name != "return" and isinstance(t, type) and issubclass(t, BaseModel)
            ]
            routes[ctx.path] = body
    return routes


ROUTES = _patch_routes()
CASES = [(path, name) for path, body in ROUTES.items() for name in body.model_fields]


def _nullable(path: str, body: type[BaseModel], name: str) -> bool:
    return issubclass(body, PatchBody) and name in body.clearable


def test_every_patch_route_is_listed_and_its_nulls_match_the_columns():
    assert set(ROUTES) == set(TARGETS), "list the new PATCH route in TARGETS"
    for path, body in ROUTES.items():
        table = TARGETS[path][0].__table__
        for name, field in body.model_fields.items():
            if (path, name) in NOT_COLUMNS:
                continue
            if not field.is_required() and not issubclass(body, PatchBody):
                pytest.fail(f"{body.__name__} has optional fields: make it a PatchBody")
            if name in table.c and field.is_required() is False:
                assert _nullable(path, body, name) == table.c[name].nullable or (
                    name == "skills"  # a JSON list column: null clears it to []
                ), f"{body.__name__}.{name}: clearable must match the column's nullability"


@pytest.fixture
def ids(client, demo, user_headers) -> dict[str, str]:
    """An existing row for every PATCH target."""
    admin = user_headers("admin")

    def first(path: str) -> str:
        body = client.get(path, headers=admin).json()
        return (body["items"] if isinstance(body, dict) else body)[0]["id"]

    customer = client.post("/api/v1/customers", json={"name": "Podium BV"}, headers=admin)
    now = datetime.now(UTC)
    assignment = client.post(
        "/api/v1/crew-assignments",
        json={
            "user_id": demo["crew_user_id"],
            "project_id": demo["project_id"],
            "role": "rigger",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=8)).isoformat(),
        },
        headers=admin,
    )
    assert customer.status_code == assignment.status_code == 201, assignment.text
    return {
        "product": first("/api/v1/products"),
        "unit": first("/api/v1/units"),
        "case": first("/api/v1/cases"),
        "project": demo["project_id"],
        "user": demo["crew_user_id"],
        "station": demo["station_id"],
        "assignment": assignment.json()["id"],
        "customer": customer.json()["id"],
        "_admin": admin,
    }


def _url(path: str, ids: dict) -> str:
    return path.split("{")[0] + ids[TARGETS[path][1]]


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p.split('/')[3]}.{n}" for p, n in CASES])
def test_null_is_422_for_required_fields_and_clears_nullable_ones(client, ids, path, name):
    response = client.patch(_url(path, ids), json={name: None}, headers=ids["_admin"])
    if _nullable(path, ROUTES[path], name):
        assert response.status_code == 200, response.text
        assert response.json().get(name) in (None, []), response.text
    else:
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_error" and name in error["message"]


def test_unknown_id_with_a_null_is_still_a_422(client, user_headers):
    admin = user_headers("admin")
    missing = uuid.uuid4()
    response = client.patch(f"/api/v1/products/{missing}", json={"name": None}, headers=admin)
    assert response.status_code == 422
