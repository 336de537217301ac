"""Exact Online REST client for the export (SPEC §6).

Limits: 60 calls per minute and 5,000 per day per app and division, reported on every
answer as ``X-RateLimit-Minutely-{Limit,Remaining,Reset}`` and ``X-RateLimit-{Limit,
Remaining,Reset}``; the resets are epoch *milliseconds*. Exact blocks a key after 10
errors per endpoint per hour, so 4xx answers are never retried (see
``server.exports.targets.http``).
Lists are OData pages of at most 60 rows, continued with ``d.__next``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

import httpx

from server.config import Settings
from server.exports.documents import (
    ExportCustomer,
    ExportDocument,
    ExportPayment,
)
from server.exports.targets.connector import RemoteDocument
from server.exports.targets.exact.tokens import ExactTokenStore
from server.exports.targets.http import (
    ApiClient,
    ErrorCounter,
    Rejected,
    header_number,
    retry_after_epoch,
)
from server.exports.targets.mapping import Mapping
from server.exports.targets.ratelimit import WindowLimiter

ENTRY_FIELDS = "EntryID,EntryNumber,YourRef,Modified,Type"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _money(cents: int) -> int | float:
    # Exact's JSON takes numbers: a whole amount as an integer, as Exact itself writes it;
    # otherwise cents/100, whose shortest repr is exact to 2 decimals.
    return cents // 100 if cents % 100 == 0 else round(cents / 100, 2)


class ExactClient(ApiClient):
    target = "exact"

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        division: str,
        tokens: ExactTokenStore,
        mapping: Mapping,
        sales_journal: str = "70",
        bank_journal: str = "20",
        receivables_gl: str = "",
        per_minute: int = 60,
        per_day: int = 5000,
        minute: float = 60.0,
        day: float = 86400.0,
        errors: ErrorCounter | None = None,
    ) -> None:
        super().__init__(
            http=http,
            base_url=f"{base_url.rstrip('/')}/api/v1/{division}",
            limiters=[WindowLimiter(per_minute, minute), WindowLimiter(per_day, day)],
            errors=errors,
        )
        self.tokens = tokens
        self._token = ""  # the access token of the last call
        self.mapping = mapping
        self.sales_journal = sales_journal
        self.bank_journal = bank_journal
        self.receivables_gl = receivables_gl

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        http: httpx.Client,
        mapping: Mapping,
        tokens: ExactTokenStore,
        errors: ErrorCounter | None = None,
    ) -> ExactClient:
        return cls(
            errors=errors,
            http=http,
            base_url=settings.exact_base_url,
            division=settings.exact_division,
            tokens=tokens,
            mapping=mapping,
            sales_journal=settings.exact_sales_journal,
            bank_journal=settings.exact_bank_journal,
            receivables_gl=settings.exact_receivables_gl_account,
            per_minute=settings.exact_calls_per_minute,
            per_day=settings.exact_calls_per_day,
            minute=settings.exact_minute_seconds,
            day=settings.exact_day_seconds,
        )

    # -- ApiClient hooks --------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        self._token = self.tokens.access_token()
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def _on_unauthorized(self, attempt: int) -> bool:
        if attempt > 1:
            return False
        self.tokens.after_unauthorized(self._token)  # NotAuthorized when no use retrying
        return True

    def _adopt_headers(self, response: httpx.Response) -> None:
        for limiter, prefix in zip(
            self.limiters, ("X-RateLimit-Minutely-", "X-RateLimit-"), strict=True
        ):
            remaining = header_number(response, prefix + "Remaining")
            reset_ms = header_number(response, prefix + "Reset")
            limiter.server_says(
                remaining=None if remaining is None else int(remaining),
                reset_epoch=None if reset_ms is None else reset_ms / 1000,
            )

    def _retry_at(self, response: httpx.Response) -> float:
        now = self.now()
        for prefix in ("X-RateLimit-Minutely-", "X-RateLimit-"):
            if header_number(response, prefix + "Remaining") == 0:
                reset = retry_after_epoch(response.headers.get(prefix + "Reset"), now)
                if reset is not None:
                    return reset
        return retry_after_epoch(response.headers.get("Retry-After"), now) or now + 1.0

    def _error_message(self, response: httpx.Response) -> str:
        try:
            return str(response.json()["error"]["message"]["value"])[:500]
        except (ValueError, KeyError, TypeError):
            return response.text[:500]

    def _rows(self, path: str, params: dict | None) -> Iterator[dict]:
        url: str | None = path
        while url:
            response = self.request("GET", url, params=params)
            data = response.json()["d"]
            rows = data["results"] if isinstance(data, dict) else data
            yield from rows
            url = data.get("__next") if isinstance(data, dict) else None
            params = None  # __next carries the query

    # -- accounts ---------------------------------------------------------------------
    def find_contact(self, customer: ExportCustomer) -> str | None:
        for row in self._rows(
            "/crm/Accounts",
            {"$filter": f"trim(Code) eq {_quote(customer.ref)}", "$select": "ID,Code"},
        ):
            return str(row["ID"])
        return None

    @staticmethod
    def _account_fields(customer: ExportCustomer) -> dict[str, str | None]:
        return {
            "Name": customer.name,
            "Email": customer.email,
            "VATNumber": customer.vat_number,
            "AddressLine1": customer.street,
            "Postcode": customer.zipcode,
            "City": customer.city,
            "Country": customer.country,
            "ChamberOfCommerce": customer.kvk,
        }

    def create_contact(self, customer: ExportCustomer) -> str:
        body = {"Code": customer.ref, "Status": "C"}
        body.update((k, v) for k, v in self._account_fields(customer).items() if v)
        return str(self.request("POST", "/crm/Accounts", json=body).json()["d"]["ID"])

    def update_contact(self, remote_id: str, customer: ExportCustomer) -> None:
        # PUT <entity>(guid'<id>') with the properties to change; Exact answers 204 with no
        # body (picqer/exact-php-client, Persistance/Storable::update). Every field we own is
        # sent, a cleared one as null, so nothing stale stays behind.
        self.request(
            "PUT", f"/crm/Accounts(guid{_quote(remote_id)})", json=self._account_fields(customer)
        )

    # -- sales entries: our number in YourRef ------------------------------------------
    # A credit note is a sales entry with negative amounts: Exact's reference, "In case of
    # a credit invoice the amount should have negative value when retrieved or posted to
    # Exact", and ``Type`` (20 invoice, 21 credit note) is read-only, derived by Exact
    # (docs/exports.md, "Credit notes").
    def create_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument:
        sign = doc.sign()
        body = {
            "Journal": self.sales_journal,
            "Customer": contact_id,
            "YourRef": doc.number,
            "EntryDate": doc.date.isoformat(),
            "Currency": doc.currency,
            "Description": f"{'Creditnota' if sign < 0 else 'Factuur'} {doc.number}",
            # VATAmountFC overrides Exact's own per-line VAT (SalesEntryLine docs: "a VAT
            # amount that differs from the VAT amount that is automatically calculated"):
            # each line's share of its rate's VAT, so the entry's VAT is the invoice's.
            "SalesEntryLines": [
                {
                    "GLAccount": self.mapping.account(line.category),
                    "AmountFC": _money(sign * line.amount_cents),
                    "VATCode": self.mapping.tax(line.vat_rate, line.vat_category),
                    "VATAmountFC": _money(sign * vat),
                    "Description": line.description[:60],
                }
                for line, vat in zip(doc.lines, doc.line_vats(), strict=True)
            ],
        }
        if doc.due_date:
            body["DueDate"] = doc.due_date.isoformat()
        row = self.request("POST", "/salesentry/SalesEntries", json=body).json()["d"]
        return self._remote(row)

    def find_document(self, doc: ExportDocument, contact_id: str) -> RemoteDocument | None:
        query = f"YourRef eq {_quote(doc.number)} and Journal eq {_quote(self.sales_journal)}"
        for row in self._rows(
            "/salesentry/SalesEntries", {"$filter": query, "$select": ENTRY_FIELDS}
        ):
            return self._remote(row)
        return None

    # -- payments, refunds, chargebacks: bank entries (docs/exports.md) ----------------------
    # One BankEntry (financialtransaction/BankEntries: JournalCode + BankEntryLines) per
    # movement, its line on the customer (Account) and the receivables GL account, OurRef =
    # the sales entry's EntryNumber (Exact's "Invoice number", what it matches the open
    # item by), AmountFC positive for money in (a payment, a reversed chargeback) and
    # negative for money out (a refund, a chargeback). Description starts with our id: it is
    # how we find the line again.
    def document_number(self, remote_id: str) -> str | None:
        for row in self._rows(
            "/salesentry/SalesEntries",
            {"$filter": f"EntryID eq guid{_quote(remote_id)}", "$select": "EntryID,EntryNumber"},
        ):
            return str(row["EntryNumber"])
        return None

    @staticmethod
    def _line_description(payment: ExportPayment, doc: ExportDocument) -> str:
        return f"{payment.id} {doc.number}"[:60]  # Description is 60 characters in Exact

    def create_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote: RemoteDocument, contact_id: str
    ) -> str:
        if remote.number is None:
            raise Rejected(
                f"sales entry {remote.id} ({doc.number}) has no EntryNumber to refer to",
                endpoint="/financialtransaction/BankEntries",
            )
        line = {
            "Account": contact_id,
            "GLAccount": self.receivables_gl,
            "OurRef": int(remote.number),
            "AmountFC": _money(payment.signed_cents(doc)),
            "Date": payment.date.isoformat(),
            "Description": self._line_description(payment, doc),
            "Notes": f"RentGuy {payment.kind.value} {payment.id} on {doc.number}",
        }
        body = {
            "JournalCode": self.bank_journal,
            "Currency": doc.currency,
            "BankEntryLines": [line],
        }
        row = self.request("POST", "/financialtransaction/BankEntries", json=body).json()["d"]
        return str(row["EntryID"])

    def find_payment(
        self, payment: ExportPayment, doc: ExportDocument, remote: RemoteDocument, contact_id: str
    ) -> str | None:
        description = _quote(self._line_description(payment, doc))
        for row in self._rows(
            "/financialtransaction/BankEntryLines",
            {"$filter": f"Description eq {description}", "$select": "ID,EntryID"},
        ):
            return str(row["EntryID"])
        return None

    def remote_movements(
        self, remote_docs: dict[str, RemoteDocument], since: datetime
    ) -> dict[str, int]:
        # Modified is the division's local time, ahead of UTC: a UTC bound reads a little
        # more than needed, never less. One page (60 lines) per call.
        bound = (since - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
        held: dict[str, int] = {}
        for row in self._rows(
            "/financialtransaction/BankEntryLines",
            {
                "$filter": f"Modified ge datetime'{bound}'",
                "$select": "ID,Description,AmountFC,OurRef",
            },
        ):
            key = str(row.get("Description") or "").split(" ", 1)[0]
            if key:
                held[key] = held.get(key, 0) + self._cents(row.get("AmountFC"), "BankEntryLine")
        return held

    # -- reconciliation -----------------------------------------------------------------
    def remote_versions(self, since: datetime | None = None) -> dict[str, str]:
        query = f"Journal eq {_quote(self.sales_journal)}"
        if since is not None:
            query += f" and Modified gt datetime'{since.strftime('%Y-%m-%dT%H:%M:%S')}'"
        return {
            str(row["EntryID"]): str(row["Modified"])
            for row in self._rows(
                "/salesentry/SalesEntries", {"$filter": query, "$select": "EntryID,Modified"}
            )
        }

    def fetch_documents(self, remote_ids: Iterable[str]) -> dict[str, RemoteDocument]:
        wanted = set(remote_ids)
        found: dict[str, RemoteDocument] = {}
        if not wanted:
            return found
        for row in self._rows(
            "/salesentry/SalesEntries",
            {
                "$filter": f"Journal eq {_quote(self.sales_journal)}",
                "$expand": "SalesEntryLines",
                "$select": ENTRY_FIELDS + ",SalesEntryLines",
            },
        ):
            if str(row["EntryID"]) in wanted:
                found[str(row["EntryID"])] = self._remote(row)
                if len(found) == len(wanted):
                    break
        return found

    def _remote(self, row: dict) -> RemoteDocument:
        # Amounts come signed as Exact books them (a credit note's are negative).
        totals: dict[int, list[int]] = {}
        lines = row.get("SalesEntryLines") or {}
        for line in lines.get("results", []) if isinstance(lines, dict) else lines:
            rate = self.mapping.rate_of(str(line.get("VATCode")))
            entry = totals.setdefault(rate, [0, 0])
            entry[0] += self._cents(line.get("AmountFC"), "SalesEntryLine.AmountFC")
            entry[1] += self._cents(line.get("VATAmountFC"), "SalesEntryLine.VATAmountFC")
        return RemoteDocument(
            id=str(row["EntryID"]),
            version=str(row.get("Modified")) if row.get("Modified") else None,
            reference=row.get("YourRef"),
            number=str(row["EntryNumber"]) if row.get("EntryNumber") is not None else None,
            totals=totals,
        )
