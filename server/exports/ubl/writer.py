"""UBL 2.1 invoices / credit notes for offline bookkeeping, in the Dutch SI-UBL 2.0 profile
(NLCIUS on EN 16931), which Moneybird and Exact Online both import (CSV: ``csv_file``).

A Dutch consumer (in the Netherlands, neither KvK nor VAT number) cannot satisfy SI-UBL 2.0
(BR-NL-10 wants the buyer's KvK number): theirs are written with the plain EN 16931
customization, whose rules they do meet. VAT is broken down per category and rate (BG-23)
with each category's exemption reason (``server.invoicing.vat``).
"""

from __future__ import annotations

import copy
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from server.exports.documents import (
    DocumentKind,
    ExportCustomer,
    ExportDocument,
    cents_to_str,
)
from server.exports.ubl.names import (
    CAC,
    CBC,
    EN16931,
    KVK_SCHEME,
    NLCIUS,
    NS_CREDIT,
    NS_INVOICE,
    PEPPOL_BILLING,
)
from server.exports.ubl.rules import check
from server.invoicing import vat as vat_categories


@dataclass(frozen=True)
class Supplier:
    name: str
    kvk: str
    vat_number: str
    iban: str
    street: str
    city: str
    zipcode: str
    country: str = "NL"


_QNAMES: dict[tuple[str, str], str] = {}


def _el(
    parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str
) -> etree._Element:
    qname = _QNAMES.get((ns, tag))
    if qname is None:
        qname = _QNAMES[(ns, tag)] = f"{{{ns}}}{tag}"
    node = etree.SubElement(parent, qname, attrs) if attrs else etree.SubElement(parent, qname)
    if text is not None:
        node.text = text
    return node


@lru_cache(maxsize=8)
def _supplier_party(supplier: Supplier) -> etree._Element:
    # The same for every document: built once, deep-copied into each (10k files < 10 s).
    holder = etree.Element("holder")
    _party(
        holder,
        "AccountingSupplierParty",
        name=supplier.name,
        street=supplier.street,
        city=supplier.city,
        zipcode=supplier.zipcode,
        country=supplier.country,
        vat=supplier.vat_number,
        kvk=supplier.kvk,
    )
    return holder[0]


@lru_cache(maxsize=4096)
def _customer_party(c: ExportCustomer) -> etree._Element:
    holder = etree.Element("holder")
    _party(
        holder,
        "AccountingCustomerParty",
        name=c.name,
        street=c.street,
        city=c.city,
        zipcode=c.zipcode,
        country=c.country,
        vat=c.vat_number,
        kvk=c.kvk,
        endpoint=False,  # the buyer's electronic address is not ours to give
    )
    return holder[0]


def customization(doc: ExportDocument) -> str:
    """SI-UBL 2.0 for business and government customers, plain EN 16931 for a consumer in
    the Netherlands (whom BR-NL-10 would refuse: no KvK number to give)."""
    c = doc.customer
    consumer_nl = c.country == "NL" and not c.kvk and not c.vat_number
    return EN16931 if consumer_nl else NLCIUS


def _tax_category(
    parent: etree._Element, tag: str, category: str, rate: int, reason: str | None = None
) -> None:
    """BT-151/BT-152 on a line; with ``reason`` also BT-121/BT-120 (breakdown only: the
    line's ClassifiedTaxCategory has no exemption reason in EN 16931)."""
    cat = _el(parent, CAC, tag)
    _el(cat, CBC, "ID", category)
    if category != vat_categories.VatCategory.OUTSIDE_SCOPE:  # O has no rate (BR-O-05, BR-48)
        _el(cat, CBC, "Percent", f"{rate:.2f}")
    if reason:
        if code := vat_categories.reason_code(category, reason):
            _el(cat, CBC, "TaxExemptionReasonCode", code)
        _el(cat, CBC, "TaxExemptionReason", reason)
    _el(_el(cat, CAC, "TaxScheme"), CBC, "ID", "VAT")
    return cat


