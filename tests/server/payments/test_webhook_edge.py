"""Webhook input at the edge (issue 14): bad signatures, NUL and surrogates in raw and
form bodies are a 400 and stored as ``rejected`` for the record, never a 500."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from sqlalchemy import select

from server.payments.models import ProviderEvent

STRIPE = "/api/v1/webhooks/stripe"
MOLLIE = "/api/v1/webhooks/mollie"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def deliveries(session_factory) -> list[ProviderEvent]:
    with session_factory() as session:
        return list(session.scalars(select(ProviderEvent).order_by(ProviderEvent.received_at)))


def _good_header(fake_stripe, body: bytes) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        body.decode(), fake_stripe.webhook_secret, timestamp=int(time.time())
    )


BAD_HEADERS = {
    "non_ascii_v1": "t=1,v1=éé",
    "non_ascii_t": "t=é,v1=" + "a" * 64,
    "no_t": "v1=" + "a" * 64,
    "two_t": "t=1,t=2,v1=" + "a" * 64,
    "t_not_digits": "t=1e10,v1=" + "a" * 64,
    "t_huge": "t=" + "9" * 5000 + ",v1=" + "a" * 64,
    "no_v1": "t=1,v0=" + "a" * 64,
    "v1_short": "t=1,v1=abc",
    "v1_not_hex": "t=1,v1=" + "z" * 64,
    "no_equals": "t=1,garbage",
    "empty_parts": ",,,,",
    "huge": "t=1," + ",".join(["v1=" + "a" * 64] * 200),
}


@pytest.mark.parametrize("header", list(BAD_HEADERS.values()), ids=list(BAD_HEADERS))
def test_malformed_stripe_signature_is_400(client, fake_stripe, pay, session_factory, header):
    body, _ = fake_stripe.signed(fake_stripe.succeed(pay("stripe")["provider_payment_id"]))
    response = client.post(
        STRIPE,
        content=body,
        # Bytes: a non-ASCII header reaches the server as the raw UTF-8 bytes a client sent.
        headers={"Stripe-Signature": header.encode(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert "Stripe-Signature" in response.json()["error"]["message"]
    assert [d.outcome for d in deliveries(session_factory)] == ["rejected"]


def test_signed_stripe_body_with_a_raw_nul_byte_is_400_and_stored(
    client, fake_stripe, pay, session_factory
):
    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    body = json.dumps(event).encode().replace(b'"livemode"', b'"live\x00mode"')
    response = client.post(
        STRIPE,
        content=body,
        headers={"Stripe-Signature": _good_header(fake_stripe, body)},
    )
    assert response.status_code == 400, response.text
    (stored,) = deliveries(session_factory)
    assert stored.outcome == "rejected" and "\ufffd" in stored.body and "\x00" not in stored.body


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_signed_stripe_event_id_with_bad_text_is_400(
    client, fake_stripe, pay, session_factory, escape
):
    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    event["id"] = "evt_MARK"
    body = json.dumps(event).replace("evt_MARK", f"evt_{escape}x").encode()
    response = client.post(
        STRIPE, content=body, headers={"Stripe-Signature": _good_header(fake_stripe, body)}
    )
    assert response.status_code == 400, response.text
    assert "event id" in response.json()["error"]["message"]
    assert [d.outcome for d in deliveries(session_factory)] == ["rejected"]


@pytest.mark.parametrize("body", [b"id=tr_%00x", b"id=tr_\x00x"])
def test_mollie_id_with_nul_is_400_and_stored(client, session_factory, body):
    response = client.post(MOLLIE, content=body, headers=FORM)
    assert response.status_code == 400, response.text
    assert "payment id contains U+0000" in response.json()["error"]["message"]
    (stored,) = deliveries(session_factory)
    assert stored.outcome == "rejected" and "\x00" not in stored.body


def test_mollie_id_with_an_encoded_surrogate_is_no_500(client, fake_mollie, session_factory):
    # %ED%A0%80 is a UTF-8-encoded surrogate: form decoding turns it into U+FFFD.
    response = client.post(MOLLIE, content=b"id=tr_%ED%A0%80x", headers=FORM)
    assert response.status_code < 500, response.text
