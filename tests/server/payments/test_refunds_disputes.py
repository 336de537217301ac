"""Refunds (admin and provider-initiated) and chargebacks/disputes, on both providers."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.payments.models import Chargeback, Refund

STRIPE = "/api/v1/webhooks/stripe"
MOLLIE = "/api/v1/webhooks/mollie"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def paid_stripe(client, fake, pay) -> dict:
    payment = pay("stripe")
    body, headers = fake.signed(fake.succeed(payment["provider_payment_id"]))
    assert client.post(STRIPE, content=body, headers=headers).status_code == 200
    return payment


def paid_mollie(client, fake, pay) -> dict:
    payment = pay("mollie", method="ideal")
    body = fake.set_status(payment["provider_payment_id"], "paid")
    assert client.post(MOLLIE, content=body, headers=FORM).json()["outcome"] == "processed"
    return payment


def refund(client, admin, payment_id, cents, key):
    return client.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount_cents": cents, "request_key": key, "reason": "damaged speaker"},
        headers=admin,
    )


def state(client, admin, invoice_id, payment_id) -> tuple:
    inv = client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()
    pay = client.get(f"/api/v1/payments/{payment_id}", headers=admin).json()
    return (
        inv["state"],
        inv["paid_cents"],
        inv["refunded_cents"],
        inv["charged_back_cents"],
        pay["status"],
        pay["dispute_status"],
    )


def test_partial_then_full_refunds_are_summed_and_audited(
    client, admin, fake_stripe, pay, open_invoice, session_factory
):
    invoice_id, total = open_invoice
    payment = paid_stripe(client, fake_stripe, pay)
    r = refund(client, admin, payment["id"], 10_000, "refund-0001")
    assert r.status_code == 201, r.text
    assert state(client, admin, invoice_id, payment["id"])[:3] == (
        "partially_refunded",
        total,
        10_000,
    )
    assert refund(client, admin, payment["id"], 20_251, "refund-0002").status_code == 409
    assert refund(client, admin, payment["id"], 20_250, "refund-0002").status_code == 201
    assert state(client, admin, invoice_id, payment["id"])[:3] == ("refunded", total, total)
    with session_factory() as session:
        refunds = session.scalars(select(Refund)).all()
        assert sorted(r.amount_cents for r in refunds) == [10_000, 20_250]
        assert {r.initiated_by for r in refunds} == {"admin"}
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment.refunded")
        ).all()
        assert len(audit) == 2 and audit[0].actor_user_id is not None


def test_duplicate_refund_request_refunds_once(client, admin, fake_stripe, pay, open_invoice):
    payment = paid_stripe(client, fake_stripe, pay)
    first = refund(client, admin, payment["id"], 5_000, "same-key-1")
    again = refund(client, admin, payment["id"], 5_000, "same-key-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["provider_refund_id"] == again.json()["provider_refund_id"]
    assert len(fake_stripe.refunds) == 1
    assert state(client, admin, open_invoice[0], payment["id"])[2] == 5_000


def test_provider_initiated_refunds_via_webhook_and_duplicates(
    client, admin, fake_stripe, pay, open_invoice
):
    payment = paid_stripe(client, fake_stripe, pay)
    pi_id = payment["provider_payment_id"]
    first = fake_stripe.refund(pi_id, 1_000)
    second = fake_stripe.refund(pi_id, 2_000)
    for event in (second, first, second):  # out of order, one duplicate
        body, headers = fake_stripe.signed(event)
        assert client.post(STRIPE, content=body, headers=headers).status_code == 200
    assert state(client, admin, open_invoice[0], payment["id"])[:3] == (
        "partially_refunded",
        30_250,
        3_000,
    )
    listed = client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin).json()["items"]
    assert sorted(r["amount_cents"] for r in listed) == [1_000, 2_000]


def test_refund_of_unpaid_payment_is_409(client, admin, pay):
    payment = pay("stripe")
    r = refund(client, admin, payment["id"], 100, "too-early-1")
    assert r.status_code == 409


def test_refund_needs_the_refund_permission(client, user_headers, fake_stripe, pay):
    payment = paid_stripe(client, fake_stripe, pay)
    planner = user_headers("planner")
    assert refund(client, planner, payment["id"], 100, "planner-key").status_code == 403


def test_stripe_dispute_created_then_won(client, admin, fake_stripe, pay, open_invoice):
    payment = paid_stripe(client, fake_stripe, pay)
    pi_id = payment["provider_payment_id"]
    created = fake_stripe.dispute(pi_id)
    body, headers = fake_stripe.signed(created)
    client.post(STRIPE, content=body, headers=headers)
    assert state(client, admin, open_invoice[0], payment["id"]) == (
        "paid",
        30_250,
        0,
        30_250,
        "paid",
        "open",
    )
    closed = fake_stripe.close_dispute(pi_id, won=True)
    for event in (closed, created):  # the late "created" must not reopen it
        body, headers = fake_stripe.signed(event)
        client.post(STRIPE, content=body, headers=headers)
    assert state(client, admin, open_invoice[0], payment["id"]) == (
        "paid",
        30_250,
        0,
        0,
        "paid",
        "won",
    )


def test_stripe_dispute_lost(client, admin, fake_stripe, pay, open_invoice):
    payment = paid_stripe(client, fake_stripe, pay)
    pi_id = payment["provider_payment_id"]
    created = fake_stripe.dispute(pi_id)
    lost = fake_stripe.close_dispute(pi_id, won=False)
    for event in (lost, created):
        body, headers = fake_stripe.signed(event)
        client.post(STRIPE, content=body, headers=headers)
    assert state(client, admin, open_invoice[0], payment["id"]) == (
        "paid",
        30_250,
        0,
        30_250,
        "paid",
        "lost",
    )


def test_mollie_partial_full_and_duplicate_refunds(client, admin, fake_mollie, pay, open_invoice):
    payment = paid_mollie(client, fake_mollie, pay)
    assert refund(client, admin, payment["id"], 250, "mollie-r-1").status_code == 201
    assert refund(client, admin, payment["id"], 250, "mollie-r-1").status_code == 201  # resend
    assert len(fake_mollie.refunds[payment["provider_payment_id"]]) == 1
    # Mollie answers a new refund "pending": it counts once Mollie has paid it out.
    assert state(client, admin, open_invoice[0], payment["id"])[:3] == ("paid", 30_250, 0)
    settled = fake_mollie.settle_refunds(payment["provider_payment_id"])
    assert client.post(MOLLIE, content=settled, headers=FORM).json()["outcome"] == "processed"
    assert state(client, admin, open_invoice[0], payment["id"])[:3] == (
        "partially_refunded",
        30_250,
        250,
    )
    assert refund(client, admin, payment["id"], 30_000, "mollie-r-2").status_code == 201
    settled = fake_mollie.settle_refunds(payment["provider_payment_id"])
    assert client.post(MOLLIE, content=settled, headers=FORM).json()["outcome"] == "processed"
    assert state(client, admin, open_invoice[0], payment["id"])[:3] == ("refunded", 30_250, 30_250)
    # A dashboard refund's webhook after everything was refunded changes nothing.
    body = fake_mollie.webhook_body(payment["provider_payment_id"])
    assert client.post(MOLLIE, content=body, headers=FORM).json()["outcome"] == "unchanged"


def test_mollie_chargeback_lost_payment_stays_paid(client, admin, fake_mollie, pay, open_invoice):
    payment = paid_mollie(client, fake_mollie, pay)
    body = fake_mollie.chargeback(payment["provider_payment_id"])
    assert client.post(MOLLIE, content=body, headers=FORM).json()["outcome"] == "processed"
    assert state(client, admin, open_invoice[0], payment["id"]) == (
        "paid",
        30_250,
        0,
        30_250,
        "paid",
        "charged_back",
    )
    assert fake_mollie.payments[payment["provider_payment_id"]]["status"] == "paid"


def test_mollie_chargeback_reversed_is_won(client, admin, fake_mollie, pay, open_invoice):
    payment = paid_mollie(client, fake_mollie, pay)
    body = fake_mollie.chargeback(payment["provider_payment_id"])
    client.post(MOLLIE, content=body, headers=FORM)
    body = fake_mollie.reverse_chargeback(payment["provider_payment_id"])
    client.post(MOLLIE, content=body, headers=FORM)
    assert state(client, admin, open_invoice[0], payment["id"]) == (
        "paid",
        30_250,
        0,
        0,
        "paid",
        "reversed",
    )


def _chargebacks(session_factory, payment_id) -> list[tuple[str, int, bool]]:
    with session_factory() as session:
        rows = session.scalars(select(Chargeback).where(Chargeback.payment_id == payment_id))
        return sorted((c.provider_chargeback_id[:3], c.amount_cents, c.reversed) for c in rows)


def test_each_mollie_chargeback_is_kept_with_its_id(
    client, admin, fake_mollie, pay, session_factory
):
    """What bookkeeping exports one by one: chargebacks by their own ids, the money taken,
    and whether it came back."""
    mollie = paid_mollie(client, fake_mollie, pay)
    tr_id = mollie["provider_payment_id"]
    client.post(MOLLIE, content=fake_mollie.chargeback(tr_id, 10_000), headers=FORM)
    client.post(MOLLIE, content=fake_mollie.chargeback(tr_id, 5_000), headers=FORM)
    assert _chargebacks(session_factory, uuid.UUID(mollie["id"])) == [
        ("chb", 5_000, False),
        ("chb", 10_000, False),
    ]
    client.post(MOLLIE, content=fake_mollie.reverse_chargeback(tr_id), headers=FORM)
    assert [c[2] for c in _chargebacks(session_factory, uuid.UUID(mollie["id"]))] == [True, True]


def test_a_stripe_dispute_is_kept_and_never_un_reversed(
    client, admin, fake_stripe, pay, session_factory
):
    stripe_payment = paid_stripe(client, fake_stripe, pay)
    pi_id = stripe_payment["provider_payment_id"]
    created = fake_stripe.dispute(pi_id)
    won = fake_stripe.close_dispute(pi_id, won=True)
    for event in (won, created):  # the late "created" must not un-reverse it
        body, headers = fake_stripe.signed(event)
        client.post(STRIPE, content=body, headers=headers)
    assert _chargebacks(session_factory, uuid.UUID(stripe_payment["id"])) == [("dp_", 30_250, True)]


def test_a_refunds_later_status_is_stored(client, admin, fake_mollie, pay, session_factory):
    payment = paid_mollie(client, fake_mollie, pay)
    assert refund(client, admin, payment["id"], 1_000, "settle-1").status_code == 201
    with session_factory() as session:
        assert session.scalar(select(Refund.status)) == "pending"
    body = fake_mollie.settle_refunds(payment["provider_payment_id"])
    assert client.post(MOLLIE, content=body, headers=FORM).status_code == 200
    with session_factory() as session:
        assert session.scalar(select(Refund.status)) == "refunded"
