"""A customer's address, KvK and VAT number from the invoicing tables to Moneybird's
contact, Exact's account and the UBL buyer, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from lxml import etree

from server.db import transaction
from server.exports.documents import DocumentKind, ExportCustomer
from server.exports.invoicing_source import InvoicingSource, customer_ref
from server.exports.ubl.rules import check
from server.exports.ubl.writer import ubl_document
from server.invoicing import service as invoicing
from server.invoicing.models import Customer
from server.invoicing.schemas import CustomerCreate
from tests.helpers.billing import make_invoice
from tests.server.exports.conftest import export_to_both
from tests.server.exports.test_ubl_validation import NS, SUPPLIER, assert_valid, xsd

DETAILS = {
    "street": "Stationsplein 12",
    "zipcode": "9726AE",
    "city": "Groningen",
    "kvk": "87654321",
    "vat_number": "NL009876543B01",
}


def _invoice_to(session_factory, details: dict):
    inv = make_invoice(session_factory, lines=[(12_500, 2)], days=2, category="rental")
    with transaction(session_factory) as session:
        customer = session.get(Customer, inv.customer_id)
        merged = {**invoicing.customer_details(customer), **details}
        invoicing.update_customer(
            session=session,
            customer=customer,
            details=CustomerCreate.model_validate(merged).model_dump(),
        )
    return inv


def test_a_dutch_business_customer_everywhere(
    session_factory, export_settings, http, fake_moneybird, fake_exact
):
    inv = _invoice_to(session_factory, DETAILS)
    (doc,) = InvoicingSource(session_factory).documents(since=None)
    assert doc.customer == ExportCustomer(
        id=str(inv.customer_id),
        ref=customer_ref(inv.customer_id),
        name=inv.customer.name,
        **{**DETAILS, "zipcode": "9726 AE"},
        country="NL",
    )

    export_to_both(session_factory, export_settings, http)
    (contact,) = fake_moneybird.contacts.values()  # validated against the OpenAPI file
    assert {
        key: contact.get(key)
        for key in ("address1", "zipcode", "city", "country", "chamber_of_commerce", "tax_number")
    } == {
        "address1": "Stationsplein 12",
        "zipcode": "9726 AE",
        "city": "Groningen",
        "country": "NL",
        "chamber_of_commerce": "87654321",
        "tax_number": "NL009876543B01",
    }
    (account,) = fake_exact.accounts.values()  # property names as Exact's SDK declares
    assert {
        key: account.get(key)
        for key in ("AddressLine1", "Postcode", "City", "Country", "ChamberOfCommerce", "VATNumber")
    } == {
        "AddressLine1": "Stationsplein 12",
        "Postcode": "9726 AE",
        "City": "Groningen",
        "Country": "NL",
        "ChamberOfCommerce": "87654321",
        "VATNumber": "NL009876543B01",
    }

    root = assert_valid(doc)  # OASIS XSD and every rule, BR-NL-4 and BR-NL-10 included
    party = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert [
        party.findtext(path, namespaces=NS)
        for path in (
            "cac:PostalAddress/cbc:StreetName",
            "cac:PostalAddress/cbc:CityName",
            "cac:PostalAddress/cbc:PostalZone",
            "cac:PostalAddress/cac:Country/cbc:IdentificationCode",
            "cac:PartyTaxScheme/cbc:CompanyID",
            "cac:PartyLegalEntity/cbc:CompanyID",
        )
    ] == ["Stationsplein 12", "Groningen", "9726 AE", "NL", "NL009876543B01", "87654321"]
    assert party.find("cac:PartyLegalEntity/cbc:CompanyID", NS).get("schemeID") == "0106"


@pytest.mark.parametrize(
    "details,broken",
    [
        # A customer made from a project, a name only: a Dutch consumer, written as plain
        # EN 16931 (SI-UBL 2.0 has no form for one, see test_ubl_validation).
        ({}, []),
        ({k: v for k, v in DETAILS.items() if k != "kvk"}, ["BR-NL-10"]),  # business, no KvK
        ({**DETAILS, "kvk": None, "vat_number": None, "country": "DE", "zipcode": "10115"}, []),
    ],
)
def test_what_a_customer_without_details_breaks(session_factory, details, broken):
    _invoice_to(session_factory, details)
    (doc,) = InvoicingSource(session_factory).documents(since=None)
    root = etree.fromstring(ubl_document(doc, SUPPLIER))
    assert xsd(DocumentKind.INVOICE).validate(root)  # written all the same
    assert [p.split("]")[0].lstrip("[") for p in check(root)] == broken
