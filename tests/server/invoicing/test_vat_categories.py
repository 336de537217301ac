"""Each invoice line's VAT category next to its rate: chosen from the customer (country,
VAT number with its check digits) or overridden per line, validated, answered by the API;
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from server.db import transaction
from server.invoicing import vat
from tests.helpers.billing import make_project

BE_BUSINESS = {  # a Belgian event company with a VAT number that passes its check digits
    "name": "Podium Events BV",
    "country": "BE",
    "street": "Grote Markt 1",
    "zipcode": "1000",
    "city": "Brussel",
    "vat_number": "BE0403170701",
}


@pytest.fixture
def admin(user_headers):
    return user_headers("admin")


@pytest.fixture
def project_id(session_factory):
    with transaction(session_factory) as session:
        return str(make_project(session, lines=[(12_500, 2)], days=2).id)


def _customer(client, admin, **details) -> str:
    r = client.post("/api/v1/customers", json=details, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _invoice(client, admin, project_id, customer_id, **body):
    return client.post(
        "/api/v1/invoices/from-project",
        json={"project_id": project_id, "customer_id": customer_id, **body},
        headers=admin,
    )


def _taxes(invoice: dict) -> list[tuple]:
    return [
        (ln["vat_rate"], ln["vat_category"], ln["vat_exemption_reason"], ln["vat_cents"])
        for ln in invoice["lines"]
    ]


DEPOSIT = {"description": "Borg", "qty": 1, "unit_price_cents": 10_000, "vat_rate": 0}
TRANSPORT = {"description": "Transport", "qty": 1, "unit_price_cents": 8_500, "vat_rate": 9}


def test_a_business_in_another_eu_country_is_reverse_charged(client, admin, project_id):
    """It used to be S at 21 % on the rental and Z on every 0 % line."""
    customer = _customer(client, admin, **BE_BUSINESS)
    r = _invoice(client, admin, project_id, customer, free_lines=[TRANSPORT, DEPOSIT])
    assert r.status_code == 201, r.text
    invoice = r.json()
    assert _taxes(invoice) == [(0, "AE", "Reverse charge", 0)] * 3
    assert (invoice["subtotal_cents"], invoice["vat_cents"]) == (50_000 + 8_500 + 10_000, 0)
    read = client.get(f"/api/v1/invoices/{invoice['id']}", headers=admin).json()
    assert _taxes(read) == _taxes(invoice)


@pytest.mark.parametrize(
    "details,taxes",
    [
        # Dutch VAT at home: S at its rate, Z at 0 %.
        ({"name": "Klant NL"}, [(21, "S", None, 10_500), (9, "S", None, 765), (0, "Z", None, 0)]),
        # An EU consumer pays Dutch VAT; so does a number that fails its check digits.
        ({"name": "Jan Peeters", "country": "BE"}, [(21, "S", None, 10_500)] * 1),
        (
            {"name": "Wrong Digits BV", "country": "BE", "vat_number": "BE0123456789"},
            [(21, "S", None, 10_500)],
        ),
        # A Dutch customer's VAT number is no reason to reverse-charge.
        ({"name": "Binnenland BV", "vat_number": "NL004495445B01"}, [(21, "S", None, 10_500)]),
        # Outside the EU: not subject to Dutch VAT (docs/exports.md says why O, not G).
        (
            {"name": "Stage Inc", "country": "US", "vat_number": "US123456789"},
            [(0, "O", "Not subject to VAT", 0)] * 3,
        ),
        ({"name": "Greek Events", "country": "GR", "vat_number": "EL094259216"}, None),
    ],
)
def test_the_category_follows_the_customer(client, admin, project_id, details, taxes):
    customer = _customer(client, admin, **details)
    free = [TRANSPORT, DEPOSIT] if taxes and len(taxes) == 3 else []
    r = _invoice(client, admin, project_id, customer, free_lines=free)
    assert r.status_code == 201, r.text
    if taxes is None:  # Greece: EL prefix for country GR
        taxes = [(0, "AE", "Reverse charge", 0)]
    assert _taxes(r.json()) == taxes


def test_an_override_must_agree_with_its_rate(client, admin, project_id):
    customer = _customer(client, admin, name="Klant NL")
    r = _invoice(
        client, admin, project_id, customer, free_lines=[{**TRANSPORT, "vat_category": "AE"}]
    )
    assert r.status_code == 422
    assert "vat_category AE goes with a VAT rate 0 %, not 9 %" in r.text
    assert r.json()["error"]["details"][0]["loc"][:3] == ["body", "free_lines", 0]
    r = _invoice(client, admin, project_id, customer, rental_vat_rate=0, rental_vat_category="S")
    assert r.status_code == 422 and "rental_vat_category S goes with a VAT rate above 0 %" in r.text
    r = _invoice(client, admin, project_id, customer, free_lines=[{**DEPOSIT, "vat_category": "X"}])
    assert r.status_code == 422 and "vat_category" in r.text


def test_overrides_with_their_reasons(client, admin, project_id):
    customer = _customer(client, admin, **BE_BUSINESS)
    exempt = {
        **DEPOSIT,
        "description": "Cursus podiumveiligheid",
        "vat_category": "E",
        "vat_exemption_reason": "Exempt education (art. 11 lid 1 o Wet OB)",
    }
    r = _invoice(
        client,
        admin,
        project_id,
        customer,
        rental_vat_category="S",  # a service taxed here after all, at 21 %
        free_lines=[exempt, {**DEPOSIT, "vat_category": "K"}],
    )
    assert r.status_code == 201, r.text
    assert _taxes(r.json()) == [
        (21, "S", None, 10_500),
        (0, "E", "Exempt education (art. 11 lid 1 o Wet OB)", 0),
        (0, "K", "Intra-Community supply", 0),
    ]
    # A category other than S without a rental rate: 0 %.
    r = _invoice(client, admin, project_id, customer, rental_vat_category="Z")
    assert _taxes(r.json()) == [(0, "Z", None, 0)]


@pytest.mark.parametrize(
    "customer,body,message",
    [
        (
            {"name": "Klant NL"},
            {"free_lines": [{**DEPOSIT, "vat_category": "E"}]},
            "line 2: VAT category E needs an exemption reason",
        ),
        (
            {"name": "Klant NL"},
            {"free_lines": [{**DEPOSIT, "vat_category": "AE"}]},
            "line 2: VAT category AE needs the customer's VAT number",
        ),
        (
            {"name": "Klant NL"},
            {"free_lines": [{**DEPOSIT, "vat_exemption_reason": "because"}]},
            "line 2: VAT category Z has no exemption reason",
        ),
        (
            {"name": "Stage Inc", "country": "US"},
            {"free_lines": [{**TRANSPORT, "vat_category": "S"}]},
            "a document with VAT category O (not subject to VAT) has no other categories",
        ),
        (
            {"name": "Klant NL"},
            {
                "free_lines": [
                    {**DEPOSIT, "vat_category": "E", "vat_exemption_reason": "art. 11 lid 1 o"},
                    {**DEPOSIT, "vat_category": "E", "vat_exemption_reason": "art. 11 lid 1 g"},
                ]
            },
            "the E lines of one document share one exemption reason, found 2",
        ),
    ],
)
def test_what_cannot_be_written_is_refused(client, admin, project_id, customer, body, message):
    r = _invoice(client, admin, project_id, _customer(client, admin, **customer), **body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_vat_category" and message in error["message"]


def test_a_credit_note_keeps_the_invoice_categories(client, admin, project_id):
    customer = _customer(client, admin, **BE_BUSINESS)
    invoice = _invoice(client, admin, project_id, customer, free_lines=[DEPOSIT]).json()
    client.post(f"/api/v1/invoices/{invoice['id']}/open", headers=admin)
    url = f"/api/v1/invoices/{invoice['id']}/credit-notes"
    part = client.post(url, json={"lines": [DEPOSIT]}, headers=admin)
    assert part.status_code == 201, part.text
    assert [(ln["vat_category"], ln["vat_exemption_reason"]) for ln in part.json()["lines"]] == [
        ("AE", "Reverse charge")
    ]
    rest = client.post(url, json={}, headers=admin)  # the whole invoice: too much by now
    assert rest.status_code == 409


def test_customer_category_rules():
    assert vat.customer_category("NL", "NL004495445B01") is None
    assert vat.customer_category("DE", "DE136695976") is vat.VatCategory.REVERSE_CHARGE
    assert vat.customer_category("DE", "ATU13585627") is None  # not the customer's country
    assert vat.customer_category("DE", None) is None
    assert vat.customer_category("CH", None) is vat.VatCategory.OUTSIDE_SCOPE
    assert vat.customer_category("GB", "GB123456789") is vat.VatCategory.OUTSIDE_SCOPE


def test_a_credit_note_follows_its_invoice_not_the_changed_customer(client, admin, project_id):
    customer = _customer(client, admin, **BE_BUSINESS)
    invoice = _invoice(client, admin, project_id, customer, free_lines=[TRANSPORT]).json()
    client.post(f"/api/v1/invoices/{invoice['id']}/open", headers=admin)
    # The customer moves to the Netherlands afterwards: Dutch VAT from now on.
    moved = client.patch(
        f"/api/v1/customers/{customer}",
        json={"country": "NL", "zipcode": "1234 AB", "vat_number": "NL004495445B01"},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    url = f"/api/v1/invoices/{invoice['id']}/credit-notes"
    note = client.post(url, json={"lines": [TRANSPORT]}, headers=admin)
    assert note.status_code == 201, note.text
    assert [
        (ln["vat_rate"], ln["vat_category"], ln["vat_cents"]) for ln in note.json()["lines"]
    ] == [(0, "AE", 0)]  # as invoiced: no VAT credited that was never charged
    later = _invoice(client, admin, project_id, customer).json()
    assert _taxes(later) == [(21, "S", None, 10_500)]


def test_a_line_stored_without_a_category_is_dutch_vat(session_factory):
    from server.invoicing import service
    from server.invoicing.models import InvoiceLine

    with transaction(session_factory) as session:
        project = make_project(session, lines=[(1_000, 1)])
        invoice = service.create_invoice_from_project(session=session, project_id=project.id)
        for position, rate in ((2, 0), (3, 9)):
            session.add(
                InvoiceLine(
                    invoice_id=invoice.id,
                    position=position,
                    kind="free",
                    description="raw",
                    qty=1,
                    unit_price_cents=100,
                    vat_rate=rate,
                    net_cents=100,
                    vat_cents=0,
                )
            )
        session.flush()
        session.refresh(invoice)
        assert [ln.vat_category for ln in invoice.lines] == ["S", "Z", "S"]
