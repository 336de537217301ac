"""Moneybird API v2 client for the export (SPEC §6).

Rate limit: 150 requests per 5 minutes per key. Every answer carries ``RateLimit-Limit``,
``RateLimit-Remaining`` and ``RateLimit-Reset``; a 429 carries ``Retry-After``. Both
``RateLimit-Reset`` and ``Retry-After`` are epoch times in seconds, not durations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import httpx

from server.config import Settings
from server.exports.documents import (
    ExportCustomer,
    ExportDocument,
    ExportPayment,
    cents_to_str,
)
from server.exports.targets.connector import RemoteDocument
from server.exports.targets.http import ApiClient, Rejected, header_number, retry_after_epoch
from server.exports.targets.mapping import Mapping
from server.exports.targets.ratelimit import WindowLimiter

SOURCE = "RentGuy"


class MoneybirdClient(ApiClient):
    target = "moneybird"

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        administration_id: str,
        token: str,
        mapping: Mapping,
        limit: int = 150,
        window: float = 300.0,
    ) -> None:
        super().__init__(http=http, base_url=base_url, limiters=[WindowLimiter(limit, window)])
        self.administration_id = administration_id
        self.token = token
        self.mapping = mapping

    @classmethod
    def from_settings(cls, settings: Settings, *, http: httpx.Client, mapping: Mapping):
        return cls(
            http=http,
            base_url=settings.moneybird_base_url,
            administration_id=settings.moneybird_administration_id,
            token=settings.moneybird_token.get_secret_value(),
            mapping=mapping,
            limit=settings.moneybird_requests_per_window,
            window=settings.moneybird_window_seconds,
        )

    # -- ApiClient hooks --------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _adopt_headers(self, response: httpx.Response) -> None:
        self.limiters[0].server_says(
            remaining=_int(header_number(response, "RateLimit-Remaining")),
            reset_epoch=retry_after_epoch(response.headers.get("RateLimit-Reset"), self.now()),
        )

    def _retry_at(self, response: httpx.Response) -> float:
        # Documented as epoch seconds; seconds-to-wait and an HTTP-date are read too.
        now = self.now()
        for header in ("Retry-After", "RateLimit-Reset"):
            if (epoch := retry_after_epoch(response.headers.get(header), now)) is not None:
                return epoch
        return now + 1.0

    def _error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return response.text[:500]
        return str(body.get("error", body))[:500]

    def _path(self, suffix: str) -> str:
        return f"/{self.administration_id}/{suffix}"

    # -- contacts ---------------------------------------------------------------------
    def find_contact(self, customer: ExportCustomer) -> str | None:
        try:
            response = self.request("GET", self._path(f"contacts/customer_id/{customer.ref}.json"))
        except Rejected as exc:
            if exc.status == 404:
                return None
            raise
        return str(response.json()["id"])

    @staticmethod
    def _contact_fields(customer: ExportCustomer) -> dict[str, str | None]:
        return {
            "company_name": customer.name,
            "country": customer.country,
            "send_invoices_to_email": customer.email,
            "tax_number": customer.vat_number,
            "address1": customer.street,
            "zipcode": customer.zipcode,
            "city": customer.city,
            "chamber_of_commerce": customer.kvk,
        }

    def create_contact(self, customer: ExportCustomer) -> str:
        contact = {"customer_id": customer.ref}
        contact.update((k, v) for k, v in self._contact_fields(customer).items() if v)
        response = self.request("POST", self._path("contacts.json"), json={"contact": contact})
        return str(response.json()["id"])

    def update_contact(self, remote_id: str, customer: ExportCustomer) -> None:
        # PATCH changes only what it is given; "Optional attributes can be removed by
        # setting them to an empty string value" (OpenAPI file, patch_administration_id_
        # contacts_id). Every field we own is sent, a cleared one as "".
        contact = {k: v or "" for k, v in self._contact_fields(customer).items()}
        self.request("PATCH", self._path(f"contacts/{remote_id}.json"), json={"contact": contact})

    # -- external sales invoices (credit notes: negative prices) ----------------------
    def _invoice_body(self, doc: ExportDocument, contact_id: str) -> dict:
        sign = doc.sign()
        body: dict[str, object] = {
            "contact_id": contact_id,
            "reference": doc.number,
            "date": doc.date.isoformat(),
            "currency": doc.currency,
            "prices_are_incl_tax": False,
            "source": SOURCE,
            "details_attributes": [
                {
                    "description": line.description,
                    "price": cents_to_str(sign * line.amount_cents),
                    "amount": "1",
                    "tax_rate_id": self.mapping.tax(line.vat_rate, line.vat_category),
                    "ledger_account_id": self.mapping.account(line.category),
                    "row_order": index,
                }
                for index, line in enumerate(doc.lines)
            ],
        }
        if doc.due_date:
            body["due_date"] = doc.due_date.isoformat()
        return {"external_sales_invoice": body}

    def create_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument:
        response = self.request(
            "POST",
            self._path("external_sales_invoices.json"),
            json=self._invoice_body(doc, contact_id),
        )
        return self._remote(response.json())

    def find_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument | None:
        # No filter on reference exists: list the contact's invoices on that date (one
        # page in practice) and match the reference ourselves.
        day = doc.date.strftime("%Y%m%d")
        page = 1
        while True:
            response = self.request(
                "GET",
                self._path("external_sales_invoices.json"),
                params={
                    "filter": f"contact_id:{contact_id},period:{day}..{day},state:all",
                    "per_page": 100,
                    "page": page,
                },
            )
            items = response.json()
            for item in items:
                if item.get("reference") == doc.number:
                    return self._remote(item)
            if len(items) < 100:
                return None
            page += 1

    # -- payments, refunds, chargebacks ------------------------------------------------
    # All are payments on the external sales invoice: the API has no refund endpoint for
    # it, and its ``price`` is ``money`` (``^-?[0-9]+...``): a refund or chargeback is a
    # negative payment that opens the invoice again, a reversal a positive one. Our id is
    # the ``transaction_identifier`` we find it by.
    def document_number(self, remote_id: str) -> str | None:
        return None  # payments go to the invoice's own URL

    def create_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote: RemoteDocument, contact_id: str
    ) -> str:
        body = {
            "payment": {
                "payment_date": payment.date.isoformat(),
                "price": cents_to_str(payment.signed_cents(doc)),
                "transaction_identifier": payment.id,
                "manual_payment_action": "payment_without_proof",
            }
        }
        response = self.request(
            "POST",
            self._path(f"external_sales_invoices/{remote.id}/payments.json"),
            json=body,
        )
        return str(response.json()["id"])

    def find_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote: RemoteDocument, contact_id: str
    ) -> str | None:
        response = self.request("GET", self._path(f"external_sales_invoices/{remote.id}.json"))
        for item in response.json().get("payments") or []:
            if item.get("transaction_identifier") == payment.id:
                return str(item["id"])
        return None

    def remote_movements(
        self, remote_docs: dict[str, RemoteDocument], since: datetime
    ) -> dict[str, int]:
        # The invoices just re-read carry their payments: no call of its own.
        return {ref: cents for doc in remote_docs.values() for ref, cents in doc.payments.items()}

    # -- reconciliation -----------------------------------------------------------------
    def remote_versions(self, since: datetime | None = None) -> dict[str, str]:
        response = self.request(
            "GET",
            self._path("external_sales_invoices/synchronization.json"),
            params={"filter": "period:20000101..29991231,state:all"},
        )
        return {str(item["id"]): str(item["version"]) for item in response.json()}

    def fetch_documents(self, remote_ids: Iterable[str]) -> dict[str, RemoteDocument]:
        ids = list(remote_ids)
        found: dict[str, RemoteDocument] = {}
        for start in range(0, len(ids), 100):  # the API returns at most 100 per call
            response = self.request(
                "POST",
                self._path("external_sales_invoices/synchronization.json"),
                json={"ids": ids[start : start + 100]},
            )
            for item in response.json():
                remote = self._remote(item)
                found[remote.id] = remote
        return found

    def _remote(self, item: dict) -> RemoteDocument:
        totals: dict[int, list[int]] = {}
        for tax in item.get("tax_totals") or []:
            rate = self.mapping.rate_of(str(tax.get("tax_rate_id")))
            row = totals.setdefault(rate, [0, 0])
            row[0] += self._cents(tax.get("taxable_amount"), "tax_totals.taxable_amount")
            row[1] += self._cents(tax.get("tax_amount"), "tax_totals.tax_amount")
        return RemoteDocument(
            id=str(item["id"]),
            version=str(item.get("version")) if item.get("version") is not None else None,
            reference=item.get("reference"),
            totals=totals,
            payments={
                p["transaction_identifier"]: self._cents(p.get("price"), "payments.price")
                for p in item.get("payments") or []
                if p.get("transaction_identifier")
            },
        )


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
