"""Stripe adapter (SDK 16): PaymentIntents, refunds, disputes, signed webhooks.

The state we store is always read back from Stripe (``fetch_payment``): the PaymentIntent
with its latest charge expanded, plus the refund and dispute lists when the charge says
there are any. Webhook bodies are verified and then used only for the ids they carry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import stripe
from stripe import _error as stripe_errors

from server.money import minor_units
from server.payments.errors import (
    PaymentNotCancelable,
    PaymentProviderError,
    ProviderUnavailable,
    WebhookRejected,
)
from server.payments.providers.base import (
    ChargebackInfo,
    CreatePayment,
    PaymentProvider,
    PaymentSnapshot,
    RefundInfo,
    WebhookRef,
)
from server.payments.providers.transport import Urllib3StripeClient

TOLERANCE_SECONDS = 300
# Stripe's header is "t=<unix seconds>,v1=<hex sha256>[,v1=…][,v0=…]": a few hundred bytes.
MAX_SIGNATURE_HEADER = 4096
_HEX = frozenset("0123456789abcdef")

# Every exception class the SDK defines, mapped explicitly (tests check none is missing).
# Retryable ones become ProviderUnavailable (503 to a webhook sender, "try later" to admins).
ERROR_MAP: dict[type[Exception], type[PaymentProviderError]] = {
    stripe_errors.StripeError: PaymentProviderError,
    stripe_errors.APIError: ProviderUnavailable,
    stripe_errors.APIConnectionError: ProviderUnavailable,
    stripe_errors.RateLimitError: ProviderUnavailable,
    stripe_errors.StripeErrorWithParamCode: PaymentProviderError,
    stripe_errors.CardError: PaymentProviderError,
    stripe_errors.IdempotencyError: PaymentProviderError,
    stripe_errors.InvalidRequestError: PaymentProviderError,
    stripe_errors.AuthenticationError: PaymentProviderError,
    stripe_errors.PermissionError: PaymentProviderError,
    stripe_errors.SignatureVerificationError: PaymentProviderError,
    stripe_errors.AlreadyCanceledError: PaymentProviderError,
    stripe_errors.BlockedByStripeError: PaymentProviderError,
    stripe_errors.CannotProceedError: PaymentProviderError,
    stripe_errors.CapabilityNotEnabledError: PaymentProviderError,
    stripe_errors.ControlledByAlternateResourceError: PaymentProviderError,
    stripe_errors.FeatureNotEnabledError: PaymentProviderError,
    stripe_errors.FinancialAccountNotOpenError: PaymentProviderError,
    stripe_errors.FxQuoteNeedsRefreshError: PaymentProviderError,
    stripe_errors.InsufficientFundsError: PaymentProviderError,
    stripe_errors.InvalidPaymentMethodError: PaymentProviderError,
    stripe_errors.InvalidPayoutMethodError: PaymentProviderError,
    stripe_errors.InvalidVaultedCredentialError: PaymentProviderError,
    stripe_errors.NotCancelableError: PaymentProviderError,
    stripe_errors.QuotaExceededError: PaymentProviderError,
    stripe_errors.RecipientNotNotifiableError: PaymentProviderError,
    stripe_errors.TemporarySessionExpiredError: PaymentProviderError,
    stripe_errors.VerificationAttemptFailedError: PaymentProviderError,
    stripe_errors.VerificationExpiredError: PaymentProviderError,
    stripe_errors.VerificationNotInitiatedError: PaymentProviderError,
}


def map_error(exc: stripe_errors.StripeError) -> PaymentProviderError:
    """The app error for an SDK error (nearest mapped class in its MRO)."""
    for cls in type(exc).__mro__:
        if cls in ERROR_MAP:
            target = ERROR_MAP[cls]
            break
    else:  # pragma: no cover - StripeError itself is mapped
        target = PaymentProviderError
    status = getattr(exc, "http_status", None)
    message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
    return target(
        f"stripe: {message}",
        details={"sdk_error": type(exc).__name__, "http_status": status},
    )


_DISPUTE_OPEN = {"warning_needs_response", "warning_under_review", "needs_response", "under_review"}


def _status(pi: Mapping) -> str:
    status = pi["status"]
    if status == "succeeded":
        return "paid"
    if status == "processing":
        return "processing"
    if status == "canceled":
        return "canceled"
    if status == "requires_payment_method":
        # The state after a failed attempt (last_payment_error set) or before any attempt.
        return "failed" if pi.get("last_payment_error") else "open"
    return "pending"  # requires_confirmation / requires_action / requires_capture


def _dispute(disputes: list[Mapping]) -> tuple[str, int]:
    """(dispute status, amount charged back) from the PaymentIntent's disputes."""
    if not disputes:
        return "none", 0
    latest = max(disputes, key=lambda d: d.get("created") or 0)
    status = latest["status"]
    if status in _DISPUTE_OPEN:
        return "open", minor_units(latest["amount"])
    if status == "lost":
        return "lost", minor_units(latest["amount"])
    return "won", 0  # won, warning_closed: the money came back (or never left)


