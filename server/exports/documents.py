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

from server.invoicing.totals import line_vat_shares, vat_by_rate, vat_cents
from server.invoicing.vat import by_rate
from server.money import cents_to_str  # noqa: F401  (the exports' money formatting)


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
    street: str | None = None  # street and house number, one line
    zipcode: str | None = None
    city: str | None = None
    country: str = "NL"  # ISO 3166-1 alpha-2
    kvk: str | None = None  # Chamber of Commerce number (UBL: SI-UBL 2.0 BR-NL-10)

    def fingerprint(self) -> str:
        """A hash of what the exporters send of a customer, kept per target with its
        remote contact: when it differs, the contact is updated (``ExportRunner``)."""
        data = asdict(self)
        data.pop("id")
        raw = json.dumps(data, sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True)
class ExportLine:
    description: str
    amount_cents: int  # excluding VAT, > 0
    vat_rate: int  # 21, 9 or 0
    category: str  # revenue category -> ledger account by configuration
    # The VAT the invoice itself booked on this line: its share of the rate's VAT, or, on
    # an invoice issued before the per-rate rule, the per-line rounded VAT it was issued
    # with. None for documents without their own VAT: those get the per-rate rule.
    vat_cents: int | None = None
    # The VAT category (UNCL5305, ``server.invoicing.vat``); empty means Dutch VAT by the
    # rate (S, or Z at 0 %). E, AE, K, G and O carry their exemption reason.
    vat_category: str = ""
    vat_exemption_reason: str | None = None

    def __post_init__(self) -> None:
        if not self.vat_category:
            object.__setattr__(self, "vat_category", by_rate(self.vat_rate).value)


_Day = date  # ExportDocument's field ``date`` hides the type inside the class


@dataclass(frozen=True)
class ExportDocument:
    id: str  # our invoice / credit note id
    kind: DocumentKind
    number: str  # our invoice number: Moneybird reference, Exact YourRef
    date: _Day
    customer: ExportCustomer
    lines: tuple[ExportLine, ...]
    due_date: _Day | None = None
    currency: str = "EUR"
    credited_number: str | None = None  # for a credit note: the invoice it corrects
    updated_at: datetime | None = None

    def net_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    def _carries_vat(self) -> bool:
        return all(line.vat_cents is not None for line in self.lines)

    def vat_by_rate(self) -> dict[int, tuple[int, int]]:
        """{rate: (net cents, VAT cents)}, the VAT exactly as on the invoice.

        VAT is rounded once per rate (``server.invoicing.totals``). Lines that carry the
        invoice's own VAT are summed as they are instead, so an invoice issued under the
        old per-line rule keeps the total the customer was charged.
        """
        if not self._carries_vat():
            return vat_by_rate((line.amount_cents, line.vat_rate) for line in self.lines)
        out: dict[int, tuple[int, int]] = {}
        for line in self.lines:
            net, vat = out.get(line.vat_rate, (0, 0))
            out[line.vat_rate] = (net + line.amount_cents, vat + (line.vat_cents or 0))
        return dict(sorted(out.items()))

    def vat_breakdown(self) -> dict[tuple[str, int], tuple[int, int, str | None]]:
        """{(category, rate): (net, VAT, exemption reason)}: EN 16931's VAT breakdown (BG-23),
        one group per category and rate. Only S carries VAT, so each rate's VAT
        (``vat_by_rate``) is its S group's; the reason is the group's first line's."""
        by_rate_vat = self.vat_by_rate()
        out: dict[tuple[str, int], list] = {}
        for line in self.lines:
            key = (line.vat_category, line.vat_rate)
            group = out.setdefault(key, [0, 0, line.vat_exemption_reason])
            group[0] += line.amount_cents
        for (_category, rate), group in out.items():
            group[1] = by_rate_vat[rate][1] if rate else 0
        return {key: tuple(group) for key, group in sorted(out.items())}

    def vat_categories(self) -> set[str]:
        return {line.vat_category for line in self.lines}

    def line_vats(self) -> list[int]:
        """Each line's VAT; they add up to ``vat_cents()`` exactly (largest remainder)."""
        if self._carries_vat():
            return [line.vat_cents or 0 for line in self.lines]  # all set: _carries_vat
        return line_vat_shares([(line.amount_cents, line.vat_rate) for line in self.lines])

    def rounding_rule_mismatch(self) -> dict[int, int]:
        """{rate: cents} by which this document's VAT differs from the per-rate rule (an
        invoice issued before it); empty for every document made since."""
        out = {}
        for rate, (net, vat) in self.vat_by_rate().items():
            if vat != vat_cents(net, rate):
                out[rate] = vat - vat_cents(net, rate)
        return out

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


