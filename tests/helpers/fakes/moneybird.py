"""A strict fake Moneybird: every request body is validated against the official OpenAPI
file (``tests/helpers/fakes/specs/moneybird-openapi.yml``, kept in the repository: see the
README next to it) with JSON Schema 2020-12 (OpenAPI 3.1), so
an unknown field, a wrong type or a missing required field gets Moneybird's 422 shape.
It enforces 150 requests per window (5 min, scalable) with Moneybird's headers, where
``RateLimit-Reset`` and ``Retry-After`` are epoch seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from functools import lru_cache
from pathlib import Path

import yaml
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from server.exports.documents import cents_to_str, vat_cents
from server.money import to_cents
from tests.helpers.fakes.serving import (
    FixedWindow,
    PostGate,
    max_calls_in_window,
    refuse_production,
)

SPEC_PATH = Path(__file__).resolve().parent / "specs" / "moneybird-openapi.yml"
SPEC_VERSION = "v2-20260821-37a2205df2"  # its info.version (specs/README.md)
SPEC_URI = "urn:moneybird-openapi"
CONTACT_PATH = "/{administration_id}/contacts/{id}{format}"


def openapi_path() -> Path:
    """The official file, kept in the repository; missing is an error, never a skip."""
    if not SPEC_PATH.is_file():
        raise FileNotFoundError(
            f"the Moneybird OpenAPI file {SPEC_PATH} is missing: it belongs to the repository "
            "(see tests/helpers/fakes/specs/README.md)"
        )
    return SPEC_PATH


@lru_cache(maxsize=2)
def _spec(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _price_cents(price: str) -> int:
    """A ``money`` value as the spec allows it (``^-?[0-9]+[,\\.]?[0-9]*$``: a comma or a
    point), in cents, exactly (a sub-cent price is refused with MoneyError)."""
    return to_cents(price.replace(",", "."))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@lru_cache(maxsize=32)
def request_validator(path: str, api_path: str, method: str) -> Draft202012Validator:
    spec = _spec(path)
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    content = spec["paths"][api_path][method]["requestBody"]["content"]
    media = next(iter(content))
    ref = f"{SPEC_URI}#/" + _pointer(
        "paths", api_path, method, "requestBody", "content", media, "schema"
    )
    return Draft202012Validator({"$ref": ref}, registry=registry)


def _errors(validator: Draft202012Validator, body) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for err in validator.iter_errors(body):
        where = ".".join(str(p) for p in err.absolute_path) or "body"
        errors.setdefault(where, []).append(err.message[:200])
    return errors


class FakeMoneybird:
    def __init__(
        self,
        *,
        spec_path: Path,
        administration_id: str = "123",
        token: str = "mb-test-token",
        limit: int = 150,
        window: float = 300.0,
        tax_rates: dict[str, int] | None = None,
        ledger_accounts: set[str] | None = None,
    ) -> None:
        refuse_production()
        self.spec_path = str(spec_path)
        self.administration_id = administration_id
        self.token = token
        self.rate = FixedWindow(limit, window)
        # 21 %, 9 %, 0 %, then 0 % rates of their own: reverse charge (AE), outside scope
        # (O), exempt (E), intra-community goods (K), export (G), as an administration has.
        self.tax_rates = tax_rates or {
            "1001": 21,
            "1002": 9,
            "1003": 0,
            **{str(tax_id): 0 for tax_id in range(1004, 1009)},
        }
        self.ledger_accounts = ledger_accounts or {"2001", "2002"}
        self.ids = itertools.count(496081458000000001)
        self.lock = threading.Lock()
        self.contacts: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.requests = 0
        self.request_times: list[float] = []  # when each counted call arrived
        self.throttled = 0
        self.posts = {"contacts": 0, "invoices": 0, "payments": 0}
        self.contact_updates = 0  # PATCHes of a contact: not counted as posts
        self.refuse_contact_updates = 0  # fault injection: answer the next N PATCHes 422
        # Fault injection: the next N invoice POSTs are stored, but answered this late.
        self.slow_invoice_posts = 0
        self.slow_seconds = 0.0
        self.invoice_gate = PostGate()  # hold an invoice POST's answer (crash tests)
        self.app = self._build()
        for op in ("contacts{format}", "external_sales_invoices{format}"):
            request_validator(self.spec_path, "/{administration_id}/" + op, "post")
        request_validator(self.spec_path, CONTACT_PATH, "patch")

    # -- helpers ------------------------------------------------------------------------
    def _new_id(self) -> str:
        return str(next(self.ids))

    def invoice_count_by_reference(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for inv in self.invoices.values():
            counts[inv["reference"]] = counts.get(inv["reference"], 0) + 1
        return counts

    def _validate(self, api_path: str, body, method: str = "post") -> JSONResponse | None:
        errors = _errors(request_validator(self.spec_path, api_path, method), body)
        if errors:
            return JSONResponse(
                {"error": errors, "details": {k: [{"error": "invalid"}] for k in errors}},
                status_code=422,
            )
        return None

    def _invoice_json(self, inv: dict) -> dict:
        return {**inv, "payments": list(inv["payments"])}

    # -- app ------------------------------------------------------------------------------
    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self
        prefix = f"/{self.administration_id}"

        @app.middleware("http")
        async def limits(request: Request, call_next):
            if request.url.path == "/_fake/stats":
                return await call_next(request)
            fake.requests += 1
            if request.headers.get("authorization") != f"Bearer {fake.token}":
                return JSONResponse({"error": "Token is invalid", "symbolic": {}}, 401)
            allowed, remaining, reset = fake.rate.hit(time.time())
            headers = {
                "RateLimit-Limit": str(fake.rate.limit),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(int(reset + 0.999)),
            }
            if not allowed:
                fake.throttled += 1
                headers["Retry-After"] = headers["RateLimit-Reset"]
                return JSONResponse(
                    {"error": "Too many requests", "symbolic": {}}, 429, headers=headers
                )
            fake.request_times.append(time.time())
            response = await call_next(request)
            response.headers.update(headers)
            return response

        @app.get("/_fake/stats")
        def stats():  # for the benchmark, which runs the fake in another process
            refs = fake.invoice_count_by_reference()
            return {
                "requests": fake.requests,
                "throttled": fake.throttled,
                "posts": fake.posts,
                "contact_updates": fake.contact_updates,
                "documents": len(refs),
                "duplicates": sum(n - 1 for n in refs.values()),
                "max_calls_per_window": max_calls_in_window(fake.request_times, fake.rate.window),
            }

        @app.get(prefix + "/contacts/customer_id/{customer_id}.json")
        def contact_by_customer_id(customer_id: str):
            for contact in fake.contacts.values():
                if contact["customer_id"] == customer_id:
                    return contact
            return JSONResponse({"error": "record not found", "symbolic": {}}, 404)

        @app.post(prefix + "/contacts.json")
        async def create_contact(request: Request):
            body = await request.json()
            if bad := fake._validate("/{administration_id}/contacts{format}", body):
                return bad
            data = body.get("contact", {})
            if not data.get("company_name") and not (
                data.get("firstname") and data.get("lastname")
            ):
                return JSONResponse({"error": {"company_name": ["can't be blank"]}}, 422)
            with fake.lock:
                contact = {
                    "id": fake._new_id(),
                    "administration_id": fake.administration_id,
                    "customer_id": data.get("customer_id", ""),
                    **data,
                }
                fake.contacts[contact["id"]] = contact
                fake.posts["contacts"] += 1
            return JSONResponse(contact, 201)

        @app.patch(prefix + "/contacts/{contact_id}.json")
        async def update_contact(contact_id: str, request: Request):
            # Only what is given changes; "" removes an optional attribute (OpenAPI file).
            body = await request.json()
            if bad := fake._validate(CONTACT_PATH, body, "patch"):
                return bad
            with fake.lock:
                if fake.refuse_contact_updates > 0:
                    fake.refuse_contact_updates -= 1
                    return JSONResponse({"error": {"tax_number": ["is invalid"]}}, 422)
                contact = fake.contacts.get(contact_id)
                if contact is None:
                    return JSONResponse(
                        {"error": "record not found", "symbolic": {"id": "not_found"}}, 404
                    )
                data = body.get("contact", {})
                merged = {**contact, **data}
                if not merged.get("company_name") and not (
                    merged.get("firstname") and merged.get("lastname")
                ):
                    return JSONResponse({"error": {"company_name": ["can't be blank"]}}, 422)
                contact.update(data)
                fake.contact_updates += 1
                return JSONResponse(dict(contact), 200)

        @app.post(prefix + "/external_sales_invoices.json")
        async def create_invoice(request: Request):
            body = await request.json()
            if bad := fake._validate("/{administration_id}/external_sales_invoices{format}", body):
                return bad
            data = body.get("external_sales_invoice", {})
            if str(data.get("contact_id")) not in fake.contacts:
                return JSONResponse(
                    {
                        "error": "Contact ID is invalid",
                        "symbolic": {"external_sales_invoice": {"contact_id": "contact_invalid"}},
                    },
                    400,
                )
            problems: dict[str, list[str]] = {}
            if not data.get("reference"):
                problems["reference"] = ["can't be blank"]
            details = data.get("details_attributes") or []
            if isinstance(details, dict):
                details = list(details.values())
            for line in details:
                if str(line.get("tax_rate_id")) not in fake.tax_rates:
                    problems.setdefault("details.tax_rate_id", []).append("is not found")
                if str(line.get("ledger_account_id")) not in fake.ledger_accounts:
                    problems.setdefault("details.ledger_account_id", []).append("is not found")
            if problems:
                return JSONResponse(
                    {"error": problems, "details": {k: [{"error": "invalid"}] for k in problems}},
                    422,
                )
            nets: dict[str, int] = {}
            rows = []
            for order, line in enumerate(details):
                cents = _price_cents(line["price"]) * int(str(line.get("amount", "1")))
                nets[str(line["tax_rate_id"])] = nets.get(str(line["tax_rate_id"]), 0) + cents
                rows.append(
                    {
                        "id": fake._new_id(),
                        "description": line.get("description"),
                        "price": cents_to_str(cents),
                        "tax_rate_id": str(line["tax_rate_id"]),
                        "ledger_account_id": str(line["ledger_account_id"]),
                        "row_order": order,
                    }
                )
            tax_totals = [
                {
                    "tax_rate_id": tid,
                    "taxable_amount": cents_to_str(net),
                    "tax_amount": cents_to_str(vat_cents(net, fake.tax_rates[tid])),
                }
                for tid, net in nets.items()
            ]
            with fake.lock:
                inv = {
                    "id": fake._new_id(),
                    "administration_id": fake.administration_id,
                    "contact_id": str(data["contact_id"]),
                    "reference": data["reference"],
                    "date": data.get("date"),
                    "state": "open",
                    "currency": data.get("currency", "EUR"),
                    "version": int(time.time()),
                    "details": rows,
                    "tax_totals": tax_totals,
                    "payments": [],
                }
                fake.invoices[inv["id"]] = inv
                fake.posts["invoices"] += 1
                slow = fake.slow_invoice_posts > 0
                fake.slow_invoice_posts -= int(slow)
            if slow:
                await asyncio.sleep(fake.slow_seconds)
            await fake.invoice_gate.hold()
            return JSONResponse(fake._invoice_json(inv), 201)

        @app.get(prefix + "/external_sales_invoices.json")
        def list_invoices(filter: str = "", page: int = 1, per_page: int = 100):
            terms = dict(t.split(":", 1) for t in filter.split(",") if ":" in t)
            rows = list(fake.invoices.values())
            if "contact_id" in terms:
                rows = [r for r in rows if r["contact_id"] == terms["contact_id"]]
            if ".." in terms.get("period", ""):
                lo, hi = terms["period"].split("..")
                rows = [r for r in rows if lo <= (r["date"] or "").replace("-", "") <= hi]
            start = (page - 1) * per_page
            return [fake._invoice_json(r) for r in rows[start : start + per_page]]

        @app.get(prefix + "/external_sales_invoices/synchronization.json")
        def sync_list(filter: str = ""):
            return [{"id": r["id"], "version": r["version"]} for r in fake.invoices.values()]

        @app.post(prefix + "/external_sales_invoices/synchronization.json")
        async def sync_fetch(request: Request):
            body = await request.json()
            api = "/{administration_id}/external_sales_invoices/synchronization{format}"
            if bad := fake._validate(api, body):
                return bad
            ids = [str(i) for i in body["ids"]][:100]
            return [fake._invoice_json(fake.invoices[i]) for i in ids if i in fake.invoices]

        @app.get(prefix + "/external_sales_invoices/{invoice_id}.json")
        def get_invoice(invoice_id: str):
            if invoice_id not in fake.invoices:
                return JSONResponse({"error": "record not found", "symbolic": {}}, 404)
            return fake._invoice_json(fake.invoices[invoice_id])

        @app.post(prefix + "/external_sales_invoices/{invoice_id}/payments.json")
        async def create_payment(invoice_id: str, request: Request):
            body = await request.json()
            api = (
                "/{administration_id}/external_sales_invoices/"
                "{external_sales_invoice_id}/payments{format}"
            )
            if bad := fake._validate(api, body):
                return bad
            if invoice_id not in fake.invoices:
                return JSONResponse({"error": "record not found", "symbolic": {}}, 404)
            data = body["payment"]
            with fake.lock:
                inv = fake.invoices[invoice_id]
                payment = {
                    "id": fake._new_id(),
                    "invoice_type": "ExternalSalesInvoice",
                    "invoice_id": invoice_id,
                    "payment_date": data["payment_date"],
                    "price": cents_to_str(_price_cents(data["price"])),
                    "transaction_identifier": data.get("transaction_identifier"),
                }
                inv["payments"].append(payment)
                inv["version"] += 1
                fake.posts["payments"] += 1
            return JSONResponse(payment, 201)

        return app
