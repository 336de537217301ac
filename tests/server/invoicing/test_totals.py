"""Amounts: integer cents, VAT half-up once per rate, spread over the lines exactly."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.invoicing.totals import (
    allocate,
    cents_to_decimal_string,
    check_rate,
    decimal_string_to_cents,
    line_net_cents,
    line_vat_shares,
    vat_by_rate,
    vat_cents,
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
        (-150, 21, -32),  # half away from zero on credit amounts too
    ],
)
def test_vat_is_rounded_half_up(net, rate, vat):
    # 150 × 21 % = 31.5 → 32; 250 × 9 % = 22.5 → 23 (half-up, not banker's rounding)
    assert vat_cents(net, rate) == vat


def test_only_dutch_rates():
    with pytest.raises(ValueError):
        check_rate(19)
    assert check_rate(9) == 9


def test_line_net_is_qty_days_price():
    assert line_net_cents(qty=3, days=4, unit_price_cents=12_500) == 150_000


def test_vat_is_rounded_once_per_rate_not_per_line():
    # Two lines of 2.50 at 21 %: 0.525 each would round to 0.53 + 0.53 = 1.06 per line;
    # per rate it is 5.00 × 21 % = 1.05 (BR-CO-17, and Moneybird).
    lines = [(250, 21), (250, 21), (4_999, 9), (10_000, 0)]
    assert vat_by_rate(lines) == {0: (10_000, 0), 9: (4_999, 450), 21: (500, 105)}
    shares = line_vat_shares(lines)
    assert shares == [53, 52, 450, 0]  # the odd cent to the earlier line on a tie
    assert sum(shares) == 105 + 450


def test_allocate_gives_the_largest_remainders_the_cents():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [3, 3, 4]) == [3, 3, 4]
    assert allocate(7, [0, 5, 0]) == [0, 7, 0]
    assert allocate(-5, [1, 1]) == [-2, -3]  # floors first: -2.5 → -3, the cent back to one
    assert allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        allocate(1, [0, 0])


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10**7), st.sampled_from([21, 9, 0])),
        min_size=1,
        max_size=40,
    )
)
def test_line_shares_add_up_to_the_per_rate_vat_exactly(lines):
    shares = line_vat_shares(lines)
    for rate, (_net, vat) in vat_by_rate(lines).items():
        assert sum(s for s, (_n, r) in zip(shares, lines, strict=True) if r == rate) == vat
    for share, (net, rate) in zip(shares, lines, strict=True):
        assert abs(share * 100 - net * rate) < 150  # within 1.5 ct of the line's exact VAT


@given(st.integers(min_value=0, max_value=10**12))
def test_mollie_amount_strings_round_trip(cents):
    text = cents_to_decimal_string(cents)
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2
    assert decimal_string_to_cents(text) == cents


def test_sub_cent_amounts_are_refused():
    with pytest.raises(ValueError):
        decimal_string_to_cents("1.005")
