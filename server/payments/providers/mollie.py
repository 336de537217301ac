"""Mollie adapter (mollie-api-python 4): payments (iDEAL, card), refunds, chargebacks.

Mollie's webhook body is only ``id=tr_…``; nothing in it is trusted. ``fetch_payment``
reads the payment, and its refund and chargeback lists when its links say there are any.
A charged-back payment stays ``paid`` at Mollie with ``amountChargedBack``; so does ours.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from urllib.parse import parse_qs

import requests
from mollie.api import error as mollie_errors
from mollie.api.client import Client
from mollie.api.objects.payment import Payment as MolliePayment
from mollie.api.resources.chargebacks import PaymentChargebacks
from mollie.api.resources.refunds import PaymentRefunds

from server.invoicing.totals import cents_to_decimal_string
from server.money import to_cents
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

# Every exception class the SDK defines, mapped explicitly (tests check none is missing).
ERROR_MAP: dict[type[Exception], type[PaymentProviderError]] = {
    mollie_errors.Error: PaymentProviderError,
    mollie_errors.RequestError: ProviderUnavailable,  # could not talk to Mollie
    mollie_errors.RequestSetupError: PaymentProviderError,  # our request was malformed
    mollie_errors.IdentifierError: PaymentProviderError,
    mollie_errors.ResponseHandlingError: ProviderUnavailable,  # garbled answer, e.g. a 502 page
    mollie_errors.ResponseError: PaymentProviderError,  # 5xx/429 refined in map_error
    mollie_errors.UnauthorizedError: PaymentProviderError,
    mollie_errors.NotFoundError: PaymentProviderError,
    mollie_errors.BadRequestError: PaymentProviderError,
    mollie_errors.ConflictError: PaymentProviderError,
    mollie_errors.UnprocessableEntityError: PaymentProviderError,
    mollie_errors.DataConsistencyError: PaymentProviderError,
    mollie_errors.EmbedNotFound: PaymentProviderError,
}

_STATUS = {
    "open": "open",
    "pending": "pending",
    "authorized": "pending",
    "paid": "paid",
    "failed": "failed",
    "canceled": "canceled",
    "expired": "expired",
}


def map_error(exc: mollie_errors.Error) -> PaymentProviderError:
    """The app error for an SDK error (nearest mapped class in its MRO)."""
    target = next(ERROR_MAP[c] for c in type(exc).__mro__ if c in ERROR_MAP)
    status = getattr(exc, "status", None)
    if isinstance(exc, mollie_errors.ResponseError) and (status == 429 or (status or 0) >= 500):
        target = ProviderUnavailable
    return target(
        f"mollie: {exc}", details={"sdk_error": type(exc).__name__, "http_status": status}
    )


def _cents(amount: Mapping | None) -> int:
    return to_cents(amount["value"]) if amount else 0


class MollieProvider(PaymentProvider):
    identifier = "mollie"
    methods = ("ideal", "card", "creditcard")

    def __init__(self, *, api_key: str, api_base: str) -> None:
        self._api_key = api_key
        self._api_base = api_base.rstrip("/")
        self._local = threading.local()  # the SDK keeps one requests.Session per client
        self._proxies = requests.utils.get_environ_proxies(self._api_base)
        self._client()  # validate the key format now, not at the first payment

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            try:
                client = Client(api_endpoint=self._api_base, retry=0)
                client.set_api_key(self._api_key)
                # The SDK makes its requests.Session on first use unless one is there. Ours
                # does not re-read proxies and ~/.netrc from the environment on every call
                # (a measurable share of a webhook's CPU): the proxy is read once, here.
                session = requests.Session()
                session.trust_env = False
                session.proxies.update(self._proxies)
                client._client = session
            except mollie_errors.Error as exc:
                raise map_error(exc) from exc
            self._local.client = client
        return client

    def create_payment(self, request: CreatePayment) -> PaymentSnapshot:
        data: dict = {
            "amount": {
                "currency": request.currency.upper(),
                "value": cents_to_decimal_string(request.amount_cents),
            },
            "description": request.description,
            "redirectUrl": request.return_url,
            "metadata": {
                "invoice_id": request.invoice_id,
                "invoice_number": request.invoice_number,
            },
        }
        if request.webhook_url:
            data["webhookUrl"] = request.webhook_url
        if request.method:
            data["method"] = "creditcard" if request.method == "card" else request.method
        client = self._client()
        try:
            payment = client.payments.create(data, idempotency_key=request.idempotency_key)
        except mollie_errors.Error as exc:
            raise map_error(exc) from exc
        return self._snapshot(payment, refunds=[], chargebacks=[])

    def fetch_payment(self, provider_payment_id: str) -> PaymentSnapshot | None:
        if not provider_payment_id.startswith("tr_"):
            return None
        client = self._client()
        try:
            payment = client.payments.get(provider_payment_id)
            links = payment.get("_links") or {}
            refunds = []
            if links.get("refunds") or _cents(payment.get("amountRefunded")):
                refunds = list(PaymentRefunds(client, payment).list(limit=250))
            chargebacks = []
            if links.get("chargebacks") or _cents(payment.get("amountChargedBack")):
                chargebacks = list(PaymentChargebacks(client, payment).list(limit=250))
        except mollie_errors.NotFoundError:
            return None
        except mollie_errors.Error as exc:
            raise map_error(exc) from exc
        return self._snapshot(payment, refunds=refunds, chargebacks=chargebacks)

    def cancel_payment(self, provider_payment_id: str) -> PaymentSnapshot:
        # Mollie cancels only what it marks isCancelable (open bank transfers and the
        # like; never an open iDEAL or card payment, which expires by itself): ask first,
        # so a refusal is a clear 409 saying when it expires, not a provider error.
        client = self._client()
        try:
            payment = client.payments.get(provider_payment_id)
            if not payment.get("isCancelable"):
                raise PaymentNotCancelable(
                    f"mollie cannot cancel {provider_payment_id} ({payment['status']}, "
                    f"method {payment.get('method') or 'not chosen'}); an open one expires "
                    f"by itself at {payment.get('expiresAt') or 'the time Mollie sets'}",
                    details={
                        "provider_payment_id": provider_payment_id,
                        "expires_at": payment.get("expiresAt"),
                    },
                )
            cancelled = client.payments.delete(provider_payment_id)
        except mollie_errors.Error as exc:
            raise map_error(exc) from exc
        return self._snapshot(cancelled, refunds=[], chargebacks=[])

    def refund(
        self, *, provider_payment_id: str, amount_cents: int, currency: str, idempotency_key: str
    ) -> RefundInfo:
        client = self._client()
        payment = MolliePayment({"id": provider_payment_id}, client)
        data = {
            "amount": {"currency": currency.upper(), "value": cents_to_decimal_string(amount_cents)}
        }
        try:
            refund = PaymentRefunds(client, payment).create(data, idempotency_key=idempotency_key)
        except mollie_errors.Error as exc:
            raise map_error(exc) from exc
        return RefundInfo(refund["id"], _cents(refund["amount"]), refund["status"])

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookRef:
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise WebhookRejected("Mollie webhook body must be id=<payment id>") from None
        ids = fields.get("id") or []
        if len(ids) != 1 or not ids[0].strip():
            raise WebhookRejected("Mollie webhook body must carry exactly one id")
        payment_id = ids[0].strip()
        # Mollie signs nothing: the id is only a hint to go and ask Mollie.
        return WebhookRef(None, None, payment_id if payment_id.startswith("tr_") else None)

    def _snapshot(self, payment: Mapping, *, refunds: list, chargebacks: list) -> PaymentSnapshot:
        infos = tuple(RefundInfo(r["id"], _cents(r["amount"]), r["status"]) for r in refunds)
        standing = [cb for cb in chargebacks if not cb.get("reversedAt")]
        if standing:
            dispute = "charged_back"
        elif chargebacks:
            dispute = "reversed"
        else:
            dispute = "none"
        charged_back = sum(_cents(cb["amount"]) for cb in standing)
        taken = tuple(
            ChargebackInfo(cb["id"], _cents(cb["amount"]), bool(cb.get("reversedAt")))
            for cb in chargebacks
        )
        metadata = payment.get("metadata") or {}
        checkout = ((payment.get("_links") or {}).get("checkout") or {}).get("href")
        return PaymentSnapshot(
            provider_payment_id=payment["id"],
            status=_STATUS.get(payment["status"], "pending"),
            provider_status=payment["status"],
            amount_cents=_cents(payment["amount"]),
            currency=payment["amount"]["currency"].upper(),
            invoice_id=metadata.get("invoice_id") if isinstance(metadata, Mapping) else None,
            amount_refunded_cents=_cents(payment.get("amountRefunded")),
            amount_charged_back_cents=charged_back,
            dispute_status=dispute,
            refunds=infos,
            chargebacks=taken,
            checkout_url=checkout,
        )
