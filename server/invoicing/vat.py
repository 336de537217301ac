"""VAT categories next to the rate: which one a line gets, and when rate and category agree.

The categories are the UNCL5305 codes EN 16931 uses (BT-151, BT-118). A rate alone cannot
say why a line carries no VAT: 0 % for a Dutch customer is zero-rated (Z), for a business
in another EU country it is reverse-charged ("btw verlegd", AE), outside the EU the service
is not taxed here at all (O). What we chose and why: docs/exports.md, "VAT categories".

- A line's category is its override when one is given, else the customer's: a business in
  another EU member state with a VAT number that passes its check digits -> AE; a customer
  outside the EU -> O; anyone else (in the Netherlands, or an EU consumer) pays Dutch VAT:
  S at 21 or 9 %, Z at 0 %.
- Only S carries a rate above 0; every other category is 0 %. A category taken from the
  customer sets the line's rate to 0; an override must agree with the rate it is sent with.
- E, AE, K, G and O need an exemption reason (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10,
  BR-O-10): AE, K, G and O have a standard one (VATEX code and text), E needs the line's own
  text (which article exempts it). S and Z have none (BR-S-10, BR-Z-10).
- A credit note's lines follow their invoice's regime (``invoice_regime``), not the
  customer as edited since.
- AE and K need the customer's VAT number (BR-AE-02, BR-IC-02); O excludes every other
  category on the same document (BR-O-11..14).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from stdnum.eu import vat as eu_vat


class VatCategory(StrEnum):
    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"  # btw verlegd: the customer accounts for the VAT
    INTRA_EU_GOODS = "K"  # intra-community supply of goods (goods that leave NL)
    EXPORT = "G"  # goods exported outside the EU
    OUTSIDE_SCOPE = "O"  # not subject to VAT here (services whose place is outside the EU)


CATEGORIES = tuple(c.value for c in VatCategory)
# (VATEX code, text) written as the exemption reason (BT-121, BT-120) when the line has none.
STANDARD_REASONS = {
    VatCategory.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    VatCategory.INTRA_EU_GOODS: ("VATEX-EU-IC", "Intra-Community supply"),
    VatCategory.EXPORT: ("VATEX-EU-G", "Export outside the EU"),
    VatCategory.OUTSIDE_SCOPE: ("VATEX-EU-O", "Not subject to VAT"),
}
NEEDS_BUYER_VAT = {VatCategory.REVERSE_CHARGE, VatCategory.INTRA_EU_GOODS}
# The member states (ISO 3166-1) whose businesses reverse-charge our services.
EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
HOME_COUNTRY = "NL"


def by_rate(rate: int) -> VatCategory:
    """The category of a line of Dutch VAT at ``rate``: standard, or zero-rated at 0 %."""
    return VatCategory.STANDARD if rate > 0 else VatCategory.ZERO_RATED


def customer_category(country: str | None, vat_number: str | None) -> VatCategory | None:
    """The category the customer's place and VAT number give, or None for Dutch VAT."""
    country = (country or HOME_COUNTRY).upper()
    if country == HOME_COUNTRY:
        return None
    if country not in EU_COUNTRIES:
        return VatCategory.OUTSIDE_SCOPE
    if vat_number and valid_eu_vat_number(vat_number, country):
        return VatCategory.REVERSE_CHARGE
    return None  # an EU consumer (or an unchecked number): Dutch VAT


def valid_eu_vat_number(number: str, country: str) -> bool:
    """The number is the customer's member state's and its check digits are right (no
    VIES call: that is the bookkeeper's, see docs/exports.md)."""
    prefix = "EL" if country == "GR" else country
    return number.upper().startswith(prefix) and eu_vat.is_valid(number)


def default_reason(category: str) -> str | None:
    found = STANDARD_REASONS.get(VatCategory(category))
    return found[1] if found else None


def reason_code(category: str, reason: str | None) -> str | None:
    """The VATEX code to write with ``reason`` (only for the standard text)."""
    found = STANDARD_REASONS.get(VatCategory(category))
    return found[0] if found and reason == found[1] else None


def resolve(
    *,
    rate: int,
    category: str | None,
    reason: str | None,
    customer: VatCategory | None,
    customer_vat_number: str | None,
) -> tuple[int, VatCategory, str | None]:
    """(rate, category, exemption reason) of one line; ``ValueError`` says what disagrees.

    ``category`` is the line's override (None: the customer's, else by the rate)."""
    reason = " ".join((reason or "").split()) or None
    if category is None:
        chosen = customer or by_rate(rate)
        if chosen is not VatCategory.STANDARD:
            rate = 0  # not Dutch VAT: the customer's place decides
    else:
        try:
            chosen = VatCategory(category)
        except ValueError:
            raise ValueError(
                f"VAT category {category!r} is not one of {', '.join(CATEGORIES)}"
            ) from None
        if (chosen is VatCategory.STANDARD) != (rate > 0):
            wanted = "above 0 %" if chosen is VatCategory.STANDARD else "0 %"
            raise ValueError(f"VAT category {chosen.value} goes with a rate {wanted}, not {rate} %")
    if chosen in (VatCategory.STANDARD, VatCategory.ZERO_RATED):
        if reason:
            raise ValueError(f"VAT category {chosen.value} has no exemption reason")
    elif reason is None:
        reason = default_reason(chosen)
        if reason is None:
            raise ValueError(
                f"VAT category {chosen.value} needs an exemption reason (which rule exempts it)"
            )
    if chosen in NEEDS_BUYER_VAT and not customer_vat_number:
        raise ValueError(f"VAT category {chosen.value} needs the customer's VAT number")
    return rate, chosen, reason


def invoice_regime(categories: Iterable[str]) -> VatCategory | None:
    """The customer's category an invoice was written under (AE or O on any of its lines;
    other lines were overrides), else None: what a credit note on it follows, whatever the
    customer's details say by then."""
    found = set(categories)
    for regime in (VatCategory.OUTSIDE_SCOPE, VatCategory.REVERSE_CHARGE):
        if regime in found:
            return regime
    return None


def check_document(lines: Iterable[tuple[str, str | None]]) -> None:
    """A document's ``(category, exemption reason)`` lines go together: O excludes the
    others (BR-O-11..14), and a category has one reason (its VAT breakdown, BG-23, carries
    one: BT-120)."""
    reasons: dict[str, set[str | None]] = {}
    for category, reason in lines:
        reasons.setdefault(category, set()).add(reason)
    if VatCategory.OUTSIDE_SCOPE in reasons and len(reasons) > 1:
        others = ", ".join(sorted(set(reasons) - {VatCategory.OUTSIDE_SCOPE}))
        raise ValueError(
            f"a document with VAT category O (not subject to VAT) has no other categories "
            f"(BR-O-11), found {others}"
        )
    for category, found in sorted(reasons.items()):
        if len(found) > 1:
            raise ValueError(
                f"the {category} lines of one document share one exemption reason, found "
                f"{len(found)}: {' / '.join(sorted(r or '(none)' for r in found))}"
            )
