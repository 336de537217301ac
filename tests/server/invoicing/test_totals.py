"""Line amounts: integer cents, VAT half-up per line."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.invoicing.totals import (
    cents_to_decimal_string,
    decimal_string_to_cents,
    line_amounts,
    line_vat_cents,
)


@pytest.mark.parametrize(
    "net,rate,vat",
    [
        (1000, 21, 210),
        (50, 9, 5),
        (150, 21, 32),
        (250, 9, 23),
        (7, 21, 1),
        (2, 21, 0),
        (1000, 0, 0),
        (12_345, 21, 2592),
    ],
)
def test_vat_is_rounded_half_up_per_line(net, rate, vat):
    # 150 × 21 % = 31.5 → 32; 250 × 9 % = 22.5 → 23 (half-up, not banker's rounding)
    assert line_vat_cents(net, rate) == vat


def test_only_dutch_rates():
    with pytest.raises(ValueError):
        line_vat_cents(100, 19)


def test_line_net_is_qty_days_price():
    assert line_amounts(qty=3, days=4, unit_price_cents=12_500, vat_rate=21) == (150_000, 31_500)


@given(st.integers(min_value=0, max_value=10**12))
def test_mollie_amount_strings_round_trip(cents):
    text = cents_to_decimal_string(cents)
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2
    assert decimal_string_to_cents(text) == cents


def test_sub_cent_amounts_are_refused():
    with pytest.raises(ValueError):
        decimal_string_to_cents("1.005")
