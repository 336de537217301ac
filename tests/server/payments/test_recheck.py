"""Re-check: stuck payments re-fetched once per pass, even with two workers at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid

from sqlalchemy import update

from server.cli import _payments_recheck, build_parser
from server.db import transaction, utcnow
from server.payments.models import Payment
from server.payments.recheck import RecheckLoop, recheck_once


def _due_now(session_factory) -> None:
    with transaction(session_factory) as session:
        session.execute(update(Payment).values(next_check_at=utcnow()))


def test_stuck_payment_is_refetched(
    app, client, admin, fake_stripe, fake_mollie, pay, open_invoice, session_factory
):
    stripe_payment = pay("stripe", amount_cents=10_000)
    mollie_payment = pay("mollie", amount_cents=20_250)
    fake_stripe.succeed(stripe_payment["provider_payment_id"])  # webhooks never arrived
    fake_mollie.set_status(mollie_payment["provider_payment_id"], "paid")
    _due_now(session_factory)
    stats = recheck_once(factory=app.state.session_factory, providers=app.state.payment_providers)
    assert stats["payments_checked"] == 2 and stats["payments_changed"] == 2
    invoice = client.get(f"/api/v1/invoices/{open_invoice[0]}", headers=admin).json()
    assert (invoice["state"], invoice["paid_cents"]) == ("paid", 30_250)
    # Paid is final: nothing left to reconcile.
    _due_now(session_factory)
    assert (
        recheck_once(factory=app.state.session_factory, providers=app.state.payment_providers)[
            "payments_checked"
        ]
        == 0
    )


def test_two_workers_never_take_the_same_payment(app, fake_stripe, session_factory):
    from server.payments import service
    from tests.helpers.billing import make_open_invoice

    for _ in range(6):
        invoice_id, _ = make_open_invoice(session_factory)
        with transaction(session_factory) as session:
            service.create_payment(
                session=session,
                providers=app.state.payment_providers,
                settings=app.state.settings,
                invoice_id=invoice_id,
                provider="stripe",
            )
    _due_now(session_factory)
    fake_stripe.faults.delay = 0.02  # keep both workers inside their pass together
    before = fake_stripe.request_count
    barrier, results = threading.Barrier(2), []

    def worker():
        barrier.wait()
        results.append(
            recheck_once(factory=app.state.session_factory, providers=app.state.payment_providers)
        )

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["payments_checked"] for r in results) == 6
    assert fake_stripe.request_count - before == 6  # one fetch per payment, not two


def test_background_loop_runs_passes(app, fake_stripe, pay, session_factory):
    payment_id = uuid.UUID(pay("stripe")["id"])
    fake_stripe.succeed(next(iter(fake_stripe.payment_intents)))
    _due_now(session_factory)
    loop = RecheckLoop(
        factory=app.state.session_factory, providers=app.state.payment_providers, interval=0.05
    )
    loop.start()
    try:
        for _ in range(200):  # up to 10 s on a loaded machine; usually one interval
            with session_factory() as session:
                status = session.get(Payment, payment_id).status
            if status == "paid":
                break
            time.sleep(0.05)
    finally:
        loop.stop()
    assert status == "paid"


def test_cli_payments_recheck_answers_to_its_old_name_too():
    # ``payments reconcile`` is what deployed crontabs call: the alias runs the same command.
    new = build_parser().parse_args(["payments", "recheck", "--limit", "7"])
    old = build_parser().parse_args(["payments", "reconcile", "--limit", "7"])
    assert new.func is old.func is _payments_recheck
    assert new.limit == old.limit == 7


def test_cli_payments_reconcile(settings, database_url, fake_mollie, pay, session_factory):
    # The old name (see the alias test above), run end to end as cron runs it.
    payment = pay("mollie")
    fake_mollie.set_status(payment["provider_payment_id"], "paid")
    _due_now(session_factory)
    env = {
        **os.environ,
        "RENTGUY_DATABASE_URL": database_url,
        "RENTGUY_MOLLIE_API_KEY": fake_mollie.api_key,
        "RENTGUY_MOLLIE_API_BASE": fake_mollie.url,
        "RENTGUY_ENVIRONMENT": "test",
    }
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "payments", "reconcile", "--limit", "10"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert json.loads(out)["payments_changed"] == 1
    with session_factory() as session:
        assert session.get(Payment, uuid.UUID(payment["id"])).status == "paid"


def test_an_unchanged_payment_waits_for_its_next_check(app, pay, session_factory):
    pay("stripe")  # open at the provider, nothing happens
    _due_now(session_factory)
    run = lambda: recheck_once(  # noqa: E731
        factory=app.state.session_factory, providers=app.state.payment_providers
    )
    assert run()["payments_checked"] == 1
    assert run()["payments_checked"] == 0  # next look in service.CHECK_AFTER, not every pass


def test_app_lifespan_starts_the_loop_when_enabled(settings, session_factory, fake_mollie):
    from fastapi.testclient import TestClient

    from server.app import create_app
    from server.payments import service
    from tests.helpers.billing import make_open_invoice

    app = create_app(settings.model_copy(update={"payments_reconcile_interval": 0.05}))
    invoice_id, _ = make_open_invoice(session_factory)
    with transaction(session_factory) as session:
        payment = service.create_payment(
            session=session,
            providers=app.state.payment_providers,
            settings=settings,
            invoice_id=invoice_id,
            provider="mollie",
        )
    fake_mollie.set_status(payment.provider_payment_id, "paid")
    _due_now(session_factory)
    with TestClient(app):
        for _ in range(200):
            with session_factory() as session:
                status = session.get(Payment, payment.id).status
            if status == "paid":
                break
            time.sleep(0.05)
    app.state.engine.dispose()
    assert status == "paid"
