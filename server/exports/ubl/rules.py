"""The EN 16931 and SI-UBL 2.0 (NLCIUS) business rules our UBL can break, checked in Python.

The official rule sets are Schematron (CEN/TC 434 for EN 16931; Peppol Autoriteit NL's
``si-ubl-2.0-nlcius.sch`` for BR-NL-*); running them needs an XSLT 2 processor we do not
ship. These are the rules about what our writer decides -- sums, VAT per rate, parties,
payment means -- with the official ids and wording, so a failure reads like the validator's.
The XML Schema itself (UBL 2.1) is checked in the tests against the OASIS XSD files.

The VAT category rules (BR-S-*, BR-Z-*, BR-E-*, BR-AE-*, BR-IC-* for K, BR-G-*, BR-O-*) are
the ones about rates, exemption reasons, VAT identifiers and which categories go together.
The BR-NL rules apply to documents tagged SI-UBL 2.0; one tagged plain EN 16931 (a Dutch
consumer's, ``server.exports.ubl.writer.customization``) is checked against EN 16931 only.

BR-CO-17 is checked exactly (a cent off fails); the official CEN rule allows ±1.00 so an
invoice issued under our old per-line rounding passes there (``vat_tolerance_cents``).

Each rule is a small function registered with ``@rule`` (in the order findings are
reported); ``check`` runs those whose ``when`` holds for the document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from lxml import etree

from server.exports.ubl.names import CAC, CBC, EN16931, NLCIUS, NS_CREDIT
from server.invoicing.customer_details import VAT_PREFIXES

NS = {"cac": CAC, "cbc": CBC}
LEGAL_ID_SCHEMES = {"0106", "0190"}  # KvK, OIN
NL_PAYMENT_MEANS = {"30", "48", "49", "57", "58", "59"}
RULE_PREFIX = {"K": "IC"}  # K's rules are BR-IC-*
ZERO_CATEGORIES = {"Z", "E", "AE", "K", "G"}  # 0 % (O has no rate at all: BR-O-05, BR-48)
EXEMPT_CATEGORIES = {"E", "AE", "K", "G", "O"}  # need an exemption reason (BR-x-10)
SELLER_VAT_CATEGORIES = {"S", "Z", "E", "AE", "K", "G"}  # BR-x-02: the seller's VAT id
CREDIT_TRANSFER = {"30", "58"}  # BR-61: these need the payee's account


def _cents(node: etree._Element | None) -> int | None:
    if node is None or node.text is None:
        return None
    return int(Decimal(node.text.strip()) * 100)


def _amount(root: etree._Element, path: str) -> int:
    value = _cents(root.find(path, NS))
    return 0 if value is None else value


def _text(node: etree._Element, path: str) -> str:
    return (node.findtext(path, default="", namespaces=NS) or "").strip()


TOTALS = "cac:LegalMonetaryTotal/"

Finding = tuple[str, str]  # (rule id, message)


@dataclass
class Document:
    """An Invoice or CreditNote as the rules read it: each part found once, when first asked."""

    root: etree._Element
    vat_tolerance_cents: int = 0

    @cached_property
    def credit(self) -> bool:
        return etree.QName(self.root).namespace == NS_CREDIT

    @cached_property
    def lines(self) -> list[etree._Element]:
        return self.root.findall("cac:CreditNoteLine" if self.credit else "cac:InvoiceLine", NS)

    def total(self, name: str) -> int:
        return _amount(self.root, TOTALS + f"cbc:{name}")

    @cached_property
    def tax_totals(self) -> list[etree._Element]:
        return [
            t
            for t in self.root.findall("cac:TaxTotal", NS)
            if t.find("cac:TaxSubtotal", NS) is not None
        ]

    @cached_property
    def subtotals(self) -> list[etree._Element]:
        return [s for t in self.tax_totals for s in t.findall("cac:TaxSubtotal", NS)]

    @cached_property
    def vat_total(self) -> int:
        # The last breakdown's total, as BR-CO-15 reads it (one TaxTotal in practice).
        return _amount(self.tax_totals[-1], "cbc:TaxAmount") if self.tax_totals else 0

    @cached_property
    def supplier(self) -> etree._Element | None:
        return self.root.find("cac:AccountingSupplierParty/cac:Party", NS)

    @cached_property
    def customer(self) -> etree._Element | None:
        return self.root.find("cac:AccountingCustomerParty/cac:Party", NS)

    @cached_property
    def line_categories(self) -> dict[str, str]:
        """Each VAT category the lines use -> the first such line's id."""
        found: dict[str, str] = {}
        for line in self.lines:
            tax = line.find("cac:Item/cac:ClassifiedTaxCategory", NS)
            if tax is not None and (category := _text(tax, "cbc:ID")):
                found.setdefault(category, _text(line, "cbc:ID"))
        return found

    @cached_property
    def breakdown_categories(self) -> set[str]:
        return {_text(sub, "cac:TaxCategory/cbc:ID") for sub in self.subtotals}

    @cached_property
    def used_categories(self) -> set[str]:
        return set(self.line_categories) | self.breakdown_categories

    @cached_property
    def nlcius(self) -> bool:
        return _text(self.root, "cbc:CustomizationID").startswith(NLCIUS)

    @cached_property
    def customer_nl(self) -> bool:
        return _text(self.customer, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "NL"

    @cached_property
    def type_code(self) -> str:
        return _text(self.root, "cbc:CreditNoteTypeCode" if self.credit else "cbc:InvoiceTypeCode")


RuleCheck = Callable[[Document], Iterator[Finding]]
Applies = Callable[[Document], bool]


def _always(doc: Document) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    check: RuleCheck
    when: Applies


RULES: list[Rule] = []  # in the order their findings are reported


def rule(when: Applies = _always) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule; ``when`` limits it to the documents it binds."""

    def register(check: RuleCheck) -> RuleCheck:
        RULES.append(Rule(check, when))
        return check

    return register


def check(root: etree._Element, *, vat_tolerance_cents: int = 0) -> list[str]:
    """The rules ``root`` (an Invoice or CreditNote) breaks, as '[ID] message' strings."""
    doc = Document(root, vat_tolerance_cents)
    return [
        f"[{rule_id}] {message}"
        for registered in RULES
        if registered.when(doc)
        for rule_id, message in registered.check(doc)
    ]


def _has_parties(doc: Document) -> bool:
    return doc.supplier is not None and doc.customer is not None


def _si_ubl_in_nl(doc: Document) -> bool:
    """The BR-NL rules: SI-UBL 2.0's (not plain EN 16931's), for suppliers in the Netherlands."""
    return (
        _has_parties(doc)
        and doc.nlcius
        and _text(doc.supplier, "cac:PostalAddress/cac:Country/cbc:IdentificationCode").upper()
        == "NL"
    )


# -- amounts: two decimals (BR-DEC-*), then the EN 16931 sums ------------------------------


@rule()
def _two_decimals(doc: Document) -> Iterator[Finding]:
    for node in doc.root.iter(f"{{{CBC}}}*"):
        if node.get("currencyID") is not None:
            text = (node.text or "").strip()
            if "." in text and len(text.split(".")[1]) > 2:
                yield "BR-DEC", f"{etree.QName(node).localname} {text} has more than 2 decimals"


@rule()
def _line_sum(doc: Document) -> Iterator[Finding]:
    line_sum = sum(_amount(line, "cbc:LineExtensionAmount") for line in doc.lines)
    line_total = doc.total("LineExtensionAmount")
    if line_sum != line_total:
        yield "BR-CO-10", f"Sum of Invoice line net amount {line_sum} != {line_total}"


@rule()
def _tax_exclusive(doc: Document) -> Iterator[Finding]:
    expected = (
        doc.total("LineExtensionAmount")
        - doc.total("AllowanceTotalAmount")
        + doc.total("ChargeTotalAmount")
    )
    if doc.total("TaxExclusiveAmount") != expected:
        yield (
            "BR-CO-13",
            f"Invoice total amount without VAT {doc.total('TaxExclusiveAmount')} "
            "!= lines - allowances + charges",
        )


@rule()
def _has_breakdown(doc: Document) -> Iterator[Finding]:
    if not doc.tax_totals:
        yield "BR-CO-18", "An Invoice shall at least have one VAT breakdown group (BG-23)"


@rule()
def _breakdown_sums(doc: Document) -> Iterator[Finding]:
    for tax_total in doc.tax_totals:
        vat_total = _amount(tax_total, "cbc:TaxAmount")
        subtotals = tax_total.findall("cac:TaxSubtotal", NS)
        summed = sum(_amount(sub, "cbc:TaxAmount") for sub in subtotals)
        if summed != vat_total:
            yield (
                "BR-CO-14",
                f"Invoice total VAT amount {vat_total} != Σ VAT category tax amount {summed}",
            )
        for sub in subtotals:
            yield from _breakdown(sub, doc.lines, doc.vat_tolerance_cents)


def _breakdown(
    sub: etree._Element, lines: list[etree._Element], tolerance: int
) -> Iterator[Finding]:
    category = _text(sub, "cac:TaxCategory/cbc:ID")
    percent = Decimal(_text(sub, "cac:TaxCategory/cbc:Percent") or "0")
    taxable = _amount(sub, "cbc:TaxableAmount")
    tax = _amount(sub, "cbc:TaxAmount")
    exact = (Decimal(taxable) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if abs(tax - int(exact)) > tolerance:
        yield (
            "BR-CO-17",
            f"VAT category tax amount {tax} != VAT category taxable amount {taxable} x "
            f"({percent} / 100), rounded to two decimals ({int(exact)})",
        )
    of_category = sum(
        _amount(line, "cbc:LineExtensionAmount")
        for line in lines
        if _text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID") == category
        and Decimal(_text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent") or "0") == percent
    )
    if of_category != taxable:
        yield (
            f"BR-{category}-08",
            f"VAT category taxable amount {taxable} for {category} {percent} % != Σ its "
            f"line net amounts {of_category}",
        )
    if category == "Z" and tax != 0:
        yield "BR-Z-09", "The VAT category tax amount for zero rated VAT shall be 0"


@rule()
def _tax_inclusive(doc: Document) -> Iterator[Finding]:
    inclusive, exclusive = doc.total("TaxInclusiveAmount"), doc.total("TaxExclusiveAmount")
    if inclusive != exclusive + doc.vat_total:
        yield (
            "BR-CO-15",
            f"Invoice total amount with VAT {inclusive} != {exclusive} + {doc.vat_total}",
        )


@rule()
def _payable(doc: Document) -> Iterator[Finding]:
    payable, inclusive = doc.total("PayableAmount"), doc.total("TaxInclusiveAmount")
    prepaid, rounding = doc.total("PrepaidAmount"), doc.total("PayableRoundingAmount")
    if payable != inclusive - prepaid + rounding:
        yield (
            "BR-CO-16",
            f"Amount due for payment {payable} != {inclusive} - {prepaid} + {rounding}",
        )


@rule()
def _line_has_category(doc: Document) -> Iterator[Finding]:
    for line in doc.lines:
        if not _text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"):
            yield "BR-CO-04", f"Invoice line {_text(line, 'cbc:ID')} has no VAT category code"


@rule()
def _parties(doc: Document) -> Iterator[Finding]:
    # Without both parties no further rule can be read: they all run ``when=_has_parties``.
    if not _has_parties(doc):
        yield "BR-06/BR-07", "Seller and buyer are mandatory"


# -- the EN 16931 rules of each VAT category the document uses ---------------------------


@rule(when=_has_parties)
def _line_rates(doc: Document) -> Iterator[Finding]:
    for line in doc.lines:
        tax = line.find("cac:Item/cac:ClassifiedTaxCategory", NS)
        category = _text(tax, "cbc:ID") if tax is not None else ""
        line_id = _text(line, "cbc:ID")
        percent = _text(tax, "cbc:Percent") if category else ""
        if category == "S" and not (percent and Decimal(percent) > 0):
            yield "BR-S-05", f"Line {line_id}: the standard rate shall be > 0"
        elif category in ZERO_CATEGORIES and Decimal(percent or "0") != 0:
            rule_id = RULE_PREFIX.get(category, category)
            yield f"BR-{rule_id}-05", f"Line {line_id}: {category} VAT rate shall be 0"
        elif category == "O" and percent:
            yield "BR-O-05", f"Line {line_id}: O shall not contain a VAT rate"


@rule(when=_has_parties)
def _breakdown_categories(doc: Document) -> Iterator[Finding]:
    for sub in doc.subtotals:
        category = _text(sub, "cac:TaxCategory/cbc:ID")
        rule_id = RULE_PREFIX.get(category, category)
        reason = _text(sub, "cac:TaxCategory/cbc:TaxExemptionReason") or _text(
            sub, "cac:TaxCategory/cbc:TaxExemptionReasonCode"
        )
        if category in EXEMPT_CATEGORIES:
            if category != "Z" and _amount(sub, "cbc:TaxAmount") != 0:
                yield f"BR-{rule_id}-09", f"The VAT category tax amount for {category} shall be 0"
            if not reason:
                yield (
                    f"BR-{rule_id}-10",
                    f"A VAT breakdown with category {category} shall have a VAT exemption "
                    "reason code (BT-121) or text (BT-120)",
                )
        elif category in ("S", "Z") and reason:
            yield (
                f"BR-{category}-10",
                f"A {category} VAT breakdown shall not have an exemption reason",
            )
        if category == "O" and _text(sub, "cac:TaxCategory/cbc:Percent"):
            yield "BR-48", "A VAT breakdown not subject to VAT (O) shall not have a VAT rate"
        elif category != "O" and not _text(sub, "cac:TaxCategory/cbc:Percent"):
            yield "BR-48", f"The {category} VAT breakdown shall have a VAT category rate"


@rule(when=_has_parties)
def _line_category_in_breakdown(doc: Document) -> Iterator[Finding]:
    for category, line_id in doc.line_categories.items():
        if category not in doc.breakdown_categories:
            rule_id = RULE_PREFIX.get(category, category)
            yield f"BR-{rule_id}-01", f"Line {line_id} is {category}: no {category} VAT breakdown"


@rule(when=_has_parties)
def _category_vat_ids(doc: Document) -> Iterator[Finding]:
    seller_vat, buyer_vat = _vat_ids(doc.supplier), _vat_ids(doc.customer)
    for category in sorted(doc.used_categories & SELLER_VAT_CATEGORIES):
        rule_id = RULE_PREFIX.get(category, category)
        if not seller_vat:
            yield (
                f"BR-{rule_id}-02",
                f"A document with {category} lines shall have the Seller VAT identifier (BT-31)",
            )
        if category in ("AE", "K") and not buyer_vat:
            yield (
                f"BR-{rule_id}-02",
                f"A document with {category} lines shall have the Buyer VAT identifier (BT-48)",
            )


@rule(when=_has_parties)
def _outside_scope(doc: Document) -> Iterator[Finding]:
    used = doc.used_categories
    if "O" not in used:
        return
    if _vat_ids(doc.supplier) or _vat_ids(doc.customer):
        yield (
            "BR-O-02",
            "A document not subject to VAT (O) shall not contain the Seller or Buyer "
            "VAT identifier",
        )
    if used != {"O"}:
        yield (
            "BR-O-11",
            "A document with VAT category O shall not contain other categories "
            f"({', '.join(sorted(used - {'O'}))})",
        )


@rule(when=_has_parties)
def _intra_community(doc: Document) -> Iterator[Finding]:
    if "K" not in doc.used_categories:
        return
    root = doc.root
    if (
        not _text(root, "cac:Delivery/cbc:ActualDeliveryDate")
        and root.find("cac:InvoicePeriod", NS) is None
    ):
        yield (
            "BR-IC-11",
            "An intra-community supply shall have the actual delivery date or the invoicing period",
        )
    if not _text(
        root, "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode"
    ):
        yield "BR-IC-12", "An intra-community supply shall have the deliver to country code (BT-80)"


# -- SI-UBL 2.0 / NLCIUS --------------------------------------------------------------------


@rule(when=_has_parties)
def _customization(doc: Document) -> Iterator[Finding]:
    if not doc.nlcius and _text(doc.root, "cbc:CustomizationID") != EN16931:
        yield (
            "SI-V20-INV-R000",
            "This XML instance is NOT tagged as an SI-UBL 2.0 invoice or credit note",
        )


@rule(when=_has_parties)
def _buyer_name(doc: Document) -> Iterator[Finding]:
    # The buyer's name is its PartyLegalEntity's: a writer cannot leave that element out
    # to dodge BR-NL-10 (which is why SI-UBL 2.0 has no form for a Dutch private customer).
    if not _text(doc.customer, "cac:PartyLegalEntity/cbc:RegistrationName"):
        yield "BR-07", "An Invoice shall contain the Buyer name (BT-44)"


@rule(when=_has_parties)
def _vat_prefix(doc: Document) -> Iterator[Finding]:
    for party in (doc.supplier, doc.customer):
        assert party is not None  # when=_has_parties
        for vat in party.findall("cac:PartyTaxScheme", NS):
            if _text(vat, "cac:TaxScheme/cbc:ID") != "VAT":
                continue
            if _text(vat, "cbc:CompanyID")[:2] not in VAT_PREFIXES:
                yield (
                    "BR-CO-09",
                    f"The VAT identifier {_text(vat, 'cbc:CompanyID')!r} shall have a prefix "
                    "in accordance with ISO code ISO 3166-1 alpha-2 (Greece may use 'EL')",
                )


@rule(when=_si_ubl_in_nl)
def _supplier_legal_id(doc: Document) -> Iterator[Finding]:
    if not _legal_id(doc.supplier):
        yield (
            "BR-NL-1",
            "For suppliers in the Netherlands the supplier MUST provide either a KVK or "
            "OIN number for its legal entity identifier",
        )


@rule(when=_si_ubl_in_nl)
def _buyer_or_order_reference(doc: Document) -> Iterator[Finding]:
    if not _text(doc.root, "cbc:BuyerReference") and not _text(
        doc.root, "cac:OrderReference/cbc:ID"
    ):
        yield (
            "BR-NL-2",
            "The invoice MUST contain either the buyer reference or the order reference",
        )


@rule(when=_si_ubl_in_nl)
def _supplier_address(doc: Document) -> Iterator[Finding]:
    if not _full_address(doc.supplier):
        yield "BR-NL-3", "The supplier's address MUST contain street name, city and postal zone"


@rule(when=_si_ubl_in_nl)
def _customer_address(doc: Document) -> Iterator[Finding]:
    if doc.customer_nl and not _full_address(doc.customer):
        yield (
            "BR-NL-4",
            "If the customer is in the Netherlands, the customer address MUST contain the "
            "street name, the city and the postal zone",
        )


@rule(when=_si_ubl_in_nl)
def _type_code(doc: Document) -> Iterator[Finding]:
    if doc.type_code not in {"380", "381", "384", "389"}:
        yield (
            "BR-NL-7",
            f"The invoice or credit note type code {doc.type_code!r} MUST be one of "
            "380, 381, 384, 389",
        )


@rule(when=_si_ubl_in_nl)
def _type_code_scheme(doc: Document) -> Iterator[Finding]:
    if (doc.type_code == "381") != doc.credit:
        yield (
            "BR-NL-8",
            "Type code 381 goes with the CreditNote scheme, 380/384/389 with the Invoice scheme",
        )


@rule(when=_si_ubl_in_nl)
def _customer_legal_id(doc: Document) -> Iterator[Finding]:
    customer = doc.customer
    if (
        doc.customer_nl
        and customer is not None
        and customer.find("cac:PartyLegalEntity", NS) is not None
        and not _legal_id(customer)
    ):
        yield (
            "BR-NL-10",
            "If the customer is in the Netherlands, the customer's legal entity identifier "
            "MUST be either a KVK (schemeID=0106) or OIN number (schemeID=0190)",
        )


@rule(when=_si_ubl_in_nl)
def _payment_means(doc: Document) -> Iterator[Finding]:
    means = doc.root.findall("cac:PaymentMeans", NS)
    if not doc.credit and doc.total("PayableAmount") > 0 and not means:
        yield (
            "BR-NL-11",
            "The supplier MUST provide a means of payment (cac:PaymentMeans) if the "
            "payment is from customer to supplier",
        )
    for mean in means:
        code = _text(mean, "cbc:PaymentMeansCode")
        if code not in NL_PAYMENT_MEANS:
            yield (
                "BR-NL-12",
                f"The payment means code {code!r} MUST be one of 30, 48, 49, 57, 58 or 59",
            )
        if code in CREDIT_TRANSFER and not _text(mean, "cac:PayeeFinancialAccount/cbc:ID"):
            yield "BR-61", "A credit transfer needs the payment account identifier (BT-84)"


def _vat_ids(party: etree._Element) -> list[str]:
    return [
        _text(scheme, "cbc:CompanyID")
        for scheme in party.findall("cac:PartyTaxScheme", NS)
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT" and _text(scheme, "cbc:CompanyID")
    ]


def _legal_id(party: etree._Element) -> bool:
    return any(
        node.get("schemeID") in LEGAL_ID_SCHEMES and (node.text or "").strip()
        for node in party.findall("cac:PartyLegalEntity/cbc:CompanyID", NS)
    )


def _full_address(party: etree._Element) -> bool:
    address = party.find("cac:PostalAddress", NS)
    return address is not None and all(
        _text(address, f"cbc:{part}") for part in ("StreetName", "CityName", "PostalZone")
    )
