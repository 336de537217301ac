"""Barcode normalization: one canonical string per physical label.

A scanner may send the same label as ``]E05901234123457``, ``5901234123457`` or, for a
UPC-A label, ``012345678905``; GS1-128 labels come as raw element strings with a
group separator or in their printed ``(01)...(21)...`` form. Both the kiosk mirror and
the server index codes by the value returned here, so they must agree byte for byte.

Canonical forms:
- GTIN (EAN-8, UPC-A, EAN-13, GTIN-14) -> 14 digits, zero padded (GS1's own rule);
- GS1 message with (01) GTIN and (21) serial -> ``01<gtin14>21<serial>``;
- GS1 message with (00) SSCC -> ``00<sscc>``;
- anything else -> the text itself, trimmed, case preserved (Code 128 is case sensitive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from biip import ParseError
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

MAX_CODE_LENGTH = 256

# AIM symbology identifiers (ISO/IEC 15424) that scanners may prefix: "]" + letter + digit.
_AIM_PREFIX = re.compile(r"^\](?P<id>[A-Za-z][0-9A-Za-z])")
# Identifiers whose payload is a GS1 element string (GS1-128, GS1 DataMatrix, GS1 QR, ...).
_GS1_AIM_IDS = {"C1", "d2", "Q3", "e0", "J1"}
# Identifiers of EAN/UPC symbols: their check digit must be right.
_EAN_UPC_AIM_IDS = {"E0", "E3", "E4"}
_EAN_UPC_SYMBOLOGIES = {"ean13", "ean8", "upca", "upce", "ean-13", "ean-8", "upc-a", "upc-e"}
_GROUP_SEPARATOR = "\x1d"
_CONTROL = re.compile(r"[\x00-\x1c\x1e\x1f\x7f]")


class BarcodeError(ValueError):
    """The scanned text cannot be a valid label (empty, too long, bad check digit)."""


@dataclass(frozen=True, slots=True)
class NormalizedCode:
    value: str
    kind: str  # "gtin" | "gs1_serial" | "sscc" | "gs1" | "text"
    gtin: str | None = None
    serial: str | None = None


def _gs1(payload: str) -> NormalizedCode:
    try:
        if payload.startswith("("):
            message = GS1Message.parse_hri(payload)
        else:
            message = GS1Message.parse(payload)
    except ParseError as exc:
        raise BarcodeError(f"not a valid GS1 element string: {exc}") from exc
    fields = {element.ai.ai: element for element in message.element_strings}
    if "01" in fields and fields["01"].gtin is not None:
        gtin = fields["01"].gtin.as_gtin_14()
        if "21" in fields:
            serial = fields["21"].value
            return NormalizedCode(f"01{gtin}21{serial}", "gs1_serial", gtin=gtin, serial=serial)
        return NormalizedCode(gtin, "gtin", gtin=gtin)
    if "00" in fields:
        return NormalizedCode(f"00{fields['00'].value}", "sscc")
    return NormalizedCode("".join(f"{ai}{el.value}" for ai, el in fields.items()), "gs1")


def normalize_code(raw: str, symbology: str | None = None) -> NormalizedCode:
    """Return the canonical form of a scanned code, or raise ``BarcodeError``."""
    text = _CONTROL.sub("", raw).strip()
    aim_id = None
    if match := _AIM_PREFIX.match(text):
        aim_id = match.group("id")
        text = text[match.end() :]
    if not text:
        raise BarcodeError("empty code")
    if len(text) > MAX_CODE_LENGTH:
        raise BarcodeError(f"code longer than {MAX_CODE_LENGTH} characters")

    sym = (symbology or "").lower()
    if aim_id in _GS1_AIM_IDS or _GROUP_SEPARATOR in text or text.startswith("(0"):
        return _gs1(text)
    strict_check = aim_id in _EAN_UPC_AIM_IDS or sym in _EAN_UPC_SYMBOLOGIES
    if text.isdigit() and len(text) in (8, 12, 13, 14):
        try:
            gtin = Gtin.parse(text).as_gtin_14()
        except ParseError as exc:
            if strict_check:
                raise BarcodeError(f"bad EAN/UPC check digit in {text!r}") from exc
        else:
            return NormalizedCode(gtin, "gtin", gtin=gtin)
    elif strict_check:
        raise BarcodeError(f"{text!r} is not an EAN/UPC number")
    return NormalizedCode(text, "text")
