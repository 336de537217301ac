"""VAT categories from the invoice to its UBL file, Moneybird and Exact Online: the right
category, exemption reason and breakdown per category in UBL (OASIS XSD and the EN 16931
rules), the category's own tax code at each target, and a mapping checked before a run
(SQLite and PostgreSQL, real HTTP to the strict fakes)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from server.db import transaction
from server.exports.models import RunStatus, Target
from server.exports.service import run_export
from server.exports.sources import document_source
from server.exports.targets.mapping import MappingError, mapping_for
from server.exports.ubl.names import EN16931, NLCIUS
from server.exports.ubl.rules import check
from server.exports.ubl.writer import ubl_tree
from server.invoicing import service as invoicing
from server.invoicing.models import Customer, Invoice
from server.money import to_cents as str_to_cents
from tests.helpers.billing import make_project
from tests.server.exports.conftest import EX_VAT, MB_TAX, export_to_both
from tests.server.exports.test_ubl_validation import NS, SUPPLIER, assert_valid

MB_CATEGORIES = {"AE": "1004", "O": "1005", "E": "1006", "K": "1007", "G": "1008"}
EX_CATEGORIES = {"AE": "4", "O": "5", "E": "6", "K": "7", "G": "8"}
BE_BUSINESS = {
    "name": "Podium Events BV",
    "country": "BE",
    "street": "Grote Markt 1",
    "zipcode": "1000",
    "city": "Brussel",
    "vat_number": "BE0403170701",
}
US_BUSINESS = {"name": "Stage Inc", "country": "US", "city": "Austin", "zipcode": "78701"}
TRANSPORT = invoicing.FreeLine("Transport", qty=1, unit_price_cents=8_500, vat_rate=9)
DEPOSIT = invoicing.FreeLine("Borg", qty=1, unit_price_cents=10_000, vat_rate=0)


def _issue(session_factory, customer: dict, free=(), **overrides) -> str:
    """An issued invoice (2 × 125.00 a day, 2 days) to the customer (made when new)."""
    with transaction(session_factory) as session:
        row = session.scalar(select(Customer).where(Customer.name == customer["name"]))
        if row is None:
            row = Customer(**customer)
            session.add(row)
            session.flush()
        invoice = invoicing.create_invoice_from_project(
            session=session,
            project_id=make_project(session, lines=[(12_500, 2)], days=2).id,
            customer_id=row.id,
            free_lines=list(free),
            **overrides,
        )
        invoicing.open_invoice(session=session, invoice_id=invoice.id)
        return invoice.number


def _doc(session_factory, number: str):
    (doc,) = [
        d for d in document_source(session_factory).documents(since=None) if d.number == number
    ]
    return doc


def _breakdown(root) -> dict:
    return {
        (
            sub.findtext("cac:TaxCategory/cbc:ID", namespaces=NS),
            sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS),
        ): (
            str_to_cents(sub.findtext("cbc:TaxableAmount", namespaces=NS)),
            str_to_cents(sub.findtext("cbc:TaxAmount", namespaces=NS)),
            sub.findtext("cac:TaxCategory/cbc:TaxExemptionReasonCode", namespaces=NS),
            sub.findtext("cac:TaxCategory/cbc:TaxExemptionReason", namespaces=NS),
        )
        for sub in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }


def _line_categories(root) -> list[tuple]:
    return [
        (
            line.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", namespaces=NS),
            line.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", namespaces=NS),
        )
        for line in root.findall("cac:InvoiceLine", NS)
    ]


def _vat_ids(root) -> list[str | None]:
    return [
        root.findtext(f"cac:{party}/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS)
        for party in ("AccountingSupplierParty", "AccountingCustomerParty")
    ]


def test_a_reverse_charged_invoice_in_ubl(session_factory):
    """A Belgian business: every 0 % line used to be written as Z (zero-rated)."""
    number = _issue(session_factory, BE_BUSINESS, free=[TRANSPORT, DEPOSIT])
    root = assert_valid(_doc(session_factory, number))  # OASIS XSD and every rule
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == NLCIUS
    assert _line_categories(root) == [("AE", "0.00")] * 3
    assert _breakdown(root) == {
        ("AE", "0.00"): (68_500, 0, "VATEX-EU-AE", "Reverse charge"),
    }
    assert _vat_ids(root) == [SUPPLIER.vat_number, "BE0403170701"]  # BR-AE-02


def test_a_reverse_charged_credit_note_in_ubl(session_factory):
    number = _issue(session_factory, BE_BUSINESS, free=[TRANSPORT])
    with transaction(session_factory) as session:
        invoice_id = session.scalar(select(Invoice.id).where(Invoice.number == number))
        note = invoicing.create_credit_note(session=session, invoice_id=invoice_id)
        note_number = note.number
    root = assert_valid(_doc(session_factory, note_number))
    assert _breakdown(root) == {("AE", "0.00"): (58_500, 0, "VATEX-EU-AE", "Reverse charge")}


def test_outside_the_eu_is_not_subject_to_vat(session_factory):
    number = _issue(session_factory, US_BUSINESS, free=[TRANSPORT])
    root = assert_valid(_doc(session_factory, number))
    assert _line_categories(root) == [("O", None)] * 2  # no rate at all (BR-O-05)
    assert _breakdown(root) == {("O", None): (58_500, 0, "VATEX-EU-O", "Not subject to VAT")}
    assert _vat_ids(root) == [None, None]  # BR-O-02


def test_categories_side_by_side_break_down_per_category(session_factory):
    exempt = replace(
        DEPOSIT,
        description="Cursus podiumveiligheid",
        vat_category="E",
        vat_exemption_reason="Onderwijs, art. 11 lid 1 onderdeel o Wet OB",
    )
    goods = replace(DEPOSIT, description="Verkoop kabels", vat_category="K")
    number = _issue(
        session_factory,
        BE_BUSINESS,
        free=[TRANSPORT, exempt, goods, DEPOSIT],
        rental_vat_category="S",  # taxed here after all: the override
    )
    root = assert_valid(_doc(session_factory, number))
    assert _breakdown(root) == {
        ("AE", "0.00"): (8_500 + 10_000, 0, "VATEX-EU-AE", "Reverse charge"),
        ("E", "0.00"): (10_000, 0, None, "Onderwijs, art. 11 lid 1 onderdeel o Wet OB"),
        ("K", "0.00"): (10_000, 0, "VATEX-EU-IC", "Intra-Community supply"),
        ("S", "21.00"): (50_000, 10_500, None, None),
    }
    # K says when and where the goods went (BR-IC-11, BR-IC-12).
    assert root.findtext("cac:Delivery/cbc:ActualDeliveryDate", namespaces=NS)
    country = "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode"
    assert root.findtext(country, namespaces=NS) == "BE"


def test_a_dutch_consumer_gets_plain_en16931(session_factory):
    number = _issue(session_factory, {"name": "Jan de Vries"}, free=[DEPOSIT])
    root = assert_valid(_doc(session_factory, number))  # valid for its profile
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == EN16931
    assert _line_categories(root) == [("S", "21.00"), ("Z", "0.00")]
    business = _issue(session_factory, {"name": "Bedrijf BV", "kvk": "87654321"}, free=[DEPOSIT])
    assert (
        ubl_tree(_doc(session_factory, business), SUPPLIER).findtext(
            "cbc:CustomizationID", namespaces=NS
        )
        == NLCIUS
    )


@pytest.mark.parametrize(
    "customer,tamper,rule",
    [
        (
            BE_BUSINESS,
            "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason;"
            "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode",
            "BR-AE-10",
        ),
        (BE_BUSINESS, "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme", "BR-AE-02"),
        (BE_BUSINESS, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme", "BR-AE-02"),
        (BE_BUSINESS, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID=Z", "BR-AE-01"),
        (
            BE_BUSINESS,
            "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent=21.00",
            "BR-AE-05",
        ),
        (US_BUSINESS, "cac:InvoiceLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID=S", "BR-O-11"),
        ({"name": "Klant NL"}, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID=AE", "BR-S-01"),
    ],
)
def test_the_rule_checker_names_a_wrong_category(session_factory, customer, tamper, rule):
    root = assert_valid(_doc(session_factory, _issue(session_factory, customer)))
    for change in tamper.split(";"):
        path, _, value = change.partition("=")
        node = root.find(path, NS)
        if value:
            node.text = value
        else:
            node.getparent().remove(node)
    assert rule in {p.split("]")[0].lstrip("[") for p in check(root)}


def test_more_rules_of_the_categories(session_factory):
    root = assert_valid(_doc(session_factory, _issue(session_factory, US_BUSINESS)))
    scheme = ubl_tree(_doc(session_factory, _issue(session_factory, BE_BUSINESS)), SUPPLIER).find(
        "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme", NS
    )
    root.find("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity", NS).addprevious(scheme)
    assert "BR-O-02" in {p.split("]")[0].lstrip("[") for p in check(root)}
    goods = replace(DEPOSIT, vat_category="K")
    k_root = assert_valid(_doc(session_factory, _issue(session_factory, BE_BUSINESS, free=[goods])))
    k_root.remove(k_root.find("cac:Delivery", NS))
    assert {"BR-IC-11", "BR-IC-12"} <= {p.split("]")[0].lstrip("[") for p in check(k_root)}


def _settings(export_settings, **extra):
    return export_settings.model_copy(
        update={
            "moneybird_tax_rate_ids": {**MB_TAX, **MB_CATEGORIES},
            "exact_vat_codes": {**EX_VAT, **EX_CATEGORIES},
            **extra,
        }
    )


def test_each_category_books_with_its_own_tax_code(
    session_factory, export_settings, http, fake_moneybird, fake_exact
):
    be = _issue(session_factory, BE_BUSINESS, free=[DEPOSIT])
    us = _issue(session_factory, US_BUSINESS)
    nl = _issue(session_factory, {"name": "Klant NL", "kvk": "87654321"}, free=[DEPOSIT])
    for run in export_to_both(session_factory, _settings(export_settings), http):
        assert run.report["mismatches"] == [], run.report["mismatches"]
    by_ref = {inv["reference"]: inv for inv in fake_moneybird.invoices.values()}
    assert [d["tax_rate_id"] for d in by_ref[be]["details"]] == [MB_CATEGORIES["AE"]] * 2
    assert [d["tax_rate_id"] for d in by_ref[us]["details"]] == [MB_CATEGORIES["O"]]
    assert [d["tax_rate_id"] for d in by_ref[nl]["details"]] == [MB_TAX["21"], MB_TAX["0"]]
    entries = {e["YourRef"]: e["SalesEntryLines"]["results"] for e in fake_exact.entries.values()}
    assert [ln["VATCode"] for ln in entries[be]] == [EX_CATEGORIES["AE"]] * 2
    assert [ln["VATCode"] for ln in entries[us]] == [EX_CATEGORIES["O"]]
    assert [ln["VATCode"] for ln in entries[nl]] == [EX_VAT["21"], EX_VAT["0"]]
    assert all(ln["VATAmountFC"] == 0 for ln in entries[be] + entries[us])


@pytest.mark.parametrize("target", [Target.MONEYBIRD, Target.EXACT])
def test_an_unmapped_category_stops_the_run_before_any_call(
    session_factory, export_settings, http, fake_moneybird, fake_exact, target
):
    number = _issue(session_factory, BE_BUSINESS)
    settings = export_settings  # rates only, as before categories: no "AE"
    run = run_export(
        session_factory=session_factory,
        settings=settings,
        target=target,
        source=document_source(session_factory),
        http=http,
    )
    assert run.status == RunStatus.FAILED
    setting = (
        "RENTGUY_MONEYBIRD_TAX_RATE_IDS"
        if target is Target.MONEYBIRD
        else "RENTGUY_EXACT_VAT_CODES"
    )
    assert f"VAT category AE (first on {number}) has no entry in {setting}" in run.message
    assert fake_moneybird.posts["invoices"] == 0 and fake_exact.posts["entries"] == 0


def test_mapping_keys(export_settings):
    mapping = mapping_for(_settings(export_settings), Target.MONEYBIRD)
    assert mapping.tax(21, "S") == MB_TAX["21"] and mapping.tax(0, "Z") == MB_TAX["0"]
    assert mapping.tax(0, "AE") == MB_CATEGORIES["AE"] and mapping.tax(9) == MB_TAX["9"]
    assert (mapping.rate_of(MB_CATEGORIES["O"]), mapping.rate_of(MB_TAX["9"])) == (0, 9)
    assert mapping.rate_of("nope") == -1
    legacy = export_settings.model_copy(update={"exact_vat_codes": {"21%": "2", "0": "0"}})
    assert mapping_for(legacy, Target.EXACT).vat == {"21": "2", "0": "0"}
    for bad, message in [("S", "map by their rate"), ("XX", "neither a VAT percentage")]:
        wrong = export_settings.model_copy(update={"exact_vat_codes": {bad: "9"}})
        with pytest.raises(MappingError, match=message):
            mapping_for(wrong, Target.EXACT)
