"""Values in range for the schema but not for UTC or a column: a 422, never a 500
(issue 14, "dates out of range" and integers beyond a column)."""

from __future__ import annotations

import pytest

# Valid aware timestamps that have no UTC datetime (Python's years are 1..9999).
NO_UTC = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.fixture
def admin(user_headers):
    return user_headers("admin")


@pytest.mark.parametrize("value", NO_UTC)
@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/audit", "since"),
        ("/api/v1/audit", "until"),
        ("/api/v1/crew-assignments", "from"),
        ("/api/v1/crew-assignments", "until"),
    ],
)
def test_a_timestamp_filter_without_a_utc_datetime_is_422(client, admin, path, param, value):
    response = client.get(path, params={param: value}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(f"query.{param}")


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
@pytest.mark.parametrize("value", NO_UTC)
def test_a_crew_assignment_time_without_a_utc_datetime_is_422(client, admin, demo, field, value):
    body = {
        "user_id": demo["crew_user_id"],
        "project_id": demo["project_id"],
        "role": "rigger",
        "starts_at": "2027-01-01T08:00:00+01:00",
        "ends_at": "2027-01-01T18:00:00+01:00",
        field: value,
    }
    response = client.post("/api/v1/crew-assignments", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(f"body.{field}")


def test_an_invoice_beyond_what_its_columns_hold_is_422(client, admin):
    project = client.post("/api/v1/projects", json={"name": "Tour"}, headers=admin).json()
    customer = client.post("/api/v1/customers", json={"name": "Tour BV"}, headers=admin).json()
    line = {"description": "LED wall", "qty": 1000, "days": 30, "unit_price_cents": 10**6}
    response = client.post(
        "/api/v1/invoices/from-project",
        json={
            "project_id": project["id"],
            "customer_id": customer["id"],
            "free_lines": [{**line, "vat_rate": 21}],
        },
        headers=admin,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "amount_too_large"


@pytest.mark.parametrize(
    "field", ["day_price_cents", "stock_qty"]
)
def test_product_integers_beyond_32_bits_are_422(client, admin, field):
    body = {"sku": "BIG-1", "name": "Big", "tracking": "bulk", "barcode": "BIG-1", field: 2**31}
    response = client.post("/api/v1/products", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"].startswith(f"body.{field}")
