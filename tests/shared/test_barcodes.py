"""Barcode normalization: one canonical string per physical label."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.barcodes import BarcodeError, normalize_code


@pytest.mark.parametrize(
    ("raw", "symbology", "expected"),
    [
        ("5901234123457", None, "05901234123457"),  # EAN-13 -> GTIN-14
        ("]E05901234123457", None, "05901234123457"),  # AIM prefix stripped
        ("012345678905", "upca", "00012345678905"),  # UPC-A
        ("96385074", "ean8", "00000096385074"),  # EAN-8
        ("(01)09501101020917(21)ABC", None, "010950110102091721ABC"),  # GS1 printed form
        ("]C1010950110102091721ABC", None, "010950110102091721ABC"),  # GS1-128 raw
        ("]C101095011010209171019X\x1d21S1", None, "010950110102091721S1"),  # with GS
        ("  RG-SPK-K2-001\r\n", None, "RG-SPK-K2-001"),  # trimmed, case kept
        ("12345678", None, "12345678"),  # bad check digit, no symbology: plain text
    ],
)
def test_canonical_forms(raw, symbology, expected):
    assert normalize_code(raw, symbology).value == expected


@pytest.mark.parametrize(
    ("raw", "symbology", "message"),
    [
        ("", None, "empty"),
        ("\r\n", None, "empty"),
        ("x" * 257, None, "longer"),
        ("5901234123458", "ean13", "check digit"),
        ("]E05901234123458", None, "check digit"),
        ("ABC", "ean13", "not an EAN"),
        ("]C1(99", None, "GS1"),
    ],
)
def test_invalid_codes(raw, symbology, message):
    with pytest.raises(BarcodeError, match=message):
        normalize_code(raw, symbology)


@given(st.text(max_size=80))
def test_normalization_is_idempotent_or_refuses(text):
    try:
        first = normalize_code(text).value
    except BarcodeError:
        return
    assert normalize_code(first).value == first
