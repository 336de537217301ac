"""File export: CSV and UBL 2.1 (SI-UBL 2.0 / NLCIUS), checked structurally."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import replace

from lxml import etree

from server.exports.csv_file import write_csv
from server.exports.documents import DocumentKind
from server.exports.ubl.names import CAC, CBC, NLCIUS, NS_CREDIT, NS_INVOICE
from server.exports.ubl.writer import ubl_document, write_ubl_zip
from tests.server.exports.conftest import SUPPLIER, make_documents

NS = {"cac": CAC, "cbc": CBC}

# SI-UBL 2.0 / EN 16931 mandatory elements (BT numbers in comments), as XPath from the root.
REQUIRED = [
    "cbc:CustomizationID",  # BT-24
    "cbc:ID",  # BT-1
    "cbc:IssueDate",  # BT-2
    "cbc:DocumentCurrencyCode",  # BT-5
    "cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
    "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
    "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID",  # NL: KvK
    "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID",
    "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
    "cac:PaymentMeans/cbc:PaymentMeansCode",  # NL: mandatory
    "cac:TaxTotal/cbc:TaxAmount",
    "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID",
    "cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
    "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
    "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
    "cac:LegalMonetaryTotal/cbc:PayableAmount",
]


def _amount(root, path):
    return round(float(root.findtext(path, namespaces=NS)) * 100)


def test_ubl_invoice_has_the_nlcius_structure_and_adds_up():
    doc = make_documents(1)[0]
    doc = replace(doc, customer=replace(doc.customer, kvk="87654321"))  # a business
    root = etree.fromstring(ubl_document(doc, SUPPLIER))
    assert etree.QName(root).namespace == NS_INVOICE
    for path in REQUIRED:
        assert root.findtext(path, namespaces=NS), f"missing {path}"
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == NLCIUS
    assert root.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "380"
    assert (
        root.find("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", NS).get("schemeID")
        == "0106"
    )
    lines = root.findall("cac:InvoiceLine", NS)
    assert len(lines) == 3
    line_sum = sum(
        round(float(x.findtext("cbc:LineExtensionAmount", namespaces=NS)) * 100) for x in lines
    )
    assert (
        line_sum
        == _amount(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount")
        == doc.net_cents()
    )
    subtotals = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert {s.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS) for s in subtotals} == {
        "21.00",
        "9.00",
    }
    assert _amount(root, "cac:TaxTotal/cbc:TaxAmount") == doc.vat_cents()
    assert _amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == doc.gross_cents()
    # element order matters in UBL: the header comes before the parties and the lines
    tags = [etree.QName(child).localname for child in root]
    assert tags.index("CustomizationID") == 0
    assert (
        tags.index("AccountingSupplierParty") < tags.index("TaxTotal") < tags.index("InvoiceLine")
    )


def test_ubl_credit_note_references_the_invoice():
    doc = replace(
        make_documents(1)[0],
        kind=DocumentKind.CREDIT_NOTE,
        number="CN-1",
        credited_number="INV-2026-00000",
    )
    root = etree.fromstring(ubl_document(doc, SUPPLIER))
    assert root.tag == f"{{{NS_CREDIT}}}CreditNote"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    assert (
        root.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS)
        == "INV-2026-00000"
    )
    assert len(root.findall("cac:CreditNoteLine", NS)) == 3
    assert root.find("cac:CreditNoteLine/cbc:CreditedQuantity", NS).get("unitCode") == "C62"


def test_csv_and_zip(tmp_path):
    docs = make_documents(8, credit_every=4)
    out = io.StringIO()
    assert write_csv(docs, out) == 8
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 24
    credit = [r for r in rows if r["type"] == "credit_note"]
    assert credit and all(r["net"].startswith("-") for r in credit)
    assert write_ubl_zip(docs, SUPPLIER, tmp_path / "ubl.zip") == 8
    with zipfile.ZipFile(tmp_path / "ubl.zip") as archive:
        assert sorted(archive.namelist())[0] == "CN-2026-00003.xml"
        etree.fromstring(archive.read("INV-2026-00000.xml"))
