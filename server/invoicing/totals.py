"""Line and document amounts in integer cents.

The rule (EN 16931 BR-CO-17, and how Moneybird computes it): a line's net is
``qty × days × unit price`` (exact integers); VAT is computed **once per rate** on the sum
of that rate's line nets, rounded half-up to a whole cent (half away from zero, so 1.5 ct
→ 2 ct). The document's VAT is the sum over its rates. Each line also gets its share of
its rate's VAT (``allocate``, largest remainder), so line shares add up to the document VAT
exactly; Exact Online takes that share per line (``VATAmountFC``).

Invoices issued before this rule rounded VAT per line; their stored totals are what the
customer was charged and are never recomputed (see docs/payments.md, "Rounding rule").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from server.money import to_cents

VAT_RATES = (21, 9, 0)


def check_rate(vat_rate: int) -> int:
    if vat_rate not in VAT_RATES:
        raise ValueError(f"VAT rate must be one of {VAT_RATES}, not {vat_rate}")
    return vat_rate


def vat_cents(net_cents: int, vat_rate: int) -> int:
    """VAT on ``net_cents`` at ``vat_rate`` percent, half-up (away from zero) to a cent."""
    sign = -1 if net_cents < 0 else 1
    return sign * ((abs(net_cents) * vat_rate + 50) // 100)


def line_net_cents(*, qty: int, days: int, unit_price_cents: int) -> int:
    return qty * days * unit_price_cents


def vat_by_rate(lines: Iterable[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """{rate: (net, VAT)} for ``(net cents, rate)`` lines, VAT rounded once per rate."""
    nets: dict[int, int] = {}
    for net, rate in lines:
        nets[rate] = nets.get(rate, 0) + net
    return {rate: (net, vat_cents(net, rate)) for rate, net in sorted(nets.items())}


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` cents over ``weights`` proportionally, largest remainder first.

    The parts add up to ``total`` exactly; ties go to the earlier weight. All-zero weights
    take nothing (and then ``total`` must be 0).
    """
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError(f"cannot spread {total} cents over zero weights")
        return [0] * len(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    parts = [int(share // 1) for share in exact]  # floor, also for negative shares
    left = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def line_vat_shares(lines: Sequence[tuple[int, int]]) -> list[int]:
    """Each ``(net, rate)`` line's share of its rate's VAT; they sum to the document VAT."""
    shares = [0] * len(lines)
    for rate, (_net, vat) in vat_by_rate(lines).items():
        members = [i for i, (_n, r) in enumerate(lines) if r == rate]
        for i, share in zip(members, allocate(vat, [lines[i][0] for i in members]), strict=True):
            shares[i] = share
    return shares


def cents_to_decimal_string(cents: int) -> str:
    """1234 -> '12.34' (what Mollie wants: a string with exactly two decimals)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def decimal_string_to_cents(value: str) -> int:
    """'12.34' -> 1234; refuses anything that is not a whole number of cents (the one
    parser, ``server.money.to_cents``)."""
    return to_cents(value)
