"""The EN 16931 and SI-UBL 2.0 (NLCIUS) business rules our UBL can break, checked in Python.

The official rule sets are Schematron (CEN/TC 434 for EN 16931; Peppol Autoriteit NL's
``si-ubl-2.0-nlcius.sch`` for BR-NL-*); running them needs an XSLT 2 processor we do not
ship. These are the rules about what our writer decides -- sums, VAT per rate, parties,
payment means -- with the official ids and wording, so a failure reads like the validator's.
The XML Schema itself (UBL 2.1) is checked in the tests against the OASIS XSD files.

The VAT category rules (BR-S-*, BR-Z-*, BR-E-*, BR-AE-*, BR-IC-* for K, BR-G-*, BR-O-*) are
the ones about rates, exemption reasons, VAT identifiers and which categories go together.
The BR-NL rules apply to documents tagged SI-UBL 2.0; one tagged plain EN 16931 (a Dutch
consumer's, ``server.exports.files.customization``) is checked against EN 16931 only.

BR-CO-17 is checked exactly (a cent off fails); the official CEN rule allows ±1.00 so an
invoice issued under our old per-line rounding passes there (``vat_tolerance_cents``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from server.exports.files import CAC, CBC, EN16931, NLCIUS, NS_CREDIT
from server.invoicing.customer_details import VAT_PREFIXES

NS = {"cac": CAC, "cbc": CBC}
LEGAL_ID_SCHEMES = {"0106", "0190"}  # KvK, OIN
NL_PAYMENT_MEANS = {"30", "48", "49", "57", "58", "59"}
RULE_PREFIX = {"K": "IC"}  # K's rules are BR-IC-*
ZERO_CATEGORIES = {"Z", "E", "AE", "K", "G"}  # 0 % (O has no rate at all: BR-O-05, BR-48)
EXEMPT_CATEGORIES = {"E", "AE", "K", "G", "O"}  # need an exemption reason (BR-x-10)
SELLER_VAT_CATEGORIES = {"S", "Z", "E", "AE", "K", "G"}  # BR-x-02: the seller's VAT id
CREDIT_TRANSFER = {"30", "58"}  # BR-61: these need the payee's account


def _cents(node) -> int | None:
    if node is None or node.text is None:
        return None
    return int(Decimal(node.text.strip()) * 100)


def _amount(root, path: str) -> int:
    value = _cents(root.find(path, NS))
    return 0 if value is None else value


def _text(node, path: str) -> str:
    return (node.findtext(path, default="", namespaces=NS) or "").strip()


def check(root: etree._Element, *, vat_tolerance_cents: int = 0) -> list[str]:
    """The rules ``root`` (an Invoice or CreditNote) breaks, as '[ID] message' strings."""
    out: list[str] = []
    credit = etree.QName(root).namespace == NS_CREDIT
    line_tag = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    lines = root.findall(line_tag, NS)

    def fail(rule: str, message: str) -> None:
        out.append(f"[{rule}] {message}")

    # -- amounts: two decimals (BR-DEC-*), then the EN 16931 sums ----------------------
    for node in root.iter(f"{{{CBC}}}*"):
        if node.get("currencyID") is not None:
            text = (node.text or "").strip()
            if "." in text and len(text.split(".")[1]) > 2:
                fail("BR-DEC", f"{etree.QName(node).localname} {text} has more than 2 decimals")
    totals = "cac:LegalMonetaryTotal/"
    line_sum = sum(_amount(line, "cbc:LineExtensionAmount") for line in lines)
    line_total = _amount(root, totals + "cbc:LineExtensionAmount")
    if line_sum != line_total:
        fail("BR-CO-10", f"Sum of Invoice line net amount {line_sum} != {line_total}")
    exclusive = _amount(root, totals + "cbc:TaxExclusiveAmount")
    allowances = _amount(root, totals + "cbc:AllowanceTotalAmount")
    charges = _amount(root, totals + "cbc:ChargeTotalAmount")
    if exclusive != line_total - allowances + charges:
        fail(
            "BR-CO-13",
            f"Invoice total amount without VAT {exclusive} != lines - allowances + charges",
        )
    tax_totals = [
        t for t in root.findall("cac:TaxTotal", NS) if t.find("cac:TaxSubtotal", NS) is not None
    ]
    if not tax_totals:
        fail("BR-CO-18", "An Invoice shall at least have one VAT breakdown group (BG-23)")
    vat_total = 0
    for tax_total in tax_totals:
        vat_total = _amount(tax_total, "cbc:TaxAmount")
        subtotals = tax_total.findall("cac:TaxSubtotal", NS)
        summed = sum(_amount(sub, "cbc:TaxAmount") for sub in subtotals)
        if summed != vat_total:
            fail(
                "BR-CO-14",
                f"Invoice total VAT amount {vat_total} != Σ VAT category tax amount {summed}",
            )
        for sub in subtotals:
            _check_breakdown(sub, lines, vat_tolerance_cents, fail)
    inclusive = _amount(root, totals + "cbc:TaxInclusiveAmount")
    if inclusive != exclusive + vat_total:
        fail("BR-CO-15", f"Invoice total amount with VAT {inclusive} != {exclusive} + {vat_total}")
    payable = _amount(root, totals + "cbc:PayableAmount")
    prepaid = _amount(root, totals + "cbc:PrepaidAmount")
    rounding = _amount(root, totals + "cbc:PayableRoundingAmount")
    if payable != inclusive - prepaid + rounding:
        fail(
            "BR-CO-16", f"Amount due for payment {payable} != {inclusive} - {prepaid} + {rounding}"
        )
    for line in lines:
        if not _text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"):
            fail("BR-CO-04", f"Invoice line {_text(line, 'cbc:ID')} has no VAT category code")

    supplier = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    customer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    if supplier is None or customer is None:
        fail("BR-06/BR-07", "Seller and buyer are mandatory")
        return out
    _check_categories(
        root,
        lines,
        [s for t in tax_totals for s in t.findall("cac:TaxSubtotal", NS)],
        supplier,
        customer,
        fail,
    )

    # -- SI-UBL 2.0 / NLCIUS ------------------------------------------------------------------
    customization = _text(root, "cbc:CustomizationID")
    nlcius = customization.startswith(NLCIUS)
    if not nlcius and customization != EN16931:
        fail(
            "SI-V20-INV-R000",
            "This XML instance is NOT tagged as an SI-UBL 2.0 invoice or credit note",
        )
    # The buyer's name is its PartyLegalEntity's: a writer cannot leave that element out
    # to dodge BR-NL-10 (which is why SI-UBL 2.0 has no form for a Dutch private customer).
    if not _text(customer, "cac:PartyLegalEntity/cbc:RegistrationName"):
        fail("BR-07", "An Invoice shall contain the Buyer name (BT-44)")
    for party in (supplier, customer):
        for vat in party.findall("cac:PartyTaxScheme", NS):
            if _text(vat, "cac:TaxScheme/cbc:ID") != "VAT":
                continue
            if _text(vat, "cbc:CompanyID")[:2] not in VAT_PREFIXES:
                fail(
                    "BR-CO-09",
                    f"The VAT identifier {_text(vat, 'cbc:CompanyID')!r} shall have a prefix "
                    "in accordance with ISO code ISO 3166-1 alpha-2 (Greece may use 'EL')",
                )
    if not nlcius:
        return out  # plain EN 16931: the BR-NL rules are SI-UBL 2.0's
    if _text(supplier, "cac:PostalAddress/cac:Country/cbc:IdentificationCode").upper() != "NL":
        return out  # the BR-NL rules bind suppliers in the Netherlands only
    if not _legal_id(supplier):
        fail(
            "BR-NL-1",
            "For suppliers in the Netherlands the supplier MUST provide either a KVK or "
            "OIN number for its legal entity identifier",
        )
    if not _text(root, "cbc:BuyerReference") and not _text(root, "cac:OrderReference/cbc:ID"):
        fail(
            "BR-NL-2", "The invoice MUST contain either the buyer reference or the order reference"
        )
    if not _full_address(supplier):
        fail("BR-NL-3", "The supplier's address MUST contain street name, city and postal zone")
    customer_nl = _text(customer, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "NL"
    if customer_nl and not _full_address(customer):
        fail(
            "BR-NL-4",
            "If the customer is in the Netherlands, the customer address MUST contain the "
            "street name, the city and the postal zone",
        )
    type_code = _text(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    if type_code not in {"380", "381", "384", "389"}:
        fail(
            "BR-NL-7",
            f"The invoice or credit note type code {type_code!r} MUST be one of 380, 381, 384, 389",
        )
    if (type_code == "381") != credit:
        fail(
            "BR-NL-8",
            "Type code 381 goes with the CreditNote scheme, 380/384/389 with the Invoice scheme",
        )
    if (
        customer_nl
        and customer.find("cac:PartyLegalEntity", NS) is not None
        and not _legal_id(customer)
    ):
        fail(
            "BR-NL-10",
            "If the customer is in the Netherlands, the customer's legal entity identifier "
            "MUST be either a KVK (schemeID=0106) or OIN number (schemeID=0190)",
        )
    means = root.findall("cac:PaymentMeans", NS)
    if not credit and payable > 0 and not means:
        fail(
            "BR-NL-11",
            "The supplier MUST provide a means of payment (cac:PaymentMeans) if the "
            "payment is from customer to supplier",
        )
    for mean in means:
        code = _text(mean, "cbc:PaymentMeansCode")
        if code not in NL_PAYMENT_MEANS:
            fail(
                "BR-NL-12",
                f"The payment means code {code!r} MUST be one of 30, 48, 49, 57, 58 or 59",
            )
        if code in CREDIT_TRANSFER and not _text(mean, "cac:PayeeFinancialAccount/cbc:ID"):
            fail("BR-61", "A credit transfer needs the payment account identifier (BT-84)")
    return out


def _check_breakdown(sub, lines, tolerance: int, fail) -> None:
    category = _text(sub, "cac:TaxCategory/cbc:ID")
    percent = Decimal(_text(sub, "cac:TaxCategory/cbc:Percent") or "0")
    taxable = _amount(sub, "cbc:TaxableAmount")
    tax = _amount(sub, "cbc:TaxAmount")
    exact = (Decimal(taxable) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if abs(tax - int(exact)) > tolerance:
        fail(
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
        fail(
            f"BR-{category}-08",
            f"VAT category taxable amount {taxable} for {category} {percent} % != Σ its "
            f"line net amounts {of_category}",
        )
    if category == "Z" and tax != 0:
        fail("BR-Z-09", "The VAT category tax amount for zero rated VAT shall be 0")


def _vat_ids(party) -> list[str]:
    return [
        _text(scheme, "cbc:CompanyID")
        for scheme in party.findall("cac:PartyTaxScheme", NS)
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT" and _text(scheme, "cbc:CompanyID")
    ]


def _check_categories(root, lines, subtotals, supplier, customer, fail) -> None:
    """The EN 16931 rules of each VAT category the document uses."""
    line_categories: dict[str, str] = {}  # category -> the first line's id
    for line in lines:
        tax = line.find("cac:Item/cac:ClassifiedTaxCategory", NS)
        category = _text(tax, "cbc:ID") if tax is not None else ""
        if not category:
            continue  # BR-CO-04
        line_categories.setdefault(category, _text(line, "cbc:ID"))
        rule = RULE_PREFIX.get(category, category)
        percent = _text(tax, "cbc:Percent")
        if category == "S" and not (percent and Decimal(percent) > 0):
            fail("BR-S-05", f"Line {_text(line, 'cbc:ID')}: the standard rate shall be > 0")
        elif category in ZERO_CATEGORIES and Decimal(percent or "0") != 0:
            fail(f"BR-{rule}-05", f"Line {_text(line, 'cbc:ID')}: {category} VAT rate shall be 0")
        elif category == "O" and percent:
            fail("BR-O-05", f"Line {_text(line, 'cbc:ID')}: O shall not contain a VAT rate")
    breakdown_categories = set()
    for sub in subtotals:
        category = _text(sub, "cac:TaxCategory/cbc:ID")
        breakdown_categories.add(category)
        rule = RULE_PREFIX.get(category, category)
        reason = _text(sub, "cac:TaxCategory/cbc:TaxExemptionReason") or _text(
            sub, "cac:TaxCategory/cbc:TaxExemptionReasonCode"
        )
        if category in EXEMPT_CATEGORIES:
            if category != "Z" and _amount(sub, "cbc:TaxAmount") != 0:
                fail(f"BR-{rule}-09", f"The VAT category tax amount for {category} shall be 0")
            if not reason:
                fail(
                    f"BR-{rule}-10",
                    f"A VAT breakdown with category {category} shall have a VAT exemption "
                    "reason code (BT-121) or text (BT-120)",
                )
        elif category in ("S", "Z") and reason:
            fail(
                f"BR-{category}-10",
                f"A {category} VAT breakdown shall not have an exemption reason",
            )
        if category == "O" and _text(sub, "cac:TaxCategory/cbc:Percent"):
            fail("BR-48", "A VAT breakdown not subject to VAT (O) shall not have a VAT rate")
        elif category != "O" and not _text(sub, "cac:TaxCategory/cbc:Percent"):
            fail("BR-48", f"The {category} VAT breakdown shall have a VAT category rate")
    for category, line_id in line_categories.items():
        if category not in breakdown_categories:
            rule = RULE_PREFIX.get(category, category)
            fail(f"BR-{rule}-01", f"Line {line_id} is {category}: no {category} VAT breakdown")
    used = set(line_categories) | breakdown_categories
    seller_vat, buyer_vat = _vat_ids(supplier), _vat_ids(customer)
    for category in sorted(used & SELLER_VAT_CATEGORIES):
        rule = RULE_PREFIX.get(category, category)
        if not seller_vat:
            fail(
                f"BR-{rule}-02",
                f"A document with {category} lines shall have the Seller VAT identifier (BT-31)",
            )
        if category in ("AE", "K") and not buyer_vat:
            fail(
                f"BR-{rule}-02",
                f"A document with {category} lines shall have the Buyer VAT identifier (BT-48)",
            )
    if "O" in used:
        if seller_vat or buyer_vat:
            fail(
                "BR-O-02",
                "A document not subject to VAT (O) shall not contain the Seller or Buyer "
                "VAT identifier",
            )
        if used != {"O"}:
            fail(
                "BR-O-11",
                "A document with VAT category O shall not contain other categories "
                f"({', '.join(sorted(used - {'O'}))})",
            )
    if "K" in used:
        if (
            not _text(root, "cac:Delivery/cbc:ActualDeliveryDate")
            and root.find("cac:InvoicePeriod", NS) is None
        ):
            fail(
                "BR-IC-11",
                "An intra-community supply shall have the actual delivery date or the "
                "invoicing period",
            )
        if not _text(
            root, "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode"
        ):
            fail(
                "BR-IC-12",
                "An intra-community supply shall have the deliver to country code (BT-80)",
            )


def _legal_id(party) -> bool:
    return any(
        node.get("schemeID") in LEGAL_ID_SCHEMES and (node.text or "").strip()
        for node in party.findall("cac:PartyLegalEntity/cbc:CompanyID", NS)
    )


def _full_address(party) -> bool:
    address = party.find("cac:PostalAddress", NS)
    return address is not None and all(
        _text(address, f"cbc:{part}") for part in ("StreetName", "CityName", "PostalZone")
    )