def _without_vat_ids(party: etree._Element) -> etree._Element:
    # BR-O-02..04: a document not subject to VAT names neither party's VAT identifier.
    for scheme in party.findall(f"{{{CAC}}}Party/{{{CAC}}}PartyTaxScheme"):
        scheme.getparent().remove(scheme)
    return party


def _delivery(root: etree._Element, doc: ExportDocument) -> None:
    # BR-IC-11/12: an intra-community supply says when and to which country it went.
    delivery = _el(root, CAC, "Delivery")
    _el(delivery, CBC, "ActualDeliveryDate", doc.date.isoformat())
    address = _el(_el(delivery, CAC, "DeliveryLocation"), CAC, "Address")
    _el(_el(address, CAC, "Country"), CBC, "IdentificationCode", doc.customer.country)


def _party(
    parent: etree._Element,
    tag: str,
    *,
    name: str,
    street: str | None,
    city: str | None,
    zipcode: str | None,
    country: str,
    vat: str | None,
    kvk: str | None,
    endpoint: bool = True,
) -> etree._Element:
    party = _el(_el(parent, CAC, tag), CAC, "Party")
    if kvk and endpoint:
        _el(party, CBC, "EndpointID", kvk, schemeID=KVK_SCHEME)
    _el(_el(party, CAC, "PartyName"), CBC, "Name", name)
    address = _el(party, CAC, "PostalAddress")
    if street:
        _el(address, CBC, "StreetName", street)
    if city:
        _el(address, CBC, "CityName", city)
    if zipcode:
        _el(address, CBC, "PostalZone", zipcode)
    _el(_el(address, CAC, "Country"), CBC, "IdentificationCode", country)
    if vat:
        scheme = _el(party, CAC, "PartyTaxScheme")
        _el(scheme, CBC, "CompanyID", vat)
        _el(_el(scheme, CAC, "TaxScheme"), CBC, "ID", "VAT")
    legal = _el(party, CAC, "PartyLegalEntity")
    _el(legal, CBC, "RegistrationName", name)
    if kvk:
        _el(legal, CBC, "CompanyID", kvk, schemeID=KVK_SCHEME)


def ubl_document(doc: ExportDocument, supplier: Supplier) -> bytes:
    return etree.tostring(ubl_tree(doc, supplier), xml_declaration=True, encoding="UTF-8")


