"""The interface the runner drives; one implementation per accounting target."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from server.exports.documents import ExportCustomer, ExportDocument, ExportPayment
from server.exports.mapping import Mapping


@dataclass
class RemoteDocument:
    id: str
    version: str | None = None
    reference: str | None = None
    number: str | None = None  # the target's own number (Exact EntryNumber: bank lines' OurRef)
    # {rate: [net cents, vat cents]} as the target has it (signed: credit notes negative)
    totals: dict[int, list[int]] = field(default_factory=dict)
    payment_refs: list[str] = field(default_factory=list)  # our payment ids seen remotely


class Connector(Protocol):
    target: str
    calls: int
    throttled: int
    mapping: Mapping

    def find_contact(self, customer: ExportCustomer) -> str | None: ...

    def create_contact(self, customer: ExportCustomer) -> str: ...

    def find_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument | None: ...

    def create_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument: ...

    def find_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote_doc_id: str, contact_id: str
    ) -> str | None: ...

    def create_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote_doc_id: str, contact_id: str
    ) -> str: ...

    def fetch_documents(self, remote_ids: Iterable[str]) -> dict[str, RemoteDocument]:
        """Re-read documents for reconciliation (batched where the API allows)."""
        ...

    def remote_versions(self) -> dict[str, str] | None:
        """{remote id: version} of every exported document, cheaply; None if unsupported."""
        ...

    def seconds_for(self, calls: int) -> float: ...
