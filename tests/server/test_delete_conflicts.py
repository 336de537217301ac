"""Deleting a row something still refers to is a 409 naming what uses it, never a 500;
an integrity error that still reaches the top is mapped in one place (issue 14 defect 4)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from server.identity.models import Station
from server.integrity import as_app_error, references_to
from server.models import Base
from server.warehouse.models import PickLine, Product


@pytest.fixture
def admin(user_headers):
    return user_headers("admin")


def _product(client, admin, sku="SPARE-1") -> str:
    response = client.post(
        "/api/v1/products",
        json={"sku": sku, "name": "Spare cable", "tracking": "serialized"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_deleting_a_product_on_a_pick_list_is_409_naming_the_pick_list(client, admin, demo):
    product_id = _product(client, admin)
    pick = client.put(
        f"/api/v1/projects/{demo['project_id']}/pick-list",
        json={"lines": [{"product_id": product_id, "qty": 2}]},
        headers=admin,
    )
    assert pick.status_code == 200, pick.text
    response = client.delete(f"/api/v1/products/{product_id}", headers=admin)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "in_use" and error["details"] == {"pick_lines": 1}
    assert "pick_lines" in error["message"]
    # Off the pick list, it goes.
    client.put(f"/api/v1/projects/{demo['project_id']}/pick-list", json={}, headers=admin)
    assert client.delete(f"/api/v1/products/{product_id}", headers=admin).status_code == 204


def test_deleting_an_invoiced_project_is_409_naming_the_invoices(client, admin):
    project = client.post("/api/v1/projects", json={"name": "Gala"}, headers=admin).json()
    customer = client.post("/api/v1/customers", json={"name": "Gala BV"}, headers=admin).json()
    invoice = client.post(
        "/api/v1/invoices/from-project",
        json={
            "project_id": project["id"],
            "customer_id": customer["id"],
            "free_lines": [
                {"description": "Crew", "qty": 1, "unit_price_cents": 10_000, "vat_rate": 21}
            ],
        },
        headers=admin,
    )
    assert invoice.status_code == 201, invoice.text
    response = client.delete(f"/api/v1/projects/{project['id']}", headers=admin)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "in_use"
    assert "invoices" in response.json()["error"]["details"]


def test_references_cover_every_foreign_key_of_the_schema(session, demo):
    """Each non-cascading foreign key is looked at: a row of every referenced table that
    nothing uses has no references (the query runs for every key on both databases)."""
    referenced = {fk.column.table for t in Base.metadata.sorted_tables for fk in t.foreign_keys}
    models = {m.class_.__table__: m.class_ for m in Base.registry.mappers}
    for table in referenced:
        model = models[table]
        row = session.query(model).first()
        if row is not None:
            assert isinstance(references_to(session, row), dict)


def _integrity_error(session, statement, rows) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, session.begin_nested():
        session.execute(statement, rows)
    return caught.value


def test_integrity_errors_map_to_409_and_422_on_both_databases(session, demo):
    station_name = session.query(Station.name).first()[0]
    foreign = _integrity_error(
        session,
        insert(PickLine),
        [{"project_id": uuid.uuid4(), "product_id": uuid.uuid4(), "qty": 1}],
    )
    unique = _integrity_error(
        session, insert(Station), [{"id": uuid.uuid4(), "name": station_name, "active": True}]
    )
    not_null = _integrity_error(
        session,
        insert(Product),
        [{"id": uuid.uuid4(), "sku": "X-1", "name": None, "tracking": "bulk"}],
    )
    answers = [as_app_error(e) for e in (foreign, unique, not_null)]
    assert [(a.status_code, a.code) for a in answers] == [
        (409, "foreign_key_violation"),
        (409, "already_exists"),
        (422, "null_not_allowed"),
    ]