def ubl_tree(doc: ExportDocument, supplier: Supplier) -> etree._Element:
    """The document as UBL. Amounts agree by construction with EN 16931: lines sum to the
    totals (BR-CO-10..16) and each rate's VAT is its taxable amount × rate, rounded once
    (BR-CO-17) -- the invoicing rule. An invoice issued before that rule carries its own
    per-line VAT, off by a cent or two (the official CEN check allows ±1.00)."""
    credit = doc.kind is DocumentKind.CREDIT_NOTE
    root_ns, root_tag = (NS_CREDIT, "CreditNote") if credit else (NS_INVOICE, "Invoice")
    root = etree.Element(f"{{{root_ns}}}{root_tag}", nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
    cur = doc.currency
    _el(root, CBC, "CustomizationID", customization(doc))
    _el(root, CBC, "ProfileID", PEPPOL_BILLING)
    _el(root, CBC, "ID", doc.number)
    _el(root, CBC, "IssueDate", doc.date.isoformat())
    if doc.due_date and not credit:
        _el(root, CBC, "DueDate", doc.due_date.isoformat())
    _el(
        root, CBC, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", "381" if credit else "380"
    )
    _el(root, CBC, "DocumentCurrencyCode", cur)
    _el(root, CBC, "BuyerReference", doc.customer.ref)
    if credit and doc.credited_number:  # NLCIUS: a credit note names the invoice it corrects
        ref = _el(_el(root, CAC, "BillingReference"), CAC, "InvoiceDocumentReference")
        _el(ref, CBC, "ID", doc.credited_number)
    categories = doc.vat_categories()
    supplier_party = copy.deepcopy(_supplier_party(supplier))
    customer_party = copy.deepcopy(_customer_party(doc.customer))
    if vat_categories.VatCategory.OUTSIDE_SCOPE in categories:
        supplier_party, customer_party = map(_without_vat_ids, (supplier_party, customer_party))
    root.append(supplier_party)
    root.append(customer_party)
    if vat_categories.VatCategory.INTRA_EU_GOODS in categories:
        _delivery(root, doc)
    _payment_means(root, doc, supplier)
    _totals(root, doc)
    _lines(root, doc, credit=credit)
    return root


def _payment_means(root: etree._Element, doc: ExportDocument, supplier: Supplier) -> None:
    """Pay by credit transfer to the supplier's IBAN, quoting the document number."""
    means = _el(root, CAC, "PaymentMeans")
    _el(means, CBC, "PaymentMeansCode", "30")  # credit transfer
    _el(means, CBC, "PaymentID", doc.number)
    _el(_el(means, CAC, "PayeeFinancialAccount"), CBC, "ID", supplier.iban)


def _totals(root: etree._Element, doc: ExportDocument) -> None:
    """The VAT breakdown per (category, rate) and the document's monetary totals."""
    cur = doc.currency
    breakdown = doc.vat_breakdown()
    vat_total = sum(tax for _net, tax, _reason in breakdown.values())
    tax_total = _el(root, CAC, "TaxTotal")
    _el(tax_total, CBC, "TaxAmount", cents_to_str(vat_total), currencyID=cur)
    for (category, rate), (net, tax, reason) in breakdown.items():
        sub = _el(tax_total, CAC, "TaxSubtotal")
        _el(sub, CBC, "TaxableAmount", cents_to_str(net), currencyID=cur)
        _el(sub, CBC, "TaxAmount", cents_to_str(tax), currencyID=cur)
        _tax_category(sub, "TaxCategory", category, rate, reason)
    net_total = doc.net_cents()
    totals = _el(root, CAC, "LegalMonetaryTotal")
    _el(totals, CBC, "LineExtensionAmount", cents_to_str(net_total), currencyID=cur)
    _el(totals, CBC, "TaxExclusiveAmount", cents_to_str(net_total), currencyID=cur)
    _el(totals, CBC, "TaxInclusiveAmount", cents_to_str(net_total + vat_total), currencyID=cur)
    _el(totals, CBC, "PayableAmount", cents_to_str(net_total + vat_total), currencyID=cur)


def _lines(root: etree._Element, doc: ExportDocument, *, credit: bool) -> None:
    """One invoice (or credit note) line per document line, quantity 1 at its amount."""
    cur = doc.currency
    line_tag, qty_tag = (
        ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine", "InvoicedQuantity")
    )
    for index, line in enumerate(doc.lines, 1):
        node = _el(root, CAC, line_tag)
        _el(node, CBC, "ID", str(index))
        _el(node, CBC, qty_tag, "1", unitCode="C62")
        _el(node, CBC, "LineExtensionAmount", cents_to_str(line.amount_cents), currencyID=cur)
        item = _el(node, CAC, "Item")
        _el(item, CBC, "Name", line.description[:100] or "-")
        _tax_category(item, "ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        _el(
            _el(node, CAC, "Price"),
            CBC,
            "PriceAmount",
            cents_to_str(line.amount_cents),
            currencyID=cur,
        )


def write_ubl_zip(
    documents: Iterable[ExportDocument],
    supplier: Supplier,
    path: Path,
    *,
    problems: dict[str, list[str]] | None = None,
) -> int:
    """One XML file per document, named by its number, in a zip (stored: XML is small).

    With ``problems``, each document is also checked against the EN 16931 / SI-UBL 2.0
    rules of ``server.exports.ubl.rules``; what fails is collected by number (the file is
    still written: the bookkeeper decides, nothing is dropped)."""
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for doc in documents:
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in doc.number)
            root = ubl_tree(doc, supplier)
            if problems is not None and (found := check(root)):
                problems[doc.number] = found
            archive.writestr(
                f"{safe}.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            )
            count += 1
    return count
