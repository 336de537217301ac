"""A strict fake of the slice of Stripe's API we use, plus signed webhook events.

Validates like Stripe: bearer secret key, form-encoded bodies, required and unknown
parameters, integer amounts, idempotency keys (same key + other parameters → 400
``idempotency_error``; same key + same parameters → the first answer replayed). Test
controls move a PaymentIntent through its life and return the event Stripe would send.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

import stripe
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.helpers.fakes.server import (
    FakeServer,
    Faults,
    ServedFake,
    fault_middleware,
    refuse_in_production,
)

_CURRENCIES = {"eur", "usd", "gbp"}
_PI_CREATE = {
    "amount",
    "currency",
    "description",
    "metadata",
    "payment_method_types",
    "automatic_payment_methods",
    "customer",
    "receipt_email",
    "confirm",
}
_REFUND_CREATE = {"payment_intent", "charge", "amount", "reason", "metadata"}
_LIST_PARAMS = {"limit", "starting_after", "ending_before", "expand", "payment_intent"}
_CANCEL_REASONS = {"duplicate", "fraudulent", "requested_by_customer", "abandoned"}
# What this fake can expand on a PaymentIntent (Stripe can expand more; asking the fake for
# those is refused rather than answered unexpanded).
_PI_EXPANDABLE = {"latest_charge", "latest_charge.refunds"}
# Refund statuses, the ones a refund can start in, and the moves Stripe makes between them
# (a succeeded refund can still fail later, when the bank returns it).
REFUND_STATUSES = {"pending", "requires_action", "succeeded", "failed", "canceled"}
_REFUND_START = {"pending", "requires_action", "succeeded"}
_REFUND_MOVES = {
    "pending": {"succeeded", "failed", "canceled", "requires_action"},
    "requires_action": {"pending", "succeeded", "failed", "canceled"},
    "succeeded": {"failed"},
    "failed": set(),
    "canceled": set(),
}


class StripeFakeError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = (
            status,
            message,
            type_,
            param,
            code,
        )


def _error(status: int, message: str, type_: str = "api_error", **extra) -> JSONResponse:
    return JSONResponse({"error": {"type": type_, "message": message, **extra}}, status_code=status)


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracket encoding (``metadata[k]=v``, ``expand[0]=x``) to nested values."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        if not parts or not re.fullmatch(r"[^\[\]]+(\[[^\[\]]*\])*", key):
            raise StripeFakeError(400, f"Invalid parameter name: {key}")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise StripeFakeError(400, f"Invalid parameter: {key}")
        node[parts[-1]] = value
    return {k: _listify(v) for k, v in root.items()}


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        if value and all(k.isdigit() for k in value):
            return [_listify(value[k]) for k in sorted(value, key=int)]
        return {k: _listify(v) for k, v in value.items()}
    return value


def _int(params: dict, name: str, *, required: bool) -> int | None:
    if name not in params:
        if required:
            raise StripeFakeError(
                400, f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
        return None
    raw = params[name]
    if not isinstance(raw, str) or not raw.isdigit():
        raise StripeFakeError(400, f"Invalid integer: {raw}", param=name)
    return int(raw)


class FakeStripe(ServedFake):
    """``with FakeStripe() as fake:`` → ``fake.url`` for ``RENTGUY_STRIPE_API_BASE``."""

    def __init__(
        self,
        *,
        api_key: str = "sk_test_fake_0123456789",
        webhook_secret: str = "whsec_fake_0123456789",
    ) -> None:
        refuse_in_production("FakeStripe")
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.faults = Faults()
        self.payment_intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.disputes: dict[str, dict] = {}
        self.events: list[dict] = []
        # The status a new refund starts in (Stripe: succeeded for most cards, pending for
        # bank-based methods and some cards; requires_action when the customer must act).
        self.refund_status = "succeeded"
        self._idem: dict[str, tuple[str, int, dict]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.app = self._build_app()
        self._server = FakeServer(self.app)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):08d}"

    # -- the HTTP API ---------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI()
        app.state.requests = 0
        fault_middleware(app, self.faults, _error)

        def call(request: Request, body: bytes, handler, *args) -> JSONResponse:
            auth = request.headers.get("authorization", "")
            if auth != f"Bearer {self.api_key}":
                return _error(401, "Invalid API Key provided", "invalid_request_error")
            try:
                if request.method == "POST":
                    ctype = request.headers.get("content-type", "")
                    if not ctype.startswith("application/x-www-form-urlencoded"):
                        raise StripeFakeError(400, "Content-Type must be form-urlencoded")
                    params = parse_form(parse_qsl(body.decode(), keep_blank_values=True))
                else:
                    params = parse_form(parse_qsl(request.url.query, keep_blank_values=True))
                key = request.headers.get("idempotency-key")
                if request.method == "POST" and key:
                    return self._idempotent(key, request.url.path, params, handler, *args)
                with self._lock:
                    return JSONResponse(handler(params, *args))
            except StripeFakeError as exc:
                extra = {k: v for k, v in (("param", exc.param), ("code", exc.code)) if v}
                return _error(exc.status, exc.message, exc.type, **extra)

        @app.post("/v1/payment_intents")
        async def create_pi(request: Request):
            return call(request, await request.body(), self._create_pi)

        @app.get("/v1/payment_intents/{pi_id}")
        async def get_pi(request: Request, pi_id: str):
            return call(request, b"", self._get_pi, pi_id)

        @app.post("/v1/payment_intents/{pi_id}/cancel")
        async def cancel_pi(request: Request, pi_id: str):
            return call(request, await request.body(), self._cancel_pi, pi_id)

        @app.post("/v1/refunds")
        async def create_refund(request: Request):
            return call(request, await request.body(), self._create_refund)

        @app.get("/v1/refunds")
        async def list_refunds(request: Request):
            return call(request, b"", self._list, self.refunds, "/v1/refunds")

        @app.get("/v1/disputes")
        async def list_disputes(request: Request):
            return call(request, b"", self._list, self.disputes, "/v1/disputes")

        @app.api_route("/{path:path}", methods=["GET", "POST", "DELETE"])
        async def unknown(path: str):
            return _error(404, f"Unrecognized request URL (/{path}).", "invalid_request_error")

        return app

    def _idempotent(self, key: str, path: str, params: dict, handler, *args) -> JSONResponse:
        digest = hashlib.sha256(json.dumps([path, params], sort_keys=True).encode()).hexdigest()
        with self._lock:
            seen = self._idem.get(key)
            if seen is not None:
                if seen[0] != digest:
                    raise StripeFakeError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        "idempotency_error",
                    )
                return JSONResponse(
                    seen[2], status_code=seen[1], headers={"Idempotent-Replayed": "true"}
                )
            try:
                answer, status = handler(params, *args), 200
            except StripeFakeError as exc:  # replayed as first answered, code and all
                extra = {k: v for k, v in (("param", exc.param), ("code", exc.code)) if v}
                answer = {"error": {"type": exc.type, "message": exc.message, **extra}}
                status = exc.status
            self._idem[key] = (digest, status, answer)
            return JSONResponse(answer, status_code=status)

    def _create_pi(self, params: dict) -> dict:
        unknown = set(params) - _PI_CREATE
        if unknown:
            raise StripeFakeError(400, f"Received unknown parameter: {sorted(unknown)[0]}")
        amount = _int(params, "amount", required=True)
        currency = params.get("currency")
        if not currency:
            raise StripeFakeError(
                400, "Missing required param: currency.", param="currency", code="parameter_missing"
            )
        if currency not in _CURRENCIES:
            raise StripeFakeError(400, f"Invalid currency: {currency}.", param="currency")
        if amount < 50:
            raise StripeFakeError(
                400, "Amount must be at least €0.50 eur", param="amount", code="amount_too_small"
            )
        metadata = params.get("metadata", {})
        if not isinstance(metadata, dict):
            raise StripeFakeError(400, "Invalid object", param="metadata")
        pi_id = self._id("pi")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": currency,
            "status": "requires_payment_method",
            "metadata": metadata,
            "description": params.get("description"),
            "latest_charge": None,
            "last_payment_error": None,
            "created": int(time.time()),
            "livemode": False,
            "client_secret": f"{pi_id}_secret_fake",
            "payment_method_types": params.get("payment_method_types") or ["card"],
        }
        self.payment_intents[pi_id] = pi
        return copy.deepcopy(pi)

    def _pi_or_404(self, pi_id: str) -> dict:
        pi = self.payment_intents.get(pi_id)
        if pi is None:
            raise StripeFakeError(
                404, f"No such payment_intent: '{pi_id}'", param="intent", code="resource_missing"
            )
        return pi

    def _get_pi(self, params: dict, pi_id: str) -> dict:
        unknown = set(params) - {"expand", "client_secret"}
        if unknown:
            raise StripeFakeError(400, f"Received unknown parameter: {sorted(unknown)[0]}")
        expand = params.get("expand") or []
        if not isinstance(expand, list):
            raise StripeFakeError(400, "Invalid array", param="expand")
        for path in expand:
            if path not in _PI_EXPANDABLE:
                raise StripeFakeError(
                    400, f"This property cannot be expanded ({path}).", param="expand"
                )
        pi = copy.deepcopy(self._pi_or_404(pi_id))
        if pi["latest_charge"] and expand:
            charge = copy.deepcopy(self.charges[pi["latest_charge"]])
            if "latest_charge.refunds" in expand:
                # Since API 2022-11-15 a charge carries its refunds only when expanded.
                mine = [r for r in self.refunds.values() if r["charge"] == charge["id"]]
                mine.sort(key=lambda r: r["created"], reverse=True)
                charge["refunds"] = {
                    "object": "list",
                    "data": copy.deepcopy(mine[:10]),
                    "has_more": len(mine) > 10,
                    "url": f"/v1/charges/{charge['id']}/refunds",
                }
            pi["latest_charge"] = charge
        return pi

    def _cancel_pi(self, params: dict, pi_id: str) -> dict:
        unknown = set(params) - {"cancellation_reason"}
        if unknown:
            raise StripeFakeError(400, f"Received unknown parameter: {sorted(unknown)[0]}")
        reason = params.get("cancellation_reason")
        if reason is not None and reason not in _CANCEL_REASONS:
            raise StripeFakeError(400, f"Invalid cancellation_reason: {reason}")
        pi = self._pi_or_404(pi_id)
        if pi["status"] in ("succeeded", "canceled"):
            raise StripeFakeError(
                400,
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be canceled: requires_payment_method, requires_capture, "
                "requires_confirmation, requires_action, processing.",
                code="payment_intent_unexpected_state",
            )
        pi.update(
            status="canceled",
            canceled_at=int(time.time()),
            cancellation_reason=reason or "requested_by_customer",
        )
        return copy.deepcopy(pi)

    def _create_refund(self, params: dict) -> dict:
        unknown = set(params) - _REFUND_CREATE
        if unknown:
            raise StripeFakeError(400, f"Received unknown parameter: {sorted(unknown)[0]}")
        if "payment_intent" not in params and "charge" not in params:
            raise StripeFakeError(
                400,
                "One of the following params should be provided for "
                "this request: payment_intent or charge.",
            )
        pi = self._pi_or_404(params["payment_intent"])
        amount = _int(params, "amount", required=False)
        refund = self.refund(pi["id"], amount, emit=False)
        return copy.deepcopy(refund)

    def _list(self, params: dict, store: dict, url: str) -> dict:
        unknown = set(params) - _LIST_PARAMS
        if unknown:
            raise StripeFakeError(400, f"Received unknown parameter: {sorted(unknown)[0]}")
        limit = _int(params, "limit", required=False) or 10
        if not 1 <= limit <= 100:
            raise StripeFakeError(400, "Invalid limit: must be between 1 and 100", param="limit")
        items = [
            o for o in store.values() if params.get("payment_intent") in (None, o["payment_intent"])
        ]
        items.sort(key=lambda o: o["created"], reverse=True)
        return {
            "object": "list",
            "data": copy.deepcopy(items[:limit]),
            "has_more": len(items) > limit,
            "url": url,
        }

    # -- test controls: each changes state like Stripe and returns the event it sends ----
    def event(self, type_: str, obj: dict) -> dict:
        with self._lock:
            event = {
                "id": self._id("evt"),
                "object": "event",
                "type": type_,
                "created": int(time.time()),
                "api_version": "2025-01-27.acacia",
                "livemode": False,
                "pending_webhooks": 1,
                "data": {"object": copy.deepcopy(obj)},
            }
            self.events.append(event)
            return event

    def succeed(self, pi_id: str) -> dict:
        with self._lock:
            pi = self._pi_or_404(pi_id)
            if pi["status"] == "succeeded":
                raise ValueError("already succeeded")
            charge_id = self._id("ch")
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": pi["amount"],
                "amount_refunded": 0,
                "refunded": False,
                "disputed": False,
                "currency": pi["currency"],
                "payment_intent": pi_id,
                "status": "succeeded",
                "created": int(time.time()),
            }
            pi.update(status="succeeded", latest_charge=charge_id, last_payment_error=None)
            return self.event("payment_intent.succeeded", pi)

    def processing(self, pi_id: str) -> dict:
        with self._lock:
            pi = self._pi_or_404(pi_id)
            pi.update(status="processing")
            return self.event("payment_intent.processing", pi)

    def fail(self, pi_id: str) -> dict:
        with self._lock:
            pi = self._pi_or_404(pi_id)
            pi.update(
                status="requires_payment_method",
                last_payment_error={"code": "card_declined", "type": "card_error"},
            )
            return self.event("payment_intent.payment_failed", pi)

    def cancel(self, pi_id: str) -> dict:
        with self._lock:
            pi = self._pi_or_404(pi_id)
            pi.update(status="canceled")
            return self.event("payment_intent.canceled", pi)

    def refund(
        self,
        pi_id: str,
        amount: int | None = None,
        *,
        emit: bool = True,
        status: str | None = None,
    ):
        """A refund (from the API, or from the dashboard when ``emit``): the event, or it.
        It starts in ``status`` (default ``self.refund_status``); Stripe counts a pending
        one in the charge's ``amount_refunded`` already."""
        status = status or self.refund_status
        if status not in _REFUND_START:
            raise ValueError(f"a Stripe refund cannot start as {status!r}")
        with self._lock:
            pi = self._pi_or_404(pi_id)
            charge = self.charges.get(pi["latest_charge"] or "")
            if pi["status"] != "succeeded" or charge is None:
                raise StripeFakeError(
                    400,
                    "This PaymentIntent does not have a successful charge to refund.",
                    code="charge_not_refundable",
                )
            remaining = charge["amount"] - charge["amount_refunded"]
            amount = remaining if amount is None else amount
            if amount <= 0 or amount > remaining:
                raise StripeFakeError(
                    400,
                    f"Refund amount ({amount}) is greater than unrefunded "
                    f"amount on charge ({remaining})",
                    param="amount",
                    code="amount_too_large",
                )
            refund_id = self._id("re")
            refund = {
                "id": refund_id,
                "object": "refund",
                "amount": amount,
                "currency": pi["currency"],
                "charge": charge["id"],
                "payment_intent": pi_id,
                "status": status,
                "created": int(time.time()) * 1000 + next(self._ids),
            }
            self.refunds[refund_id] = refund
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            if not emit:
                return refund
            return self.event("charge.refunded", charge)

    def set_refund_status(self, refund_id: str, status: str) -> dict:
        """Move a refund on as Stripe does (``_REFUND_MOVES``); a failed or canceled one
        gives its amount back to the charge. Returns the ``charge.refund.updated`` event."""
        with self._lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise StripeFakeError(404, f"No such refund: '{refund_id}'")
            if status not in _REFUND_MOVES[refund["status"]]:
                raise ValueError(f"a {refund['status']} refund cannot become {status!r}")
            refund["status"] = status
            if status in ("failed", "canceled"):
                charge = self.charges[refund["charge"]]
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = charge["amount_refunded"] == charge["amount"]
                if status == "failed":
                    refund["failure_reason"] = "expired_or_canceled_card"
            return self.event("charge.refund.updated", refund)

    def dispute(self, pi_id: str) -> dict:
        with self._lock:
            pi = self._pi_or_404(pi_id)
            charge = self.charges[pi["latest_charge"]]
            dispute_id = self._id("dp")
            dispute = {
                "id": dispute_id,
                "object": "dispute",
                "amount": charge["amount"],
                "currency": pi["currency"],
                "charge": charge["id"],
                "payment_intent": pi_id,
                "status": "needs_response",
                "reason": "fraudulent",
                "created": int(time.time()),
            }
            self.disputes[dispute_id] = dispute
            charge["disputed"] = True
            return self.event("charge.dispute.created", dispute)

    def close_dispute(self, pi_id: str, *, won: bool) -> dict:
        with self._lock:
            dispute = next(d for d in self.disputes.values() if d["payment_intent"] == pi_id)
            dispute["status"] = "won" if won else "lost"
            return self.event("charge.dispute.closed", dispute)

    # -- webhook delivery helpers -----------------------------------------------------
    def signed(
        self, event: dict, *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers Stripe would POST for ``event``, signed for real."""
        body = json.dumps(event, separators=(",", ":"))
        header = stripe.WebhookSignature.generate_signature_header(
            body, secret or self.webhook_secret, timestamp=timestamp
        )
        return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}
