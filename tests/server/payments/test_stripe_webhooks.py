"""Stripe webhooks over the app's HTTP API, the real SDK re-fetching from the strict fake."""

from __future__ import annotations

import threading
import time

import pytest
import stripe
from sqlalchemy import select

from server.db import transaction
from server.payments import webhooks
from server.payments.models import EventClaim, Payment, ProviderEvent
from shared.ids import uuid7
from tests.server.payments.conftest import OLD_WEBHOOK_SECRET

URL = "/api/v1/webhooks/stripe"


def deliver(client, fake, event, **sign):
    body, headers = fake.signed(event, **sign)
    return client.post(URL, content=body, headers=headers)


def invoice_of(client, admin, invoice_id) -> dict:
    return client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()


def payment_of(client, admin, payment_id) -> dict:
    return client.get(f"/api/v1/payments/{payment_id}", headers=admin).json()


def deliveries(session_factory) -> list[ProviderEvent]:
    with session_factory() as session:
        return list(session.scalars(select(ProviderEvent).order_by(ProviderEvent.received_at)))


def test_succeeded_event_pays_the_invoice(client, admin, fake_stripe, pay, open_invoice):
    payment = pay("stripe")
    assert payment["status"] == "open" and payment["provider_payment_id"].startswith("pi_")
    pi = fake_stripe.payment_intents[payment["provider_payment_id"]]
    assert pi["metadata"]["invoice_id"] == str(open_invoice[0])
    assert pi["amount"] == open_invoice[1] == 30_250 and pi["currency"] == "eur"

    r = deliver(client, fake_stripe, fake_stripe.succeed(pi["id"]))
    assert r.status_code == 200 and r.json()["outcome"] == "processed"
    assert payment_of(client, admin, payment["id"])["status"] == "paid"
    invoice = invoice_of(client, admin, open_invoice[0])
    assert (invoice["state"], invoice["paid_cents"]) == ("paid", 30_250)


def test_missing_signature_header_is_400_and_stored(client, fake_stripe, pay, session_factory):
    pi_id = pay("stripe")["provider_payment_id"]
    body, _ = fake_stripe.signed(fake_stripe.succeed(pi_id))
    r = client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "missing Stripe-Signature" in r.json()["error"]["message"]
    (stored,) = deliveries(session_factory)
    assert stored.outcome == "rejected" and stored.body == body.decode()


def test_bad_signature_is_400_and_changes_nothing(client, admin, fake_stripe, pay, open_invoice):
    payment = pay("stripe")
    event = fake_stripe.succeed(payment["provider_payment_id"])
    assert deliver(client, fake_stripe, event, secret="whsec_someone_else").status_code == 400
    body, headers = fake_stripe.signed(event)
    tampered = body.replace(b'"livemode":false', b'"livemode":true ')
    assert client.post(URL, content=tampered, headers=headers).status_code == 400
    assert invoice_of(client, admin, open_invoice[0])["state"] == "open"


def test_stale_timestamp_is_400(client, fake_stripe, pay):
    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    r = deliver(client, fake_stripe, event, timestamp=int(time.time()) - 301)
    assert r.status_code == 400 and "tolerance" in r.json()["error"]["message"]
    assert deliver(client, fake_stripe, event, timestamp=int(time.time()) - 200).status_code == 200


def test_two_v1_signatures_during_rotation(client, fake_stripe, pay):
    """Stripe signs with every active secret; we accept any one of ours (old or new)."""
    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    body, _ = fake_stripe.signed(event)
    ts = int(time.time())
    unknown = stripe.WebhookSignature.generate_signature_header(
        body.decode(), "whsec_not_ours", timestamp=ts
    )
    old = stripe.WebhookSignature.generate_signature_header(
        body.decode(), OLD_WEBHOOK_SECRET, timestamp=ts
    )
    header = f"{unknown},{old.split(',')[1]}"  # t=…,v1=<unknown>,v1=<old secret>
    assert header.count("v1=") == 2
    r = client.post(URL, content=body, headers={"Stripe-Signature": header})
    assert r.status_code == 200 and r.json()["outcome"] == "processed"


def test_replayed_event_id_is_a_duplicate(client, fake_stripe, pay, session_factory):
    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    assert deliver(client, fake_stripe, event).json()["outcome"] == "processed"
    calls = fake_stripe.request_count
    assert deliver(client, fake_stripe, event).json()["outcome"] == "duplicate"
    assert fake_stripe.request_count == calls  # a finished event is not fetched again
    assert [d.outcome for d in deliveries(session_factory)] == ["processed", "duplicate"]


def test_concurrent_double_delivery_applies_once(app, client, fake_stripe, pay, session_factory):
    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    body, headers = fake_stripe.signed(event)
    headers = {k.lower(): v for k, v in headers.items()}
    barrier, outcomes = threading.Barrier(6), []

    def one():
        barrier.wait()
        result = webhooks.receive(
            factory=app.state.session_factory,
            providers=app.state.payment_providers,
            provider="stripe",
            body=body,
            headers=headers,
        )
        outcomes.append(result.outcome)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate"] * 5 + ["processed"]
    with session_factory() as session:
        (payment,) = session.scalars(select(Payment)).all()
        assert payment.status == "paid" and payment.paid_at is not None


