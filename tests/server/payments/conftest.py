"""Payments tests: the app configured against strict fake Stripe and Mollie on loopback."""

from __future__ import annotations

import os

import pytest

from server.config import Settings
from tests.helpers.fakes import FakeMollie, FakeStripe

WEBHOOK_SECRET = "whsec_test_current_0123456789"
OLD_WEBHOOK_SECRET = "whsec_test_previous_0123456789"


@pytest.fixture
def fake_stripe():
    with FakeStripe(webhook_secret=WEBHOOK_SECRET) as fake:
        yield fake


@pytest.fixture
def fake_mollie():
    with FakeMollie() as fake:
        yield fake


@pytest.fixture
def settings(database_url, fake_stripe, fake_mollie) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=os.environ["RENTGUY_SECRET_KEY"],
        environment="test",
        log_json=False,
        stripe_api_key=fake_stripe.api_key,
        stripe_api_base=fake_stripe.url,
        stripe_webhook_secrets=f"{WEBHOOK_SECRET},{OLD_WEBHOOK_SECRET}",
        mollie_api_key=fake_mollie.api_key,
        mollie_api_base=fake_mollie.url,
        public_base_url="https://rentguy.example",
    )


@pytest.fixture
def admin(user_headers) -> dict[str, str]:
    return user_headers("admin")


@pytest.fixture
def open_invoice(session_factory):
    from tests.helpers.billing import make_open_invoice

    return make_open_invoice(session_factory)  # (id, total cents) = 2 × €125 + 21 % = 30250


@pytest.fixture
def pay(client, admin, open_invoice):
    """``pay("stripe")`` → the payment JSON of a new payment for the open invoice."""

    def start(provider: str, **body) -> dict:
        invoice_id, _ = open_invoice
        r = client.post(
            f"/api/v1/invoices/{invoice_id}/payments",
            json={"provider": provider, **body},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        return r.json()

    return start
