"""A strict fake of the slice of Mollie's v2 API we use (payments, refunds, chargebacks).

Validates like Mollie: bearer ``test_``/``live_`` key, JSON bodies, required fields,
amounts as ``{"currency": "EUR", "value": "10.00"}`` with a string of exactly two
decimals, idempotency keys (same key + other body → 422; same body → first answer
replayed). Errors use Mollie's problem shape ``{"status", "title", "detail", "field"}``.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.helpers.fakes.server import (
    FakeServer,
    Faults,
    ServedFake,
    fault_middleware,
    refuse_in_production,
)

_VALUE = re.compile(r"^\d{1,10}\.\d{2}$")
_CURRENCIES = {"EUR", "USD", "GBP"}
_METHODS = {"ideal", "creditcard", "bancontact", "paypal", "banktransfer"}
_CANCELABLE_METHODS = {"banktransfer"}
_PAYMENT_FIELDS = {
    "amount",
    "description",
    "redirectUrl",
    "cancelUrl",
    "webhookUrl",
    "metadata",
    "method",
    "locale",
    "sequenceType",
    "customerId",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized Request",
    404: "Not Found",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
HAL = "application/hal+json"
REFUND_STATUSES = {"queued", "pending", "processing", "refunded", "failed", "canceled"}
_REFUND_MOVES = {
    "queued": {"pending", "processing", "refunded", "failed", "canceled"},
    "pending": {"processing", "refunded", "failed", "canceled"},
    "processing": {"refunded", "failed"},
    "refunded": set(),
    "failed": set(),
    "canceled": set(),
}


class MollieFakeError(Exception):
    def __init__(self, status: int, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field


def _problem(status: int, detail: str, field: str | None = None) -> JSONResponse:
    body = {
        "status": status,
        "title": _TITLES.get(status, "Error"),
        "detail": detail,
        "_links": {
            "documentation": {"href": "https://docs.mollie.com/errors", "type": "text/html"}
        },
    }
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, media_type=HAL)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _later(*, minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _cents(value: str) -> int:
    return int(Decimal(value) * 100)


def _value(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _amount(raw, field: str) -> tuple[str, int]:
    if not isinstance(raw, dict) or set(raw) != {"currency", "value"}:
        raise MollieFakeError(422, "The amount must be an object with currency and value", field)
    if raw["currency"] not in _CURRENCIES:
        raise MollieFakeError(
            422, f"The currency '{raw['currency']}' is not supported", f"{field}.currency"
        )
    value = raw["value"]
    if not isinstance(value, str) or not _VALUE.match(value):
        raise MollieFakeError(
            422,
            "The amount contains an invalid value: it must be a string with exactly two decimals",
            f"{field}.value",
        )
    cents = _cents(value)
    if cents < 1:
        raise MollieFakeError(422, "The amount is lower than the minimum", f"{field}.value")
    return raw["currency"], cents


class FakeMollie(ServedFake):
    """``with FakeMollie() as fake:`` → ``fake.url`` for ``RENTGUY_MOLLIE_API_BASE``."""

    def __init__(self, *, api_key: str = "test_fakefakefakefakefakefakefake00") -> None:
        refuse_in_production("FakeMollie")
        self.api_key = api_key
        self.faults = Faults()
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, list[dict]] = {}
        self.chargebacks: dict[str, list[dict]] = {}
        # The status a new refund starts in: Mollie answers ``pending`` (``queued`` while
        # the balance cannot cover it) and pays it out later (``refunded``).
        self.refund_status = "pending"
        self._idem: dict[str, tuple[str, int, dict]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.app = self._build_app()
        self._server = FakeServer(self.app)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):07d}"

    # -- the HTTP API ---------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI()
        app.state.requests = 0
        fault_middleware(app, self.faults, _problem)

        async def call(request: Request, handler, *args) -> JSONResponse:
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return _problem(401, "Missing authentication, or failed to authenticate")
            try:
                data = None
                if request.method == "POST":
                    if not request.headers.get("content-type", "").startswith("application/json"):
                        raise MollieFakeError(400, "Content-Type must be application/json")
                    try:
                        data = json.loads(await request.body() or b"null")
                    except ValueError:
                        raise MollieFakeError(400, "The request body is not valid JSON") from None
                    if not isinstance(data, dict):
                        raise MollieFakeError(422, "The request body must be a JSON object")
                    key = request.headers.get("idempotency-key")
                    if key:
                        return self._idempotent(key, request.url.path, data, handler, *args)
                with self._lock:
                    status, body = handler(data, *args)
                return JSONResponse(body, status_code=status, media_type=HAL)
            except MollieFakeError as exc:
                return _problem(exc.status, exc.detail, exc.field)

        @app.post("/v2/payments")
        async def create_payment(request: Request):
            return await call(request, self._create_payment)

        @app.get("/v2/payments/{payment_id}")
        async def get_payment(request: Request, payment_id: str):
            return await call(request, self._get_payment, payment_id)

        @app.delete("/v2/payments/{payment_id}")
        async def cancel_payment(request: Request, payment_id: str):
            return await call(request, self._cancel_payment, payment_id)

        @app.post("/v2/payments/{payment_id}/refunds")
        async def create_refund(request: Request, payment_id: str):
            return await call(request, self._create_refund, payment_id)

        @app.get("/v2/payments/{payment_id}/refunds")
        async def list_refunds(request: Request, payment_id: str):
            return await call(request, self._list, payment_id, "refunds")

        @app.get("/v2/payments/{payment_id}/chargebacks")
        async def list_chargebacks(request: Request, payment_id: str):
            return await call(request, self._list, payment_id, "chargebacks")

        @app.api_route("/{path:path}", methods=["GET", "POST", "DELETE", "PATCH"])
        async def unknown(path: str):
            return _problem(404, f"The resource /{path} does not exist")

        return app

    def _idempotent(self, key: str, path: str, data: dict, handler, *args) -> JSONResponse:
        digest = hashlib.sha256(json.dumps([path, data], sort_keys=True).encode()).hexdigest()
        with self._lock:
            seen = self._idem.get(key)
            if seen is not None:
                if seen[0] != digest:
                    raise MollieFakeError(
                        422, "The idempotency key was already used with a different request body"
                    )
                return JSONResponse(
                    seen[2],
                    status_code=seen[1],
                    media_type=HAL,
                    headers={"Idempotent-Replayed": "true"},
                )
            status, body = handler(data, *args)
            self._idem[key] = (digest, status, body)
            return JSONResponse(body, status_code=status, media_type=HAL)

    def _payment_or_404(self, payment_id: str) -> dict:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise MollieFakeError(404, f"No payment exists with token {payment_id}.")
        return payment

    def _create_payment(self, data: dict) -> tuple[int, dict]:
        unknown = set(data) - _PAYMENT_FIELDS
        if unknown:
            raise MollieFakeError(422, f"Unknown field {sorted(unknown)[0]}", sorted(unknown)[0])
        for field in ("amount", "description", "redirectUrl"):
            if field not in data or data[field] in (None, ""):
                raise MollieFakeError(422, f"The {field} field is required", field)
        currency, cents = _amount(data["amount"], "amount")
        method = data.get("method")
        if method is not None and method not in _METHODS:
            raise MollieFakeError(422, f"The payment method '{method}' is invalid", "method")
        if method == "ideal" and currency != "EUR":
            raise MollieFakeError(422, "iDEAL only supports EUR", "amount.currency")
        if not str(data["redirectUrl"]).startswith(("http://", "https://")):
            raise MollieFakeError(422, "The redirect URL is invalid", "redirectUrl")
        payment_id = self._id("tr")
        payment = {
            "resource": "payment",
            "id": payment_id,
            "mode": "test",
            "createdAt": _now(),
            "status": "open",
            # Only some methods can be canceled while open (bank transfer); iDEAL and cards
            # cannot, they expire (iDEAL after 15 minutes).
            "isCancelable": method in _CANCELABLE_METHODS,
            "expiresAt": _later(minutes=15),
            "amount": {"currency": currency, "value": _value(cents)},
            "description": data["description"],
            "method": method,
            "metadata": data.get("metadata"),
            "redirectUrl": data["redirectUrl"],
            "webhookUrl": data.get("webhookUrl"),
            "profileId": "pfl_fake",
            "sequenceType": "oneoff",
            "_links": {
                "self": {"href": f"{self.url}/v2/payments/{payment_id}", "type": HAL},
                "checkout": {
                    "href": f"https://www.mollie.com/checkout/{payment_id}",
                    "type": "text/html",
                },
            },
        }
        self.payments[payment_id] = payment
        return 201, copy.deepcopy(payment)

    def _get_payment(self, _data, payment_id: str) -> tuple[int, dict]:
        return 200, copy.deepcopy(self._payment_or_404(payment_id))

    def _cancel_payment(self, _data, payment_id: str) -> tuple[int, dict]:
        payment = self._payment_or_404(payment_id)
        if not payment.get("isCancelable"):
            raise MollieFakeError(422, "The payment cannot be canceled")
        payment["status"] = "canceled"
        payment["canceledAt"] = _now()
        payment.pop("isCancelable", None)  # omitted once final
        payment.pop("expiresAt", None)
        return 200, copy.deepcopy(payment)

    def _create_refund(self, data: dict, payment_id: str) -> tuple[int, dict]:
        payment = self._payment_or_404(payment_id)
        unknown = set(data) - {"amount", "description", "metadata"}
        if unknown:
            raise MollieFakeError(422, f"Unknown field {sorted(unknown)[0]}", sorted(unknown)[0])
        if "amount" not in data:
            raise MollieFakeError(422, "The amount field is required", "amount")
        currency, cents = _amount(data["amount"], "amount")
        if currency != payment["amount"]["currency"]:
            raise MollieFakeError(422, "The currency must match the payment's", "amount.currency")
        return 201, copy.deepcopy(self.refund(payment_id, cents, raw=True))

    def _list(self, _data, payment_id: str, kind: str) -> tuple[int, dict]:
        self._payment_or_404(payment_id)
        items = copy.deepcopy(
            (self.refunds if kind == "refunds" else self.chargebacks).get(payment_id, [])
        )
        return 200, {
            "count": len(items),
            "_embedded": {kind: items},
            "_links": {
                "self": {"href": f"{self.url}/v2/payments/{payment_id}/{kind}", "type": HAL},
                "previous": None,
                "next": None,
            },
        }

    # -- test controls ----------------------------------------------------------------
    def _refresh_amounts(self, payment: dict) -> None:
        pid, cur = payment["id"], payment["amount"]["currency"]
        total = _cents(payment["amount"]["value"])
        refunded = sum(
            _cents(r["amount"]["value"])
            for r in self.refunds.get(pid, [])
            if r["status"] not in ("failed", "canceled")
        )
        payment["amountRefunded"] = {"currency": cur, "value": _value(refunded)}
        payment["amountRemaining"] = {"currency": cur, "value": _value(total - refunded)}
        if self.refunds.get(pid):
            payment["_links"]["refunds"] = {
                "href": f"{self.url}/v2/payments/{pid}/refunds",
                "type": HAL,
            }
        chargebacks = self.chargebacks.get(pid, [])
        if chargebacks:
            standing = sum(_cents(c["amount"]["value"]) for c in chargebacks if not c["reversedAt"])
            payment["amountChargedBack"] = {"currency": cur, "value": _value(standing)}
            payment["_links"]["chargebacks"] = {
                "href": f"{self.url}/v2/payments/{pid}/chargebacks",
                "type": HAL,
            }

    def set_status(self, payment_id: str, status: str) -> str:
        """Move a payment to ``status``; returns the webhook body Mollie would POST."""
        with self._lock:
            payment = self._payment_or_404(payment_id)
            payment["status"] = status
            if status != "open":  # both are omitted once the payment leaves open
                payment.pop("isCancelable", None)
                payment.pop("expiresAt", None)
            if status == "paid":
                payment["paidAt"] = _now()
                self._refresh_amounts(payment)
            return self.webhook_body(payment_id)

    def refund(self, payment_id: str, cents: int, *, raw: bool = False, status: str | None = None):
        """A refund (API or dashboard): the refund object if ``raw``, else the webhook body.
        It starts in ``status`` (default ``self.refund_status``)."""
        status = status or self.refund_status
        if status not in ("queued", "pending"):
            raise ValueError(f"a Mollie refund cannot start as {status!r}")
        with self._lock:
            payment = self._payment_or_404(payment_id)
            if payment["status"] != "paid":
                raise MollieFakeError(422, "The payment is not refundable")
            remaining = _cents(payment.get("amountRemaining", {}).get("value", "0.00"))
            if cents > remaining:
                raise MollieFakeError(
                    422, "The amount is higher than the remaining amount", "amount.value"
                )
            refund = {
                "resource": "refund",
                "id": self._id("re"),
                "paymentId": payment_id,
                "amount": {"currency": payment["amount"]["currency"], "value": _value(cents)},
                "status": status,
                "createdAt": _now(),
                "description": "",
            }
            self.refunds.setdefault(payment_id, []).append(refund)
            self._refresh_amounts(payment)
            return refund if raw else self.webhook_body(payment_id)

    def set_refund_status(self, payment_id: str, refund_id: str, status: str) -> bytes:
        """Move one refund on as Mollie does (``_REFUND_MOVES``: only a queued or pending
        refund can be canceled); returns the webhook body Mollie would POST."""
        with self._lock:
            payment = self._payment_or_404(payment_id)
            refund = next(
                (r for r in self.refunds.get(payment_id, []) if r["id"] == refund_id), None
            )
            if refund is None:
                raise MollieFakeError(404, f"No refund exists with token {refund_id}.")
            if status not in _REFUND_MOVES[refund["status"]]:
                raise ValueError(f"a {refund['status']} refund cannot become {status!r}")
            refund["status"] = status
            self._refresh_amounts(payment)
            return self.webhook_body(payment_id)

    def settle_refunds(self, payment_id: str) -> bytes:
        """Mollie has paid every pending refund of the payment out (status ``refunded``)."""
        with self._lock:
            for refund in self.refunds.get(payment_id, []):
                if refund["status"] in ("queued", "pending", "processing"):
                    refund["status"] = "refunded"
            return self.webhook_body(payment_id)

    def chargeback(self, payment_id: str, cents: int | None = None) -> bytes:
        with self._lock:
            payment = self._payment_or_404(payment_id)
            cents = _cents(payment["amount"]["value"]) if cents is None else cents
            self.chargebacks.setdefault(payment_id, []).append(
                {
                    "resource": "chargeback",
                    "id": self._id("chb"),
                    "paymentId": payment_id,
                    "amount": {"currency": payment["amount"]["currency"], "value": _value(cents)},
                    "createdAt": _now(),
                    "reversedAt": None,
                }
            )
            self._refresh_amounts(payment)
            return self.webhook_body(payment_id)

    def reverse_chargeback(self, payment_id: str) -> bytes:
        with self._lock:
            for chargeback in self.chargebacks[payment_id]:
                chargeback["reversedAt"] = chargeback["reversedAt"] or _now()
            self._refresh_amounts(self._payment_or_404(payment_id))
            return self.webhook_body(payment_id)

    @staticmethod
    def webhook_body(payment_id: str) -> bytes:
        return f"id={payment_id}".encode()
