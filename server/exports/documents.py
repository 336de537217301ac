"""What the exporters see of invoices, credit notes, customers and payments.

The invoicing models (issue 6) are not read directly: a ``DocumentSource`` adapts them to
these frozen DTOs, so the exporters, the file export and the tests share one small shape.
Amounts are integer cents, always positive on lines; ``kind`` says invoice or credit note
and each target applies its own sign convention.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

VAT_RATES = (21, 9, 0)  # Dutch rates: high, low, zero/exempt


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class ExportCustomer:
    id: str  # our customer id
    ref: str  # our customer number: Moneybird customer_id, Exact Account.Code (<= 18 chars)
    name: str
    email: str | None = None
    vat_number: str | None = None
    address: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country: str = "NL"


@dataclass(frozen=True)
class ExportLine:
    description: str
    amount_cents: int  # excluding VAT, > 0
    vat_rate: int  # 21, 9 or 0
    category: str  # revenue category -> ledger account by configuration
    # The VAT the invoice itself charged on this line (invoicing rounds per line); None
    # for documents without their own VAT, which then get per-rate rounding.
    vat_cents: int | None = None

    def vat(self) -> int:
        return (
            self.vat_cents
            if self.vat_cents is not None
            else vat_cents(self.amount_cents, self.vat_rate)
        )


@dataclass(frozen=True)
class ExportDocument:
    id: str  # our invoice / credit note id
    kind: DocumentKind
    number: str  # our invoice number: Moneybird reference, Exact YourRef
    date: date
    customer: ExportCustomer
    lines: tuple[ExportLine, ...]
    due_date: date | None = None
    currency: str = "EUR"
    credited_number: str | None = None  # for a credit note: the invoice it corrects
    updated_at: datetime | None = None

    def net_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def vat_by_rate(self) -> dict[int, tuple[int, int]]:
        """{rate: (net cents, VAT cents)}, the VAT exactly as on the invoice.

        Lines that carry the invoice's own VAT (``server.invoicing`` rounds per line) are
        summed as they are, so these totals equal the total the customer was charged;
        otherwise VAT is rounded once per rate.
        """
        nets: dict[int, int] = {}
        vats: dict[int, int] = {}
        carried = all(line.vat_cents is not None for line in self.lines)
        for line in self.lines:
            nets[line.vat_rate] = nets.get(line.vat_rate, 0) + line.amount_cents
            vats[line.vat_rate] = vats.get(line.vat_rate, 0) + (line.vat_cents or 0)
        return {
            rate: (net, vats[rate] if carried else vat_cents(net, rate))
            for rate, net in sorted(nets.items())
        }

    def vat_cents(self) -> int:
        return sum(vat for _net, vat in self.vat_by_rate().values())

    def gross_cents(self) -> int:
        return self.net_cents() + self.vat_cents()

    def sign(self) -> int:
        return -1 if self.kind is DocumentKind.CREDIT_NOTE else 1

    def fingerprint(self) -> str:
        """A hash of everything exported, to notice a document changed after export."""
        data = asdict(self)
        data.pop("updated_at", None)
        raw = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True)
class ExportPayment:
    id: str  # our payment id: Moneybird transaction_identifier
    document_id: str  # the ExportDocument.id it pays
    date: date
    amount_cents: int  # > 0 (a refund is a payment on a credit note)
    method: str = "psp"
    extra: dict = field(default_factory=dict)


def vat_cents(net_cents: int, rate: int) -> int:
    """VAT on ``net_cents`` at ``rate`` percent, rounded half away from zero."""
    sign = -1 if net_cents < 0 else 1
    return sign * ((abs(net_cents) * rate + 50) // 100)


def cents_to_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def str_to_cents(value: str | float | int) -> int:
    """Parse a remote amount ('129.95', '-3,50', 12) to cents without floats."""
    text = str(value).strip().replace(",", ".")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    whole, _, frac = text.partition(".")
    frac = (frac + "00")[:3]
    cents = int(whole or "0") * 100 + int(frac[:2])
    if int(frac[2]) >= 5:
        cents += 1
    return sign * cents


class DocumentSource(Protocol):
    """Where the exporter reads documents from (the invoicing module, or a test)."""

    def documents(self, *, since: datetime | None) -> Iterable[ExportDocument]:
        """Invoices and credit notes issued or changed since ``since`` (all when None)."""
        ...

    def payments(self, *, since: datetime | None) -> Iterable[ExportPayment]:
        """Payments received or changed since ``since`` (all when None)."""
        ...

    def document(self, document_id: str) -> ExportDocument | None:
        """One document by our id (payments need their invoice)."""
        ...


class ListSource:
    """A ``DocumentSource`` over in-memory lists (tests, benchmarks, and the empty source)."""

    def __init__(
        self,
        documents: Iterable[ExportDocument] = (),
        payments: Iterable[ExportPayment] = (),
    ) -> None:
        self._documents = {doc.id: doc for doc in documents}
        self._payments = list(payments)

    def add(self, *items: ExportDocument | ExportPayment) -> None:
        for item in items:
            if isinstance(item, ExportDocument):
                self._documents[item.id] = item
            else:
                self._payments.append(item)

    def documents(self, *, since: datetime | None) -> Iterable[ExportDocument]:
        for doc in self._documents.values():
            if since is None or doc.updated_at is None or doc.updated_at >= since:
                yield doc

    def payments(self, *, since: datetime | None) -> Iterable[ExportPayment]:
        return list(self._payments)

    def document(self, document_id: str) -> ExportDocument | None:
        return self._documents.get(document_id)
