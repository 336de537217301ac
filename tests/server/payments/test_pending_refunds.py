"""Issue 13 item 3: a refund counts in the money returned once the provider says it is done
(Mollie ``refunded``, Stripe ``succeeded``); until then it shows apart as pending, and a
failed or canceled one counts nothing. Both providers through their real SDKs against the
strict fakes, both databases; the export sends only refunds that are done."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from server.db import transaction, utcnow
from server.exports.invoicing_source import InvoicingSource
from server.payments.models import Payment
from server.payments.recheck import recheck_once

STRIPE = "/api/v1/webhooks/stripe"
MOLLIE = "/api/v1/webhooks/mollie"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _paid(client, pay, fake_stripe, fake_mollie, provider: str) -> dict:
    if provider == "stripe":
        payment = pay("stripe")
        body, headers = fake_stripe.signed(fake_stripe.succeed(payment["provider_payment_id"]))
        assert client.post(STRIPE, content=body, headers=headers).status_code == 200
    else:
        payment = pay("mollie", method="ideal")
        body = fake_mollie.set_status(payment["provider_payment_id"], "paid")
        assert client.post(MOLLIE, content=body, headers=FORM).json()["outcome"] == "processed"
    return payment


def _refund(client, admin, payment_id, cents, key):
    r = client.post(
        f"/api/v1/payments/{payment_id}/refunds",
        json={"amount_cents": cents, "request_key": key},
        headers=admin,
    )
    return r


def _money(client, admin, invoice_id, payment_id) -> tuple:
    inv = client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()
    pay = client.get(f"/api/v1/payments/{payment_id}", headers=admin).json()
    return (
        inv["state"],
        inv["refunded_cents"],
        inv["refund_pending_cents"],
        pay["amount_refunded_cents"],
        pay["amount_refund_pending_cents"],
    )


def _move(client, fake_stripe, fake_mollie, payment: dict, refund_id: str, status: str):
    """The provider moves one refund to ``status`` and tells us (webhook)."""
    if payment["provider"] == "stripe":
        body, headers = fake_stripe.signed(fake_stripe.set_refund_status(refund_id, status))
        answer = client.post(STRIPE, content=body, headers=headers)
    else:
        body = fake_mollie.set_refund_status(payment["provider_payment_id"], refund_id, status)
        answer = client.post(MOLLIE, content=body, headers=FORM)
    assert answer.status_code == 200, answer.text


# The statuses each provider moves a refund through before it is done.
ON_THE_WAY = {"mollie": ["pending", "processing"], "stripe": ["pending", "requires_action"]}


@pytest.mark.parametrize("provider", ["mollie", "stripe"])
def test_a_pending_refund_shows_apart_and_counts_once_done(
    provider, client, admin, fake_stripe, fake_mollie, pay, open_invoice
):
    invoice_id, total = open_invoice
    fake_stripe.refund_status = "pending"  # e.g. a bank-based method; Mollie always is
    payment = _paid(client, pay, fake_stripe, fake_mollie, provider)
    r = _refund(client, admin, payment["id"], 5_000, "pending-0001")
    assert r.status_code == 201, r.text
    refund = r.json()
    assert (refund["status"], refund["stage"]) == ("pending", "pending")
    # Old code: partially_refunded with 5000 refunded while Mollie had paid out nothing.
    assert _money(client, admin, invoice_id, payment["id"]) == ("paid", 0, 5_000, 0, 5_000)
    # More than what neither the payment's refunds nor the pending one took: refused.
    too_much = _refund(client, admin, payment["id"], total - 5_000 + 1, "pending-0002")
    assert too_much.status_code == 409
    assert too_much.json()["error"]["details"]["refundable_cents"] == total - 5_000
    for status in ON_THE_WAY[provider][1:]:
        _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], status)
        assert _money(client, admin, invoice_id, payment["id"])[:3] == ("paid", 0, 5_000)
    done = "refunded" if provider == "mollie" else "succeeded"
    _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], done)
    assert _money(client, admin, invoice_id, payment["id"]) == (
        "partially_refunded",
        5_000,
        0,
        5_000,
        0,
    )
    listed = client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin).json()["items"]
    assert [(x["status"], x["stage"]) for x in listed] == [(done, "done")]


@pytest.mark.parametrize(
    "provider,end",
    [("mollie", "failed"), ("mollie", "canceled"), ("stripe", "failed"), ("stripe", "canceled")],
)
def test_a_failed_or_canceled_refund_counts_nothing(
    provider, end, client, admin, fake_stripe, fake_mollie, pay, open_invoice
):
    invoice_id, total = open_invoice
    fake_stripe.refund_status = "pending"
    payment = _paid(client, pay, fake_stripe, fake_mollie, provider)
    refund = _refund(client, admin, payment["id"], 7_500, "void-0001").json()
    _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], end)
    assert _money(client, admin, invoice_id, payment["id"]) == ("paid", 0, 0, 0, 0)
    listed = client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=admin).json()["items"]
    assert [(x["status"], x["stage"]) for x in listed] == [(end, "void")]
    # Its amount can be refunded again: the provider agrees it went nowhere.
    again = _refund(client, admin, payment["id"], total, "void-0002")
    assert again.status_code == 201, again.text


def test_a_stripe_refund_that_fails_after_succeeding_stops_counting(
    client, admin, fake_stripe, fake_mollie, pay, open_invoice
):
    invoice_id, total = open_invoice
    payment = _paid(client, pay, fake_stripe, fake_mollie, "stripe")
    refund = _refund(client, admin, payment["id"], total, "late-fail-1").json()
    assert refund["stage"] == "done"
    assert _money(client, admin, invoice_id, payment["id"])[:3] == ("refunded", total, 0)
    # The bank returned it (Stripe: succeeded → failed); the money is ours again.
    _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], "failed")
    assert _money(client, admin, invoice_id, payment["id"]) == ("paid", 0, 0, 0, 0)


def test_reconciliation_follows_a_pending_refund_without_a_webhook(
    client, admin, fake_mollie, fake_stripe, pay, open_invoice, session_factory, app
):
    """Mollie pays a refund out and nobody tells us: the reconciliation job, which now also
    looks at paid payments with a refund on its way, counts it."""
    invoice_id, _ = open_invoice
    payment = _paid(client, pay, fake_stripe, fake_mollie, "mollie")
    with transaction(session_factory) as session:  # paid long ago: refunds are still followed
        session.execute(
            update(Payment)
            .where(Payment.id == uuid.UUID(payment["id"]))
            .values(created_at=utcnow() - timedelta(days=60))
        )
    _refund(client, admin, payment["id"], 2_500, "silent-0001")
    fake_mollie.settle_refunds(payment["provider_payment_id"])  # no webhook sent
    with transaction(session_factory) as session:
        row = session.get(Payment, uuid.UUID(payment["id"]))
        assert row.next_check_at is not None  # paid, but followed while a refund is pending
        session.execute(
            update(Payment)
            .where(Payment.id == row.id)
            .values(next_check_at=utcnow() - timedelta(seconds=1))
        )
    stats = recheck_once(factory=session_factory, providers=app.state.payment_providers)
    assert stats["payments_changed"] == 1
    assert _money(client, admin, invoice_id, payment["id"]) == (
        "partially_refunded",
        2_500,
        0,
        2_500,
        0,
    )
    with session_factory() as session:
        assert session.get(Payment, uuid.UUID(payment["id"])).next_check_at is None


def test_the_export_sends_a_refund_only_once_it_is_done(
    client, admin, fake_mollie, fake_stripe, pay, open_invoice, session_factory
):
    payment = _paid(client, pay, fake_stripe, fake_mollie, "mollie")
    refund = _refund(client, admin, payment["id"], 4_000, "export-0001").json()
    source = InvoicingSource(session_factory)
    moves = {m.id: (m.kind.value, m.amount_cents) for m in source.payments(since=None)}
    assert moves == {payment["id"]: ("payment", open_invoice[1])}  # no refund yet
    _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], "processing")
    assert len(list(source.payments(since=None))) == 1
    _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], "refunded")
    moves = {m.id: (m.kind.value, m.amount_cents) for m in source.payments(since=None)}
    assert moves == {
        payment["id"]: ("payment", open_invoice[1]),
        refund["id"]: ("refund", 4_000),
    }


def test_a_stripe_refund_failing_after_done_is_exported_as_its_reversal(
    client, admin, fake_stripe, fake_mollie, pay, open_invoice, session_factory
):
    """Exactly the money that moved: out with the refund, back in with its reversal."""
    payment = _paid(client, pay, fake_stripe, fake_mollie, "stripe")
    refund = _refund(client, admin, payment["id"], 3_000, "reverse-0001").json()
    source = InvoicingSource(session_factory)
    _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], "failed")
    moves = {m.id: (m.kind.value, m.amount_cents) for m in source.payments(since=None)}
    assert moves == {
        payment["id"]: ("payment", open_invoice[1]),
        refund["id"]: ("refund", 3_000),
        f"{refund['id']}-reversal": ("reversal", 3_000),
    }
    assert {m.id for m in source.movements([f"{refund['id']}-reversal"])} == {
        f"{refund['id']}-reversal"
    }


def test_a_refund_failing_before_done_is_never_exported(
    client, admin, fake_stripe, fake_mollie, pay, open_invoice, session_factory
):
    fake_stripe.refund_status = "pending"
    payment = _paid(client, pay, fake_stripe, fake_mollie, "stripe")
    refund = _refund(client, admin, payment["id"], 3_000, "never-0001").json()
    _move(client, fake_stripe, fake_mollie, payment, refund["provider_refund_id"], "failed")
    moves = {m.id for m in InvoicingSource(session_factory).payments(since=None)}
    assert moves == {payment["id"]}



def test_the_fakes_refuse_refund_moves_the_providers_never_make(fake_stripe, fake_mollie):
    pi = fake_stripe._create_pi({"amount": "1000", "currency": "eur"})["id"]
    fake_stripe.succeed(pi)
    refund = fake_stripe.refund(pi, 400, emit=False, status="pending")
    fake_stripe.set_refund_status(refund["id"], "succeeded")
    with pytest.raises(ValueError):
        fake_stripe.set_refund_status(refund["id"], "pending")  # never back
    with pytest.raises(ValueError):
        fake_stripe.refund(pi, 100, status="failed")  # no refund starts failed
    answer = httpx.get(
        f"{fake_stripe.url}/v1/payment_intents/{pi}",
        params={"expand[0]": "latest_charge.balance_transaction"},
        headers={"Authorization": f"Bearer {fake_stripe.api_key}"},
    )
    assert answer.status_code == 400 and "cannot be expanded" in answer.text

    tr = fake_mollie._create_payment(
        {"amount": {"currency": "EUR", "value": "10.00"}, "description": "x",
         "redirectUrl": "https://rentguy.example/r"}
    )[1]["id"]
    fake_mollie.set_status(tr, "paid")
    fake_mollie.refund(tr, 100)
    [mollie_refund] = fake_mollie.refunds[tr]
    fake_mollie.set_refund_status(tr, mollie_refund["id"], "processing")
    with pytest.raises(ValueError):
        fake_mollie.set_refund_status(tr, mollie_refund["id"], "canceled")  # too late
    fake_mollie.set_refund_status(tr, mollie_refund["id"], "refunded")
    with pytest.raises(ValueError):
        fake_mollie.set_refund_status(tr, mollie_refund["id"], "failed")
