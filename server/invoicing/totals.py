"""Line and document amounts in integer cents.

The rule: a line's net is ``qty × days × unit price`` (exact integers); its VAT is
``net × rate / 100`` rounded half-up to a whole cent *per line* (half-up away from zero, so
1.5 ct → 2 ct); document subtotal, VAT and total are the sums of the line amounts. This is
what Dutch bookkeeping packages (Moneybird, Exact) accept line by line, so an export never
differs by a rounding cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

VAT_RATES = (21, 9, 0)


def line_vat_cents(net_cents: int, vat_rate: int) -> int:
    """VAT for one line, half-up to a whole cent."""
    if vat_rate not in VAT_RATES:
        raise ValueError(f"VAT rate must be one of {VAT_RATES}, not {vat_rate}")
    amount = Decimal(net_cents) * Decimal(vat_rate) / Decimal(100)
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amounts(*, qty: int, days: int, unit_price_cents: int, vat_rate: int) -> tuple[int, int]:
    """(net, vat) in cents for one line."""
    net = qty * days * unit_price_cents
    return net, line_vat_cents(net, vat_rate)


def cents_to_decimal_string(cents: int) -> str:
    """1234 -> '12.34' (what Mollie wants: a string with exactly two decimals)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def decimal_string_to_cents(value: str) -> int:
    """'12.34' -> 1234; refuses anything that is not a whole number of cents."""
    amount = Decimal(value) * 100
    if amount != amount.to_integral_value():
        raise ValueError(f"not a whole number of cents: {value!r}")
    return int(amount)
