"""A customer's address, country, Chamber of Commerce (KvK) number and VAT number: their
shapes, normalized forms and the messages that say what is expected.

These are what an invoice to a business needs: SI-UBL 2.0 (NLCIUS) refuses an invoice to a
Dutch customer without street, city and postal code (BR-NL-4) or without a KvK number
(BR-NL-10), and EN 16931 wants a VAT number to start with its country code (BR-CO-09).
Each function returns the normalized value or raises ``ValueError`` with the message the
API answers (as a 422 naming the field).
"""

from __future__ import annotations

import re

# ISO 3166-1 alpha-2, as in the tz database's iso3166.tab (current as of ISO/TC 46 N1108,
# 2023-04-05; public domain).
COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK
    DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR
    GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
    KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
    VI VN VU WF WS YE YT ZA ZM ZW""".split()
)
# VAT numbers of the EU member states (and Northern Ireland), as the European Commission's
# VIES describes them; Greece uses EL, not GR (EN 16931 BR-CO-09 allows it).
EU_VAT = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[0-9A-Z]\d{7}[0-9A-Z]",
    "FI": r"\d{8}",
    "FR": r"[0-9A-Z]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d{7}[A-Z]{1,2}|\d[A-Z+*]\d{5}[A-Z]",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{12}",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
_EU_VAT = {prefix: re.compile(f"(?:{body})") for prefix, body in EU_VAT.items()}
VAT_PREFIXES = COUNTRIES | {"EL", "XI"}  # what BR-CO-09 accepts as a VAT number's prefix
_SEPARATORS = re.compile(r"[\s.\-]")
_NL_POSTCODE = re.compile(r"([1-9]\d{3}) ?([A-Z]{2})")
_POSTCODE = re.compile(r"[0-9A-Z][0-9A-Z \-]{1,14}")
KVK_DIGITS = 8


def country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (NL, BE, DE, ...)")
    return code


def postcode(value: str | None, country_code: str | None) -> str | None:
    """A Dutch postcode as ``1234 AB``; elsewhere letters, digits, spaces and hyphens."""
    text = " ".join((value or "").split()).upper()
    if not text:
        return None
    if country_code == "NL":
        found = _NL_POSTCODE.fullmatch(text)
        if not found:
            raise ValueError(f"{value!r} is not a Dutch postcode: four digits and two letters")
        return f"{found[1]} {found[2]}"
    if not _POSTCODE.fullmatch(text):
        raise ValueError(f"{value!r} is not a postal code: 2-15 letters, digits, spaces or '-'")
    return text


def kvk(value: str | None) -> str | None:
    """The 8-digit Chamber of Commerce number (the legal entity, not one branch)."""
    digits = _SEPARATORS.sub("", value or "")
    if not digits:
        return None
    if len(digits) == 12 and digits.isdigit():
        raise ValueError(
            f"{value!r} looks like a branch number (vestigingsnummer, 12 digits); "
            "the KvK number has 8 digits"
        )
    if len(digits) != KVK_DIGITS or not digits.isdigit():
        raise ValueError(f"{value!r} is not a KvK number: 8 digits")
    return digits


def vat_number(value: str | None, country_code: str | None) -> str | None:
    """A VAT number with its country prefix, without separators (``NL123456789B01``).

    A customer in the Netherlands has a Dutch one (NL + 9 digits + B + 2 digits); EU numbers
    have their member state's shape; others need a country prefix (BR-CO-09)."""
    text = _SEPARATORS.sub("", value or "").upper()
    if not text:
        return None
    prefix, body = text[:2], text[2:]
    if country_code == "NL" and prefix != "NL":
        raise ValueError(
            f"{value!r}: a customer in the Netherlands has a Dutch VAT number (NL123456789B01)"
        )
    if prefix == "GR":
        raise ValueError(f"{value!r}: Greek VAT numbers start with EL, not GR")
    if prefix in _EU_VAT:
        if not _EU_VAT[prefix].fullmatch(body):
            shape = "NL + 9 digits + B + 2 digits" if prefix == "NL" else "the shape VIES gives"
            raise ValueError(f"{value!r} is not a {prefix} VAT number ({shape})")
        return text
    if prefix not in VAT_PREFIXES or not re.fullmatch(r"[0-9A-Z]{2,14}", body):
        raise ValueError(
            f"{value!r} is not a VAT number: a country code, then 2-14 letters or digits"
        )
    return text
