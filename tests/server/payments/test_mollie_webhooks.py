"""Mollie webhooks: the body is only an id; the real SDK fetches the truth from the fake."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from server.payments import webhooks
from server.payments.models import ProviderEvent

URL = "/api/v1/webhooks/mollie"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(client, body: bytes):
    return client.post(URL, content=body, headers=FORM)


def invoice_state(client, admin, invoice_id) -> str:
    return client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()["state"]


def test_create_sends_a_strict_request(fake_mollie, pay, open_invoice):
    payment = pay("mollie", method="ideal")
    sent = fake_mollie.payments[payment["provider_payment_id"]]
    assert sent["amount"] == {"currency": "EUR", "value": "302.50"}
    assert sent["metadata"]["invoice_id"] == str(open_invoice[0])
    assert sent["webhookUrl"] == "https://rentguy.example/api/v1/webhooks/mollie"
    assert payment["checkout_url"].startswith("https://www.mollie.com/checkout/")


def test_paid_pays_the_invoice_and_a_resend_changes_nothing(
    client, admin, fake_mollie, pay, open_invoice
):
    payment = pay("mollie", method="ideal")
    body = fake_mollie.set_status(payment["provider_payment_id"], "paid")
    assert post(client, body).json()["outcome"] == "processed"
    assert post(client, body).json()["outcome"] == "unchanged"
    assert invoice_state(client, admin, open_invoice[0]) == "paid"


@pytest.mark.parametrize("late", ["pending", "failed", "open"])
def test_late_states_never_unpay(client, admin, fake_mollie, pay, open_invoice, late):
    payment = pay("mollie")
    pid = payment["provider_payment_id"]
    post(client, fake_mollie.set_status(pid, "paid"))
    # Even if Mollie itself answered an older state now, a paid payment stays paid.
    fake_mollie.payments[pid]["status"] = late
    assert post(client, fake_mollie.webhook_body(pid)).status_code == 200
    assert invoice_state(client, admin, open_invoice[0]) == "paid"


def test_unknown_id_is_200_without_asking_mollie(client, fake_mollie):
    before = fake_mollie.request_count
    r = post(client, b"id=tr_unknown123")
    assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    assert fake_mollie.request_count == before


def test_garbage_body_is_400(client):
    assert post(client, b"").status_code == 400
    assert post(client, b"id=tr_a&id=tr_b").status_code == 400


@pytest.mark.parametrize("field", ["invoice", "amount", "currency"])
def test_payment_for_another_invoice_or_wrong_amount(
    client, admin, fake_mollie, pay, field, open_invoice
):
    payment = pay("mollie")
    remote = fake_mollie.payments[payment["provider_payment_id"]]
    if field == "invoice":
        remote["metadata"]["invoice_id"] = "01900000-0000-7000-8000-000000000000"
    elif field == "amount":
        remote["amount"]["value"] = "0.01"
    else:
        remote["amount"]["currency"] = "USD"
    body = fake_mollie.set_status(payment["provider_payment_id"], "paid")
    r = post(client, body)
    assert r.status_code == 200 and r.json()["outcome"] == "mismatch"
    assert invoice_state(client, admin, open_invoice[0]) == "open"


def test_mollie_down_is_503_so_mollie_retries(
    client, admin, fake_mollie, pay, open_invoice, session_factory
):
    payment = pay("mollie")
    body = fake_mollie.set_status(payment["provider_payment_id"], "paid")
    fake_mollie.faults.down = True
    assert post(client, body).status_code == 503
    fake_mollie.faults.down = False
    assert post(client, body).json()["outcome"] == "processed"  # Mollie's retry
    with session_factory() as session:
        outcomes = [
            d.outcome
            for d in session.scalars(select(ProviderEvent).order_by(ProviderEvent.received_at))
        ]
    assert outcomes == ["failed", "processed"]
    assert invoice_state(client, admin, open_invoice[0]) == "paid"


def test_mollie_5xx_once_is_503(client, fake_mollie, pay):
    payment = pay("mollie")
    body = fake_mollie.set_status(payment["provider_payment_id"], "paid")
    fake_mollie.faults.fail_next = 1
    assert post(client, body).status_code == 503


def test_concurrent_duplicate_deliveries(app, fake_mollie, pay, session_factory):
    payment = pay("mollie")
    body = fake_mollie.set_status(payment["provider_payment_id"], "paid")
    barrier, outcomes = threading.Barrier(5), []

    def one():
        barrier.wait()
        outcomes.append(
            webhooks.receive(
                factory=app.state.session_factory,
                providers=app.state.payment_providers,
                provider="mollie",
                body=body,
                headers={"content-type": FORM["Content-Type"]},
            ).outcome
        )

    threads = [threading.Thread(target=one) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Exactly one delivery changes the payment; the others read the same (or an older) state.
    assert outcomes.count("processed") == 1
    assert set(outcomes) - {"processed"} <= {"unchanged", "stale"}
