"""Adapters: SDK errors mapped at the edge, idempotent creates, configuration, fake rules."""

from __future__ import annotations

import inspect
import os

import httpx
import mollie.api.error as mollie_error_module
import pytest
from stripe import _error as stripe_error_module

from server.config import Settings
from server.payments.errors import PaymentProviderError, ProviderUnavailable
from server.payments.providers import PROVIDERS, ProviderSet
from server.payments.providers import mollie as mollie_adapter
from server.payments.providers import stripe as stripe_adapter
from server.payments.providers.base import PaymentProvider
from tests.helpers.fakes import FakeMollie, FakeStripe


def _exception_classes(module, base) -> set[type]:
    return {
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, base) and obj.__module__ == module.__name__
    }


def test_every_stripe_sdk_exception_is_mapped():
    classes = _exception_classes(stripe_error_module, stripe_error_module.StripeError)
    assert len(classes) > 20
    assert classes - set(stripe_adapter.ERROR_MAP) == set()
    err = stripe_error_module.APIConnectionError("boom")
    assert isinstance(stripe_adapter.map_error(err), ProviderUnavailable)


def test_every_mollie_sdk_exception_is_mapped():
    classes = _exception_classes(mollie_error_module, mollie_error_module.Error)
    assert len(classes) >= 12
    assert classes - set(mollie_adapter.ERROR_MAP) == set()
    down = mollie_error_module.ResponseError({"status": 503, "detail": "down"})
    assert isinstance(mollie_adapter.map_error(down), ProviderUnavailable)
    refused = mollie_error_module.UnprocessableEntityError({"status": 422, "detail": "no"})
    mapped = mollie_adapter.map_error(refused)
    assert type(mapped) is PaymentProviderError and mapped.status_code == 502


def test_registry_is_explicit_and_hooks_refuse_by_default():
    assert PROVIDERS == {
        "stripe": stripe_adapter.StripeProvider,
        "mollie": mollie_adapter.MollieProvider,
    }

    class Bare(PaymentProvider):
        identifier = "bare"

    with pytest.raises(PaymentProviderError):
        Bare().fetch_payment("x")
    with pytest.raises(PaymentProviderError):
        Bare().refund(provider_payment_id="x", amount_cents=1, currency="EUR", idempotency_key="k")


def test_unconfigured_provider_is_409(client, user_headers, session_factory):
    from tests.helpers.billing import make_open_invoice

    invoice_id, _ = make_open_invoice(session_factory)
    settings_without = ProviderSet.from_settings(
        Settings(
            secret_key=os.environ["RENTGUY_SECRET_KEY"], stripe_api_key=None, mollie_api_key=None
        )
    )
    client.app.state.payment_providers = settings_without
    r = client.post(
        f"/api/v1/invoices/{invoice_id}/payments",
        json={"provider": "mollie"},
        headers=user_headers("admin"),
    )
    assert r.status_code == 409 and "RENTGUY_MOLLIE_API_KEY" in r.json()["error"]["message"]
    r = client.post("/api/v1/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1"})
    assert r.status_code == 409


@pytest.mark.parametrize("provider", ["stripe", "mollie"])
def test_retried_create_reuses_the_idempotency_key(
    client, admin, fake_stripe, fake_mollie, open_invoice, provider
):
    """The first answer is lost after the provider made the payment; the retry gets it back."""
    fake = fake_stripe if provider == "stripe" else fake_mollie
    fake.faults.drop_answer_next = 1
    url = f"/api/v1/invoices/{open_invoice[0]}/payments"
    first = client.post(url, json={"provider": provider}, headers=admin)
    assert first.status_code in (502, 503)
    retry = client.post(url, json={"provider": provider}, headers=admin)
    assert retry.status_code == 201, retry.text
    made = fake.payment_intents if provider == "stripe" else fake.payments
    assert list(made) == [retry.json()["provider_payment_id"]]  # one object at the provider


