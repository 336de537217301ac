"""Customers: address, country, KvK and VAT number over the API, checked and normalized,
created, read and patched (audited), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.db import transaction
from server.invoicing import customer_details as details

B2B = {
    "name": "Podiumbouw Noord B.V.",
    "email": "boekhouding@podiumbouw.example",
    "street": "Stationsplein 12",
    "zipcode": "9726ae",
    "city": "Groningen",
    "kvk": "8765 4321",
    "vat_number": "nl 0098.76.543.b01",
}


@pytest.mark.parametrize(
    "func,args,want",
    [
        (details.country, (" be ",), "BE"),
        (details.postcode, ("9726ae", "NL"), "9726 AE"),
        (details.postcode, (" 9726  AE ", "NL"), "9726 AE"),
        (details.postcode, ("1000", "BE"), "1000"),
        (details.postcode, ("sw1a 1aa", "GB"), "SW1A 1AA"),
        (details.postcode, ("", "NL"), None),
        (details.kvk, ("01.23.45.67",), "01234567"),
        (details.kvk, (None,), None),
        (details.vat_number, ("NL 0098.76.543.B01", "NL"), "NL009876543B01"),
        (details.vat_number, ("BE 0123.456.789", "BE"), "BE0123456789"),
        (details.vat_number, ("DE123456789", "DE"), "DE123456789"),
        (details.vat_number, ("EL123456789", "GR"), "EL123456789"),
        (details.vat_number, ("CHE-123.456.789 MWST", "CH"), "CHE123456789MWST"),
    ],
)
def test_details_are_normalized(func, args, want):
    assert func(*args) == want


@pytest.mark.parametrize(
    "func,args,message",
    [
        (details.country, ("NLD",), "not an ISO 3166-1 alpha-2"),
        (details.country, ("XX",), "not an ISO 3166-1 alpha-2"),
        (details.postcode, ("0123 AB", "NL"), "four digits and two letters"),
        (details.postcode, ("1234", "NL"), "four digits and two letters"),
        (details.postcode, ("1000 #", "BE"), "not a postal code"),
        (details.kvk, ("1234567",), "8 digits"),
        (details.kvk, ("12345678A",), "8 digits"),
        (details.kvk, ("000012345678",), "branch number (vestigingsnummer"),
        (details.vat_number, ("NL123456789B1", "NL"), "NL + 9 digits + B + 2 digits"),
        (details.vat_number, ("123456789B01", "NL"), "Dutch VAT number"),
        (details.vat_number, ("BE0123456789", "NL"), "Dutch VAT number"),
        (details.vat_number, ("BE123", "BE"), "not a BE VAT number"),
        (details.vat_number, ("GR123456789", "GR"), "start with EL"),
        (details.vat_number, ("QQ12345", "US"), "a country code, then"),
    ],
)
def test_bad_details_say_what_is_expected(func, args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("+", r"\+")):
        func(*args)


def _error(response) -> tuple[list, str]:
    assert response.status_code == 422, response.text
    detail = response.json()["error"]["details"][0]
    return detail["loc"], detail["msg"]


def test_create_read_patch_a_dutch_business_customer(client, user_headers, session_factory):
    admin, planner = user_headers("admin"), user_headers("planner")
    r = client.post("/api/v1/customers", json=B2B, headers=admin)
    assert r.status_code == 201, r.text
    customer = r.json()
    assert {k: v for k, v in customer.items() if k != "id"} == {
        **B2B,
        "zipcode": "9726 AE",
        "country": "NL",  # the default
        "kvk": "87654321",
        "vat_number": "NL009876543B01",
    }
    url = f"/api/v1/customers/{customer['id']}"
    assert client.get(url, headers=planner).json() == customer
    assert customer in client.get("/api/v1/customers", headers=planner).json()["items"]
    assert client.patch(url, json={"city": "Haren"}, headers=planner).status_code == 403

    # Moving abroad: country, postcode and VAT number change together; null clears the KvK.
    moved = {
        "country": "be",
        "zipcode": "1000",
        "city": "Brussel",
        "kvk": None,
        "vat_number": "BE0123456789",
    }
    r = client.patch(url, json=moved, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {
        **customer,
        **moved,
        "country": "BE",
        "street": "Stationsplein 12",  # not sent: unchanged
    }
    assert client.patch(url, json={}, headers=admin).json() == r.json()

    with transaction(session_factory) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_id == customer["id"])
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        ).all()
        assert [(e.action, e.details) for e in events] == [
            ("customer.created", {}),
            ("customer.updated", {"fields": ["city", "country", "kvk", "vat_number", "zipcode"]}),
        ]  # an empty patch changes nothing and writes no line


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"kvk": "1234567"}, "kvk", "8 digits"),
        ({"kvk": "123456780000"}, "kvk", "branch number"),
        ({"vat_number": "NL12345678B01"}, "vat_number", "NL + 9 digits"),
        ({"vat_number": "DE123456789"}, "vat_number", "Dutch VAT number"),
        ({"zipcode": "12345"}, "zipcode", "Dutch postcode"),
        ({"country": "Nederland"}, "country", "ISO 3166-1 alpha-2"),
        ({"name": "   "}, "name", "needs a name"),
        ({"address": "Stationsplein 12"}, "address", "Extra inputs are not permitted"),
    ],
)
def test_bad_fields_are_a_422_naming_the_field(client, user_headers, change, field, message):
    r = client.post("/api/v1/customers", json={**B2B, **change}, headers=user_headers("admin"))
    loc, msg = _error(r)
    assert loc == ["body", field] and message in msg
    assert field in r.json()["error"]["message"]


def test_a_patch_is_checked_with_what_is_stored(client, user_headers):
    admin = user_headers("admin")
    customer = client.post("/api/v1/customers", json=B2B, headers=admin).json()
    url = f"/api/v1/customers/{customer['id']}"
    # A Belgian postcode was fine in Belgium, not once the country is NL again.
    moved = {"country": "BE", "zipcode": "B-1000", "vat_number": None}
    assert client.patch(url, json=moved, headers=admin).status_code == 200
    loc, msg = _error(client.patch(url, json={"country": "NL"}, headers=admin))
    assert loc == ["body", "zipcode"] and "not a Dutch postcode" in msg
    loc, _ = _error(client.patch(url, json={"country": None}, headers=admin))
    assert loc == ["body", "country"]
    loc, _ = _error(client.patch(url, json={"name": None}, headers=admin))
    assert loc == ["body", "name"]
    assert client.get(url, headers=admin).json()["country"] == "BE"  # nothing was written


def test_names_stay_unique_and_unknown_ids_are_404(client, user_headers):
    admin = user_headers("admin")
    first = client.post("/api/v1/customers", json={"name": "Eerste"}, headers=admin).json()
    client.post("/api/v1/customers", json={"name": "Tweede"}, headers=admin)
    url = f"/api/v1/customers/{first['id']}"
    assert client.patch(url, json={"name": "Tweede"}, headers=admin).status_code == 409
    assert client.patch(url, json={"name": " Eerste "}, headers=admin).status_code == 200
    missing = "/api/v1/customers/0190b5a0-0000-7000-8000-000000000000"
    assert client.get(missing, headers=admin).status_code == 404
    assert client.patch(missing, json={"city": "X"}, headers=admin).status_code == 404
    # A private customer: a name is all it needs.
    assert first == {
        "id": first["id"],
        "name": "Eerste",
        "email": None,
        "street": None,
        "zipcode": None,
        "city": None,
        "country": "NL",
        "kvk": None,
        "vat_number": None,
    }