class MovementKind(StrEnum):
    """A money movement on a document, as the bookkeeping sees it (``ExportPayment``)."""

    PAYMENT = "payment"  # the customer paid
    REFUND = "refund"  # we paid money back
    CHARGEBACK = "chargeback"  # the customer's bank or card scheme took it back
    REVERSAL = "reversal"  # a chargeback reversed, or a done refund failed: money came back


MONEY_IN = (MovementKind.PAYMENT, MovementKind.REVERSAL)


@dataclass(frozen=True)
class ExportPayment:
    """One money movement: a payment, refund, chargeback or chargeback reversal.

    ``id`` is ours and is what the target keeps to find it again (Moneybird
    ``transaction_identifier``, the start of an Exact bank line's description): the
    payment's, refund's or chargeback's id, and ``<chargeback id>-reversal`` for a reversal.
    """

    id: str
    document_id: str  # the ExportDocument.id it settles (the invoice that was paid)
    date: date
    amount_cents: int  # > 0; which way the money went is ``kind``
    method: str = "psp"
    kind: MovementKind = MovementKind.PAYMENT
    extra: dict = field(default_factory=dict)

    def signed_cents(self, doc: ExportDocument) -> int:
        """The amount as the target books it on ``doc``: positive settles an invoice
        (money in), negative opens it again (money out); mirrored on a credit note."""
        direction = 1 if self.kind in MONEY_IN else -1
        return doc.sign() * direction * self.amount_cents


class DocumentSource(Protocol):
    """Where the exporter reads documents from (the invoicing module, or a test)."""

    def documents(self, *, since: datetime | None) -> Iterable[ExportDocument]:
        """Invoices and credit notes issued or changed since ``since`` (all when None)."""
        ...

    def payments(self, *, since: datetime | None) -> Iterable[ExportPayment]:
        """Money movements (payments, refunds, chargebacks, reversals) that happened or
        changed since ``since`` (all when None)."""
        ...

    def movements(self, ids: Iterable[str]) -> Iterable[ExportPayment]:
        """The movements with these ids, if they are still to be exported (a retry)."""
        ...

    def document(self, document_id: str) -> ExportDocument | None:
        """One document by our id (payments need their invoice)."""
        ...

    def customers(self, ids: Iterable[str]) -> Iterable[ExportCustomer]:
        """The customers with these ids as they are now (their exported contacts are kept
        in step); a customer that no longer exists is left out."""
        ...


class ListSource:
    """A ``DocumentSource`` over in-memory lists (tests, benchmarks, and the empty source)."""

    def __init__(
        self,
        documents: Iterable[ExportDocument] = (),
        payments: Iterable[ExportPayment] = (),
    ) -> None:
        self._documents: dict[str, ExportDocument] = {}
        self._customers: dict[str, ExportCustomer] = {}
        self._payments: list[ExportPayment] = []
        self.add(*documents, *payments)

    def add(self, *items: ExportDocument | ExportPayment | ExportCustomer) -> None:
        """Add documents or payments; a customer (or a document's) replaces the one with
        its id, as an edit of the customer would."""
        for item in items:
            if isinstance(item, ExportDocument):
                self._documents[item.id] = item
                self._customers[item.customer.id] = item.customer
            elif isinstance(item, ExportCustomer):
                self._customers[item.id] = item
            else:
                self._payments.append(item)

    def documents(self, *, since: datetime | None) -> Iterable[ExportDocument]:
        for doc in self._documents.values():
            if since is None or doc.updated_at is None or doc.updated_at >= since:
                yield doc

    def payments(self, *, since: datetime | None) -> Iterable[ExportPayment]:
        return list(self._payments)

    def movements(self, ids: Iterable[str]) -> Iterable[ExportPayment]:
        wanted = set(ids)
        return [pay for pay in self._payments if pay.id in wanted]

    def document(self, document_id: str) -> ExportDocument | None:
        return self._documents.get(document_id)

    def customers(self, ids: Iterable[str]) -> Iterable[ExportCustomer]:
        return [self._customers[i] for i in ids if i in self._customers]
