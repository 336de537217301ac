"""Issue 13 item 2: a new payment asks only what paid and open payments do not cover, under
the invoice's row lock (SQLite: the write lock); money the providers still report beyond
the total makes the invoice ``overpaid`` (API, audit, metric, suggested refund). Both DBs,
the real SDKs against the strict fakes, real concurrent requests on loopback."""

from __future__ import annotations

import threading
import uuid

import httpx
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.payments.models import Payment
from server.payments.providers.base import CreatePayment
from tests.helpers.fakes.server import FakeServer

STRIPE = "/api/v1/webhooks/stripe"
MOLLIE = "/api/v1/webhooks/mollie"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _start(http, base, admin, invoice_id, provider, **body):
    return http.post(
        f"{base}/api/v1/invoices/{invoice_id}/payments",
        json={"provider": provider, **body},
        headers=admin,
    )


def test_concurrent_starts_make_one_payment_and_name_it(
    app, admin, fake_stripe, open_invoice, session_factory
):
    """Six simultaneous starts for one invoice over real HTTP: one payment at the provider;
    the others are 409 ``invoice_covered`` naming it. (The old code made six.)"""
    invoice_id, total = open_invoice
    # Each provider call takes a while, so the requests overlap inside the server.
    fake_stripe.faults.delay = lambda path: 0.2 if path == "/v1/payment_intents" else 0.0
    n = 6
    barrier = threading.Barrier(n)
    answers: list[httpx.Response] = []
    lock = threading.Lock()
    with FakeServer(app) as base, httpx.Client(timeout=60) as http:

        def start() -> None:
            barrier.wait()
            r = _start(http, base, admin, invoice_id, "stripe")
            with lock:
                answers.append(r)

        threads = [threading.Thread(target=start) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * (n - 1), [r.text for r in answers]
    created = next(r.json() for r in answers if r.status_code == 201)
    assert created["amount_cents"] == total
    for r in answers:
        if r.status_code == 409:
            error = r.json()["error"]
            assert error["code"] == "invoice_covered"
            assert created["id"] in error["message"]
            assert [p["payment_id"] for p in error["details"]["open_payments"]] == [created["id"]]
            assert error["details"]["due_cents"] == 0
    assert len(fake_stripe.payment_intents) == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_part_payment_leaves_the_rest_and_a_failed_one_frees_its_part(
    client, admin, fake_stripe, fake_mollie, open_invoice
):
    invoice_id, total = open_invoice
    base = str(client.base_url).rstrip("/")
    part = _start(client, base, admin, invoice_id, "stripe", amount_cents=10_000)
    assert part.status_code == 201, part.text
    coverage = client.get(f"/api/v1/invoices/{invoice_id}/coverage", headers=admin).json()
    assert (coverage["due_cents"], coverage["in_flight_cents"]) == (total - 10_000, 10_000)
    # More than the rest while the part is open: 409 naming the open part.
    too_much = _start(client, base, admin, invoice_id, "mollie", amount_cents=total)
    assert too_much.status_code == 409
    assert too_much.json()["error"]["details"]["open_payments"][0]["payment_id"] == (
        part.json()["id"]
    )
    rest = _start(client, base, admin, invoice_id, "mollie", method="ideal")
    assert rest.status_code == 201, rest.text
    assert rest.json()["amount_cents"] == total - 10_000
    covered = _start(client, base, admin, invoice_id, "mollie")
    assert covered.status_code == 409 and covered.json()["error"]["code"] == "invoice_covered"
    # The part fails at Stripe: its amount may be asked again.
    body, headers = fake_stripe.signed(fake_stripe.fail(part.json()["provider_payment_id"]))
    assert client.post(STRIPE, content=body, headers=headers).json()["outcome"] == "processed"
    again = _start(client, base, admin, invoice_id, "mollie", method="ideal")
    assert again.status_code == 201, again.text
    assert again.json()["amount_cents"] == 10_000
    # More than the invoice could ever owe is no matter of open payments: 400 with a code.
    bad = _start(client, base, admin, invoice_id, "stripe", amount_cents=total + 1)
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "payment_amount_out_of_range"


def _metric(client, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_paid_through_mollie_and_stripe_is_overpaid_and_the_excess_refunds_exactly(
    client, admin, fake_stripe, fake_mollie, open_invoice, session_factory
):
    """The Stripe card payment fails, Mollie is paid in full, then the customer completes the
    Stripe PaymentIntent after all: twice the total at the providers. (Old code: ``paid``
    at twice its total, no alert.)"""
    invoice_id, total = open_invoice
    base = str(client.base_url).rstrip("/")
    stripe_pay = _start(client, base, admin, invoice_id, "stripe").json()
    pi = stripe_pay["provider_payment_id"]
    body, headers = fake_stripe.signed(fake_stripe.fail(pi))
    client.post(STRIPE, content=body, headers=headers)
    mollie_pay = _start(client, base, admin, invoice_id, "mollie", method="ideal").json()
    body = fake_mollie.set_status(mollie_pay["provider_payment_id"], "paid")
    assert client.post(MOLLIE, content=body, headers=FORM).json()["outcome"] == "processed"
    assert client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()["state"] == "paid"
    assert _metric(client, "rentguy_invoices_overpaid") == 0

    body, headers = fake_stripe.signed(fake_stripe.succeed(pi))
    assert client.post(STRIPE, content=body, headers=headers).json()["outcome"] == "processed"
    invoice = client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()
    assert (invoice["state"], invoice["paid_cents"], invoice["overpaid_cents"]) == (
        "overpaid",
        2 * total,
        total,
    )
    assert _metric(client, "rentguy_invoices_overpaid") == 1
    assert _metric(client, "rentguy_invoices_overpaid_cents") == total
    with session_factory() as session:
        alerts = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "invoice.overpaid")
        ).all()
    assert len(alerts) == 1 and alerts[0].target_id == str(invoice_id)
    assert alerts[0].details["overpaid_cents"] == total
    # Nothing more can be started for it.
    assert _start(client, base, admin, invoice_id, "mollie").status_code == 409

    # The suggested refund is the newest paid payment's, for exactly the excess.
    coverage = client.get(f"/api/v1/invoices/{invoice_id}/coverage", headers=admin).json()
    assert coverage["overpaid_cents"] == total
    assert coverage["suggested_refunds"] == [
        {
            "payment_id": stripe_pay["id"],
            "provider": "stripe",
            "provider_payment_id": pi,
            "amount_cents": total,
        }
    ]
    suggestion = coverage["suggested_refunds"][0]
    r = client.post(
        f"/api/v1/payments/{suggestion['payment_id']}/refunds",
        json={
            "amount_cents": suggestion["amount_cents"],
            "request_key": "overpaid-0001",
            "reason": "paid twice",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    invoice = client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()
    assert (invoice["state"], invoice["refunded_cents"], invoice["overpaid_cents"]) == (
        "paid",
        total,
        0,
    )
    assert _metric(client, "rentguy_invoices_overpaid") == 0
    coverage = client.get(f"/api/v1/invoices/{invoice_id}/coverage", headers=admin).json()
    assert coverage["suggested_refunds"] == []


def test_an_excess_refund_on_its_way_is_not_suggested_again(
    client, admin, fake_stripe, fake_mollie, open_invoice
):
    """Mollie pays a refund out later: while it is pending the invoice stays overpaid (the
    money is still here), but the suggestion drops to what no refund covers yet."""
    invoice_id, total = open_invoice
    base = str(client.base_url).rstrip("/")
    stripe_pay = _start(client, base, admin, invoice_id, "stripe").json()
    pi = stripe_pay["provider_payment_id"]
    body, headers = fake_stripe.signed(fake_stripe.fail(pi))
    client.post(STRIPE, content=body, headers=headers)
    mollie_pay = _start(client, base, admin, invoice_id, "mollie", method="ideal").json()
    client.post(
        MOLLIE, content=fake_mollie.set_status(mollie_pay["provider_payment_id"], "paid"),
        headers=FORM,
    )
    body, headers = fake_stripe.signed(fake_stripe.succeed(pi))
    client.post(STRIPE, content=body, headers=headers)
    # Refund the excess from the Mollie payment instead (the bookkeeper's choice).
    r = client.post(
        f"/api/v1/payments/{mollie_pay['id']}/refunds",
        json={"amount_cents": total, "request_key": "overpaid-mollie-1"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["stage"] == "pending"
    invoice = client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()
    assert (invoice["state"], invoice["refund_pending_cents"], invoice["overpaid_cents"]) == (
        "overpaid",
        total,
        total,
    )
    coverage = client.get(f"/api/v1/invoices/{invoice_id}/coverage", headers=admin).json()
    assert coverage["suggested_refunds"] == []
    body = fake_mollie.settle_refunds(mollie_pay["provider_payment_id"])
    assert client.post(MOLLIE, content=body, headers=FORM).json()["outcome"] == "processed"
    invoice = client.get(f"/api/v1/invoices/{invoice_id}", headers=admin).json()
    assert (invoice["state"], invoice["refunded_cents"], invoice["refund_pending_cents"]) == (
        "paid",
        total,
        0,
    )


def test_coverage_of_an_unknown_invoice_is_404(client, admin):
    r = client.get(f"/api/v1/invoices/{uuid.uuid4()}/coverage", headers=admin)
    assert r.status_code == 404


def test_a_canceled_open_payment_frees_its_amount(
    client, admin, fake_stripe, fake_mollie, open_invoice, session_factory
):
    """The way out of a 409 ``invoice_covered``: cancel the open payment (Stripe cancels an
    open PaymentIntent; Mollie will not cancel an open iDEAL payment, it expires)."""
    invoice_id, total = open_invoice
    base = str(client.base_url).rstrip("/")
    first = _start(client, base, admin, invoice_id, "stripe").json()
    assert _start(client, base, admin, invoice_id, "mollie").status_code == 409
    r = client.post(f"/api/v1/payments/{first['id']}/cancel", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "canceled"
    assert fake_stripe.payment_intents[first["provider_payment_id"]]["status"] == "canceled"
    mollie = _start(client, base, admin, invoice_id, "mollie", method="ideal")
    assert mollie.status_code == 201 and mollie.json()["amount_cents"] == total
    # An open iDEAL payment cannot be canceled at Mollie: 409 saying when it expires.
    refused = client.post(f"/api/v1/payments/{mollie.json()['id']}/cancel", headers=admin)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "payment_not_cancelable" and error["details"]["expires_at"]
    # A paid (or canceled) payment is not canceled.
    again = client.post(f"/api/v1/payments/{first['id']}/cancel", headers=admin)
    assert again.status_code == 409 and again.json()["error"]["code"] == "payment_not_open"
    with session_factory() as session:
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment.canceled")
        ).all()
    assert [a.target_id for a in audit] == [first["id"]]


def test_stripe_refuses_to_cancel_a_payment_paid_meanwhile(
    client, admin, fake_stripe, open_invoice
):
    invoice_id, _ = open_invoice
    base = str(client.base_url).rstrip("/")
    payment = _start(client, base, admin, invoice_id, "stripe").json()
    fake_stripe.succeed(payment["provider_payment_id"])  # its webhook has not arrived yet
    r = client.post(f"/api/v1/payments/{payment['id']}/cancel", headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "payment_not_cancelable"
    assert fake_stripe.payment_intents[payment["provider_payment_id"]]["status"] == "succeeded"


def test_mollie_cancels_what_it_marks_cancelable(app, fake_mollie):
    """The adapter's cancel against the strict fake with the real SDK: an open bank transfer
    is cancelable at Mollie (DELETE /v2/payments/{id}), and then final."""
    mollie = app.state.payment_providers.get("mollie")
    created = mollie.create_payment(
        CreatePayment(
            invoice_id=str(uuid.uuid4()),
            invoice_number="2026-09999",
            amount_cents=1_000,
            currency="EUR",
            description="Invoice 2026-09999",
            idempotency_key=f"cancel-test-{uuid.uuid4()}",
            return_url="https://rentguy.example/paid",
            method="banktransfer",
        )
    )
    snapshot = mollie.cancel_payment(created.provider_payment_id)
    assert (snapshot.status, snapshot.provider_status) == ("canceled", "canceled")
    assert "isCancelable" not in fake_mollie.payments[created.provider_payment_id]
