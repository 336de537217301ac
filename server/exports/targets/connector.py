"""The interface the runner drives; one implementation per accounting target."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from server.exports.documents import ExportCustomer, ExportDocument, ExportPayment
from server.exports.targets.mapping import Mapping


@dataclass
class RemoteDocument:
    id: str
    version: str | None = None
    reference: str | None = None
    number: str | None = None  # the target's own number (Exact EntryNumber: bank lines' OurRef)
    # {rate: [net cents, vat cents]} as the target has it (signed: credit notes negative)
    totals: dict[int, list[int]] = field(default_factory=dict)
    # {our movement id: signed cents} registered on it remotely (Moneybird embeds them)
    payments: dict[str, int] = field(default_factory=dict)


class Connector(Protocol):
    target: str
    calls: int
    throttled: int
    mapping: Mapping

    def find_contact(self, customer: ExportCustomer) -> str | None: ...

    def create_contact(self, customer: ExportCustomer) -> str: ...

    def update_contact(self, remote_id: str, customer: ExportCustomer) -> None:
        """Bring the remote contact up to date with ``customer``; ``Rejected`` with status
        404 when it was deleted remotely."""
        ...

    def find_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument | None: ...

    def create_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument: ...

    def document_number(self, remote_id: str) -> str | None:
        """The target's own number of an exported document when movements need it (Exact:
        the EntryNumber its bank lines refer to); None when they do not."""
        ...

    def find_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote: RemoteDocument, contact_id: str
    ) -> str | None:
        """A movement (payment, refund, chargeback, reversal) already there, by our id."""
        ...

    def create_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote: RemoteDocument, contact_id: str
    ) -> str:
        """Register one movement on ``remote`` (the exported ``doc``); its remote id."""
        ...

    def remote_movements(
        self, remote_docs: dict[str, RemoteDocument], since: datetime
    ) -> dict[str, int]:
        """{our movement id: signed cents} as the target now holds the movements registered
        since ``since`` (re-read for the report; ``remote_docs`` were just fetched)."""
        ...

    def fetch_documents(self, remote_ids: Iterable[str]) -> dict[str, RemoteDocument]:
        """Re-read documents for reconciliation (batched where the API allows)."""
        ...

    def remote_versions(self, since: datetime | None = None) -> dict[str, str] | None:
        """{remote id: version} of every exported document, cheaply; None if unsupported."""
        ...

    def seconds_for(self, calls: int) -> float: ...