def test_claim_records_first_delivery_and_an_unfinished_claim_is_taken_over(
    app, client, fake_stripe, pay, session_factory
):
    """Claims are inserted done with the delivery that applied them; a claim row left not
    done (written before claims were inserted done) does not block the event forever."""
    pi = pay("stripe")["provider_payment_id"]
    first = fake_stripe.processing(pi)
    answer = deliver(client, fake_stripe, first).json()
    with session_factory() as session:
        claim = session.get(EventClaim, ("stripe", first["id"]))
        assert claim.done and str(claim.first_delivery_id) == answer["delivery_id"]
    event = fake_stripe.succeed(pi)
    with transaction(session_factory) as session:
        session.add(EventClaim(provider="stripe", event_id=event["id"], first_delivery_id=uuid7()))
    assert deliver(client, fake_stripe, event).json()["outcome"] == "processed"
    assert deliver(client, fake_stripe, event).json()["outcome"] == "duplicate"
    with session_factory() as session:
        assert session.get(EventClaim, ("stripe", event["id"])).done
        assert session.scalars(select(Payment)).one().status == "paid"


@pytest.mark.parametrize("late", ["processing", "fail"])
def test_late_failed_or_processing_after_succeeded(
    client, admin, fake_stripe, pay, late, open_invoice
):
    pi_id = pay("stripe")["provider_payment_id"]
    early = getattr(fake_stripe, late)(pi_id)  # e.g. a first card declined, or ACH processing
    succeeded = fake_stripe.succeed(pi_id)
    assert deliver(client, fake_stripe, succeeded).json()["outcome"] == "processed"
    assert deliver(client, fake_stripe, early).json()["outcome"] == "unchanged"
    assert invoice_of(client, admin, open_invoice[0])["state"] == "paid"


def test_snapshot_in_a_late_event_is_never_trusted(client, admin, fake_stripe, pay, open_invoice):
    """A late ``payment_failed`` whose body says 'failed' re-fetches and sees 'succeeded'."""
    payment = pay("stripe")
    pi_id = payment["provider_payment_id"]
    fake_stripe.succeed(pi_id)
    forged = fake_stripe.event(
        "payment_intent.payment_failed",
        {**fake_stripe.payment_intents[pi_id], "status": "requires_payment_method"},
    )
    assert deliver(client, fake_stripe, forged).status_code == 200
    assert payment_of(client, admin, payment["id"])["status"] == "paid"


def test_unknown_payment_intent_is_200_and_ignored(client, fake_stripe, session_factory):
    event = fake_stripe.event(
        "payment_intent.succeeded", {"object": "payment_intent", "id": "pi_nobody_knows"}
    )
    r = deliver(client, fake_stripe, event)
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    event = fake_stripe.event("customer.created", {"object": "customer", "id": "cus_1"})
    assert deliver(client, fake_stripe, event).json()["outcome"] == "ignored"


@pytest.mark.parametrize("field,value", [("invoice", None), ("amount", 100), ("currency", "usd")])
def test_payment_for_another_invoice_or_wrong_amount(
    client, admin, fake_stripe, pay, field, value, open_invoice, session_factory
):
    from tests.helpers.billing import make_open_invoice

    pi = fake_stripe.payment_intents[pay("stripe")["provider_payment_id"]]
    if field == "invoice":
        pi["metadata"]["invoice_id"] = str(make_open_invoice(session_factory)[0])
    else:
        pi[field] = value
    r = deliver(client, fake_stripe, fake_stripe.succeed(pi["id"]))
    assert r.status_code == 200 and r.json()["outcome"] == "mismatch"
    assert invoice_of(client, admin, open_invoice[0])["state"] == "open"


def test_provider_down_during_webhook_is_503_then_reconciled(
    app, client, admin, fake_stripe, pay, open_invoice, session_factory
):
    from server.payments.recheck import recheck_once

    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    fake_stripe.faults.down = True
    r = deliver(client, fake_stripe, event)
    assert r.status_code == 503
    (stored,) = deliveries(session_factory)
    assert stored.outcome == "failed" and stored.next_attempt_at is not None
    fake_stripe.faults.down = False
    with transaction(session_factory) as session:  # as if the back-off had passed
        session.get(ProviderEvent, stored.id).next_attempt_at = stored.received_at
    stats = recheck_once(factory=app.state.session_factory, providers=app.state.payment_providers)
    assert stats["deliveries_retried"] == 1 and stats["deliveries_failed"] == 0
    assert invoice_of(client, admin, open_invoice[0])["state"] == "paid"
    assert [d.outcome for d in deliveries(session_factory)] == ["processed"]