class StripeProvider(PaymentProvider):
    identifier = "stripe"
    methods = ("card", "ideal")

    def __init__(self, *, api_key: str, api_base: str, webhook_secrets: list[str]) -> None:
        self._api_key = api_key
        self._api_base = api_base.rstrip("/")
        # The environment's proxy for Stripe, read once (not re-read on every call).
        # The same reading as the Mollie adapter's (requests honours NO_PROXY too).
        proxies = requests.utils.get_environ_proxies(self._api_base)
        proxy = proxies.get(urlsplit(self._api_base).scheme) or proxies.get("all")
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": self._api_base},
            max_network_retries=0,
            http_client=Urllib3StripeClient(proxy=proxy),
        )
        self._secrets = list(webhook_secrets)

    def create_payment(self, request: CreatePayment) -> PaymentSnapshot:
        params: dict[str, Any] = {
            "amount": request.amount_cents,
            "currency": request.currency.lower(),
            "description": request.description,
            "metadata": {
                "invoice_id": request.invoice_id,
                "invoice_number": request.invoice_number,
            },
            "payment_method_types": [request.method] if request.method else list(self.methods),
        }
        try:
            pi = self._client.v1.payment_intents.create(
                # stripe's TypedDict for these lacks payment_method_types, which the API takes
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe_errors.StripeError as exc:
            raise map_error(exc) from exc
        return self._snapshot(pi.to_dict(), refunds=[], disputes=[])

    def fetch_payment(self, provider_payment_id: str) -> PaymentSnapshot | None:
        # raw_request: the SDK's own request path (auth, versioning, errors) returning the
        # parsed JSON, without building StripeObjects we would only turn back into dicts.
        try:
            # The charge's refunds come expanded in the same request: every one, also a
            # failed one (its amount is no longer in amount_refunded), so a refund that
            # failed after being pending is seen failing.
            pi = self._get(
                f"/v1/payment_intents/{provider_payment_id}",
                expand=["latest_charge", "latest_charge.refunds"],
            )
            charge = pi.get("latest_charge") or {}
            listed = (charge.get("refunds") if charge else None) or {}
            refunds = list(listed.get("data") or [])
            if listed.get("has_more"):
                refunds = self._get("/v1/refunds", payment_intent=provider_payment_id, limit=100)[
                    "data"
                ]
            disputes = []
            if charge and charge.get("disputed"):
                disputes = self._get("/v1/disputes", payment_intent=provider_payment_id, limit=100)[
                    "data"
                ]
        except stripe_errors.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None
            raise map_error(exc) from exc
        except stripe_errors.StripeError as exc:
            raise map_error(exc) from exc
        return self._snapshot(pi, refunds=refunds, disputes=disputes)

    def cancel_payment(self, provider_payment_id: str) -> PaymentSnapshot:
        try:
            pi = self._client.v1.payment_intents.cancel(
                provider_payment_id,
                options={"idempotency_key": f"rentguy-cancel-{provider_payment_id}"},
            )
        except stripe_errors.InvalidRequestError as exc:
            if exc.code == "payment_intent_unexpected_state":  # succeeded (or canceled)
                raise PaymentNotCancelable(
                    f"stripe: {exc.user_message or exc}",
                    details={"provider_payment_id": provider_payment_id},
                ) from exc
            raise map_error(exc) from exc
        except stripe_errors.StripeError as exc:
            raise map_error(exc) from exc
        return self._snapshot(pi.to_dict(), refunds=[], disputes=[])

    def _get(self, path: str, **params: Any) -> dict:
        return self._client.raw_request("get", path, **params).data

    def refund(
        self, *, provider_payment_id: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> RefundInfo:
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": provider_payment_id, "amount": amount_cents},
                options={"idempotency_key": idempotency_key},
            )
        except stripe_errors.StripeError as exc:
            raise map_error(exc) from exc
        return RefundInfo(refund["id"], minor_units(refund["amount"]), refund["status"])

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookRef:
        header = headers.get("stripe-signature")
        if not header:
            raise WebhookRejected("missing Stripe-Signature header")
        if not self._secrets:
            raise WebhookRejected("no Stripe webhook secret configured")
        _check_signature_header(header)
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookRejected("body is not UTF-8") from None
        problems = []
        for secret in self._secrets:  # several during rotation; any one may match
            try:
                stripe.WebhookSignature.verify_header(payload, header, secret, TOLERANCE_SECONDS)
                break
            except stripe_errors.SignatureVerificationError as exc:
                problems.append(str(exc))
        else:
            # A signature that matched but is too old says more than "no match".
            stale = [p for p in problems if "tolerance" in p]
            raise WebhookRejected(f"bad Stripe-Signature: {(stale or problems)[0]}")
        try:
            event = json.loads(payload)
            obj = event["data"]["object"]
            event_id, event_type = str(event["id"]), str(event["type"])
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("not a Stripe event") from None
        kind = obj.get("object") if isinstance(obj, dict) else None
        if kind == "payment_intent":
            payment_id = obj.get("id")
        elif kind in ("charge", "refund", "dispute"):
            payment_id = obj.get("payment_intent")
        else:
            payment_id = None
        return WebhookRef(event_id, event_type, payment_id if isinstance(payment_id, str) else None)

    def _snapshot(
        self, pi: Mapping[str, Any], *, refunds: list, disputes: list
    ) -> PaymentSnapshot:
        charge = pi.get("latest_charge")
        charge = charge if isinstance(charge, Mapping) else {}
        infos = tuple(RefundInfo(r["id"], minor_units(r["amount"]), r["status"]) for r in refunds)
        dispute_status, charged_back = _dispute(list(disputes))
        # Like _dispute: money left with the dispute, and came back when it was won.
        chargebacks = tuple(
            ChargebackInfo(
                d["id"], minor_units(d["amount"]), d["status"] in ("won", "warning_closed")
            )
            for d in disputes
        )
        metadata = pi.get("metadata") or {}
        return PaymentSnapshot(
            provider_payment_id=pi["id"],
            status=_status(pi),
            provider_status=pi["status"],
            amount_cents=minor_units(pi["amount"]),
            currency=str(pi["currency"]).upper(),
            invoice_id=metadata.get("invoice_id"),
            amount_refunded_cents=minor_units(charge.get("amount_refunded") or 0),
            amount_charged_back_cents=charged_back,
            dispute_status=dispute_status,
            refunds=infos,
            chargebacks=chargebacks,
            checkout_url=None,
        )


def _check_signature_header(header: str) -> None:
    """Refuse a malformed Stripe-Signature before the SDK sees it: its compare raises
    TypeError on non-ASCII, and it takes several ``t=`` or a 1 MB header without a word."""
    if len(header) > MAX_SIGNATURE_HEADER:
        raise WebhookRejected(f"bad Stripe-Signature: longer than {MAX_SIGNATURE_HEADER} bytes")
    if not header.isascii():
        raise WebhookRejected("bad Stripe-Signature: not ASCII")
    pairs = [part.partition("=") for part in header.split(",")]
    if any(not sep or not key.strip() for key, sep, _ in pairs):
        raise WebhookRejected("bad Stripe-Signature: every element must be key=value")
    stamps = [value for key, _, value in pairs if key.strip() == "t"]
    if len(stamps) != 1:
        raise WebhookRejected(f"bad Stripe-Signature: {len(stamps)} timestamps (t=), not one")
    if not stamps[0].isdigit() or len(stamps[0]) > 12:
        raise WebhookRejected("bad Stripe-Signature: t= is not a Unix time in seconds")
    signatures = [value for key, _, value in pairs if key.strip() == "v1"]
    if not signatures:
        raise WebhookRejected("bad Stripe-Signature: no v1= signature")
    if any(len(sig) != 64 or not _HEX.issuperset(sig) for sig in signatures):
        raise WebhookRejected("bad Stripe-Signature: a v1= signature is not 64 hex digits")