def test_fake_stripe_refuses_a_reused_key_with_other_parameters(fake_stripe):
    headers = {"Authorization": f"Bearer {fake_stripe.api_key}", "Idempotency-Key": "k1"}
    with httpx.Client(base_url=fake_stripe.url, headers=headers) as http:
        assert (
            http.post("/v1/payment_intents", data={"amount": "1000", "currency": "eur"}).status_code
            == 200
        )
        again = http.post("/v1/payment_intents", data={"amount": "1000", "currency": "eur"})
        assert again.headers["Idempotent-Replayed"] == "true"
        other = http.post("/v1/payment_intents", data={"amount": "2000", "currency": "eur"})
        assert other.status_code == 400 and other.json()["error"]["type"] == "idempotency_error"
        missing = http.post(
            "/v1/payment_intents", data={"amount": "1000"}, headers={"Idempotency-Key": "k2"}
        )
        assert missing.status_code == 400 and "currency" in missing.json()["error"]["message"]
        unknown = http.post(
            "/v1/payment_intents", data={"amount": "1000", "currency": "eur", "amout": "1"}
        )
        assert unknown.status_code == 400
        assert (
            http.get("/v1/payment_intents/pi_x", headers={"Authorization": "Bearer no"}).status_code
            == 401
        )


def test_fake_mollie_wants_two_decimal_string_amounts(fake_mollie):
    headers = {"Authorization": f"Bearer {fake_mollie.api_key}"}
    base = {"description": "x", "redirectUrl": "https://example.com/r"}
    with httpx.Client(base_url=fake_mollie.url, headers=headers) as http:
        for bad in ("10.5", 10.5, "10", "10.505", 1050):
            r = http.post(
                "/v2/payments", json={**base, "amount": {"currency": "EUR", "value": bad}}
            )
            assert r.status_code == 422 and r.json()["field"] == "amount.value", bad
        r = http.post("/v2/payments", json={"amount": {"currency": "EUR", "value": "10.50"}})
        assert r.status_code == 422 and r.json()["field"] == "description"
        ok = http.post(
            "/v2/payments",
            json={**base, "amount": {"currency": "EUR", "value": "10.50"}},
            headers={"Idempotency-Key": "m1"},
        )
        assert ok.status_code == 201
        other = http.post(
            "/v2/payments",
            json={**base, "amount": {"currency": "EUR", "value": "11.50"}},
            headers={"Idempotency-Key": "m1"},
        )
        assert other.status_code == 422


def test_fakes_refuse_to_run_in_production(monkeypatch):
    monkeypatch.setenv("RENTGUY_ENVIRONMENT", "production")
    with pytest.raises(RuntimeError, match="production"):
        FakeStripe()
    with pytest.raises(RuntimeError, match="production"):
        FakeMollie()


def test_a_changed_request_after_a_lost_answer_gets_its_own_key(
    client, admin, fake_stripe, open_invoice
):
    fake_stripe.faults.drop_answer_next = 1
    url = f"/api/v1/invoices/{open_invoice[0]}/payments"
    assert client.post(
        url, json={"provider": "stripe", "amount_cents": 10_000}, headers=admin
    ).status_code in (502, 503)
    changed = client.post(url, json={"provider": "stripe", "amount_cents": 12_000}, headers=admin)
    assert changed.status_code == 201, changed.text  # not an idempotency_error
    assert fake_stripe.payment_intents[changed.json()["provider_payment_id"]]["amount"] == 12_000


def test_stripe_unreachable_is_provider_unavailable_and_proxy_is_honoured(monkeypatch):
    from tests.helpers.live_server import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    adapter = stripe_adapter.StripeProvider(
        api_key="sk_test_x", api_base=closed, webhook_secrets=[]
    )
    with pytest.raises(ProviderUnavailable, match="could not reach Stripe"):
        adapter.fetch_payment("pi_123")
    # The environment's proxy is read once, at start-up, and used for every call.
    monkeypatch.setenv("HTTP_PROXY", closed)
    monkeypatch.setenv("NO_PROXY", "")
    proxied = stripe_adapter.StripeProvider(
        api_key="sk_test_x", api_base="http://stripe.invalid", webhook_secrets=[]
    )
    with pytest.raises(ProviderUnavailable, match="(?i)proxy"):
        proxied.fetch_payment("pi_123")


def test_stripe_fetch_reads_through_the_real_sdk_against_the_fake():
    with FakeStripe(webhook_secret="whsec_x") as fake:
        adapter = stripe_adapter.StripeProvider(
            api_key=fake.api_key, api_base=fake.url, webhook_secrets=["whsec_x"]
        )
        assert adapter.fetch_payment("pi_does_not_exist") is None
        with pytest.raises(PaymentProviderError):
            stripe_adapter.StripeProvider(
                api_key="sk_test_wrong", api_base=fake.url, webhook_secrets=[]
            ).fetch_payment("pi_x")
