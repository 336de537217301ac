"""The one parser of provider money (``server.money``): every JSON shape an amount comes
in becomes exact cents; what is not a whole number of cents is refused, never rounded."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.exports.targets.http import ApiClient, UnreadableAnswer
from server.money import MAX_AMOUNT, MoneyError, minor_units, to_cents

CENTS = st.integers(min_value=-(10**13), max_value=10**13)


def _shapes(cents: int) -> list:
    """The ways a provider may write ``cents``: Exact's JSON numbers (a bare integer when
    whole, else a float), Mollie/Moneybird decimal strings, exponent notation."""
    amount = Decimal(cents).scaleb(-2)
    shapes = [
        json.loads(json.dumps(cents / 100)),  # a JSON float as json.loads reads it
        str(amount),  # "12.50"
        f"{amount:.2f}",
        f"{amount:E}",  # "1.250000E+1"
        str(amount.normalize()),  # "12.5", "1.2E+3"
        amount,
    ]
    if cents % 100 == 0:
        shapes += [cents // 100, str(cents // 100)]  # Exact: 12; text "12"
    return shapes


@given(CENTS)
def test_every_shape_of_an_amount_is_exact_cents(cents):
    for shape in _shapes(cents):
        assert to_cents(shape) == cents, shape


@given(CENTS, st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=6))
def test_sub_cent_amounts_are_refused_not_rounded(cents, digit, extra):
    # cents + digit * 10^-extra cents: a fraction of a cent at some place.
    text = str(Decimal(cents).scaleb(-2) + Decimal(digit).scaleb(-2 - extra))
    with pytest.raises(MoneyError, match="whole number of cents"):
        to_cents(text)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_float_is_exact_cents_or_refused(value):
    try:
        cents = to_cents(value)
    except MoneyError:
        exact = Decimal(repr(value))
        assert exact.copy_abs() >= MAX_AMOUNT or exact.scaleb(2) % 1 != 0
        return
    assert Decimal(cents) == Decimal(repr(value)).scaleb(2)


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, -math.inf, "NaN", "sNaN", "Infinity", "-inf", True, False, None,
     "", " ", "12,50", "1.2.3", "abc", [1], {"value": "1.00"}, "1e999999", 10**13],
)
def test_what_is_not_an_amount_is_refused_with_a_reason(value):
    with pytest.raises(MoneyError) as exc:
        to_cents(value)
    assert repr(value)[:10] in str(exc.value) or type(value).__name__ in str(exc.value)


def test_the_amounts_the_old_parser_crashed_on():
    # str_to_cents raised IndexError on these (Exact's 0 % VAT line and whole amounts).
    assert [to_cents(v) for v in (0, 12, "12", 0.0, -7, "0")] == [0, 1200, 1200, 0, -700, 0]
    # ... and silently rounded these.
    for value in ("1.005", 0.125, "12.345"):
        with pytest.raises(MoneyError):
            to_cents(value)


def test_minor_units_are_whole_or_refused():
    assert minor_units(1250) == 1250 and minor_units("1250") == 1250 and minor_units(0) == 0
    assert minor_units(1250.0) == 1250
    for value in (12.5, "12.5", math.nan, None, True):
        with pytest.raises(MoneyError):
            minor_units(value)


def test_an_unreadable_amount_from_a_target_is_an_api_error_not_a_crash():
    client = ApiClient.__new__(ApiClient)
    assert client._cents(None, "AmountFC") == 0 and client._cents(12, "AmountFC") == 1200
    with pytest.raises(UnreadableAnswer, match="AmountFC"):
        client._cents("NaN", "AmountFC")


def test_an_unreadable_provider_amount_is_a_502_with_the_value_not_a_500():
    from server.errors import ExternalServiceError

    with pytest.raises(ExternalServiceError) as exc:
        to_cents("12.345")
    assert exc.value.status_code == 502 and exc.value.code == "provider_amount_unreadable"
    assert "'12.345'" in exc.value.message
