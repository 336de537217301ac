"""Money from the outside world, parsed once (SPEC §10 "Money from providers").

Providers send amounts in every JSON shape: Exact numbers (a whole amount as a bare
integer ``12``, otherwise a float ``12.5``), Mollie and Moneybird decimal strings
(``"10.00"``), Stripe integers in minor units. Every one of them goes through ``Decimal``
here and becomes integer cents exactly; an amount that is not a whole number of cents, a
NaN, an infinity or something that is no amount at all is refused with a message that
says which, never rounded or truncated. It lives outside ``server.payments`` and
``server.exports`` so both import it without a cycle.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from server.errors import ExternalServiceError

# Beyond any invoice or payment (10^12 euros): refusing it keeps the arithmetic exact
# and stops an exponent like 1e999999 from building a million-digit integer.
MAX_AMOUNT = Decimal(10) ** 12


class MoneyError(ExternalServiceError, ValueError):
    """An amount from a provider that is not a whole number of cents. Reaching the API it
    is a 502 naming the value (the provider sent it), never a 500."""

    code = "provider_amount_unreadable"


def parse_amount(value: object) -> Decimal:
    """The exact decimal value of an amount as a provider sent it.

    Accepts int, float (its shortest repr, which is the number the JSON held), Decimal
    and decimal strings (``"12"``, ``"-3.50"``, ``"1.5e3"``). Refuses bool, None, NaN,
    infinities, empty or malformed text and amounts beyond ``MAX_AMOUNT``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise MoneyError(f"not an amount: {value!r} ({type(value).__name__})")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    if amount.copy_abs() >= MAX_AMOUNT:
        raise MoneyError(f"amount out of range: {value!r}")
    return amount


def _scaled(amount: Decimal, places: int, value: object, what: str) -> int:
    """``amount * 10**places`` as an int, exactly, or ``MoneyError`` if it has a fraction."""
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite: the caller's check (not 'n', 'N' or 'F')
    shift = exponent + places
    if shift >= 0:
        whole = int("".join(map(str, digits)) or "0") * 10**shift
    else:
        if any(digits[shift:]):
            raise MoneyError(f"not a whole number of {what}: {value!r}")
        whole = int("".join(map(str, digits[:shift])) or "0")
    return -whole if sign else whole


def to_cents(value: object) -> int:
    """A currency amount (``12``, ``12.5``, ``"10.00"``, ``"1E+1"``) as integer cents."""
    return _scaled(parse_amount(value), 2, value, "cents")


def minor_units(value: object) -> int:
    """An amount already in minor units (Stripe's ``1250`` = 12.50) as integer cents;
    ``12.5`` or ``"12.5"`` is refused, never truncated."""
    return _scaled(parse_amount(value), 0, value, "minor units")


def cents_to_str(cents: int) -> str:
    """Cents as a plain decimal string: 1234 -> '12.34', -5 -> '-0.05'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
