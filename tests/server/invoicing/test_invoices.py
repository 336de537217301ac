"""Invoices from projects, gapless numbers under concurrency, states, credit notes, routes."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select

from server.db import transaction
from server.errors import BadRequest, Conflict
from server.invoicing import service
from server.invoicing.models import Invoice
from tests.helpers.billing import make_project


def test_invoice_from_project_rental_and_free_lines(session_factory):
    with transaction(session_factory) as session:
        # 3 days; 2 × €125.00/day and 10 × €1.50/day; a free transport line at 9 %.
        project = make_project(session, lines=[(12_500, 2), (150, 10)], days=3)
        invoice = service.create_invoice_from_project(
            session=session,
            project_id=project.id,
            free_lines=[
                service.FreeLine("Transport", qty=1, unit_price_cents=4_999, vat_rate=9),
                service.FreeLine("Deposit", qty=1, unit_price_cents=10_000, vat_rate=0),
            ],
            issue_date=date(2026, 7, 1),
        )
        lines = [
            (ln.kind, ln.qty, ln.days, ln.net_cents, ln.vat_rate, ln.vat_cents)
            for ln in invoice.lines
        ]
        assert lines == [
            ("rental", 2, 3, 75_000, 21, 15_750),
            ("rental", 10, 3, 4_500, 21, 945),
            ("free", 1, 1, 4_999, 9, 450),  # 449.91 → 450
            ("free", 1, 1, 10_000, 0, 0),
        ]
        assert (invoice.subtotal_cents, invoice.vat_cents, invoice.total_cents) == (
            94_499,
            17_145,
            111_644,
        )
        assert invoice.state == "draft" and invoice.customer.name == "Acme BV"
        assert invoice.number.startswith("2026-")


def test_numbers_are_gapless_per_year(session_factory):
    with transaction(session_factory) as session:
        project = make_project(session, lines=[(100, 1)])
        numbers = [
            service.create_invoice_from_project(
                session=session, project_id=project.id, issue_date=date(year, 1, 2)
            ).number
            for year in (2026, 2026, 2027, 2026)
        ]
    assert numbers == ["2026-00001", "2026-00002", "2027-00001", "2026-00003"]


def test_a_rolled_back_creation_returns_its_number(session_factory):
    with transaction(session_factory) as session:
        project_id = make_project(session, lines=[(100, 1)]).id
    with pytest.raises(BadRequest), transaction(session_factory) as session:
        service.create_invoice_from_project(
            session=session, project_id=project_id, issue_date=date(2026, 3, 1)
        )
        raise BadRequest("something after the number failed")
    with transaction(session_factory) as session:
        again = service.create_invoice_from_project(
            session=session, project_id=project_id, issue_date=date(2026, 3, 1)
        )
        assert again.number == "2026-00001"


def test_concurrent_creation_never_duplicates_or_skips(session_factory):
    with transaction(session_factory) as session:
        project_id = make_project(session, lines=[(100, 1)]).id
    barrier, errors = threading.Barrier(8), []

    def create():
        barrier.wait()
        try:
            for _ in range(3):
                with transaction(session_factory) as session:
                    service.create_invoice_from_project(
                        session=session, project_id=project_id, issue_date=date(2026, 5, 5)
                    )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_factory() as session:
        numbers = sorted(session.scalars(select(Invoice.number)))
    assert numbers == [f"2026-{n:05d}" for n in range(1, 25)]


def test_states_and_cancel(session_factory):
    with transaction(session_factory) as session:
        project = make_project(session, lines=[(100, 1)])
        invoice = service.create_invoice_from_project(session=session, project_id=project.id)
        service.open_invoice(session=session, invoice_id=invoice.id)
        with pytest.raises(Conflict):
            service.open_invoice(session=session, invoice_id=invoice.id)
        service.cancel_invoice(session=session, invoice_id=invoice.id)
        assert invoice.state == "cancelled"


@pytest.mark.parametrize(
    "paid,refunded,state",
    [
        (0, 0, "open"),
        (100, 0, "partially_paid"),
        (1000, 0, "paid"),
        (1000, 10, "partially_refunded"),
        (1000, 1000, "refunded"),
        (400, 400, "refunded"),
        # Paid twice over: overpaid until the excess is refunded, then paid again.
        (2000, 0, "overpaid"),
        (1500, 100, "overpaid"),
        (2000, 1000, "paid"),
        (2000, 1500, "partially_refunded"),
        (2000, 2000, "refunded"),
    ],
)
def test_state_follows_the_payments(paid, refunded, state):
    """``refunded`` is refunds done; one still pending at the provider is not in it."""
    assert service.derive_state(total=1000, paid=paid, refunded=refunded, current="open") == state
    assert (
        service.derive_state(total=1000, paid=paid, refunded=refunded, current="cancelled")
        == "cancelled"
    )


def test_credit_notes_reference_and_never_exceed_the_invoice(session_factory):
    with transaction(session_factory) as session:
        project = make_project(session, lines=[(10_000, 1)])
        invoice = service.create_invoice_from_project(session=session, project_id=project.id)
        with pytest.raises(Conflict):  # drafts are edited, not credited
            service.create_credit_note(session=session, invoice_id=invoice.id)
        service.open_invoice(session=session, invoice_id=invoice.id)
        part = service.create_credit_note(
            session=session,
            invoice_id=invoice.id,
            reason="one day less",
            lines=[service.FreeLine("Discount", qty=1, unit_price_cents=2_000, vat_rate=21)],
        )
        assert (part.invoice_id, part.total_cents) == (invoice.id, 2_420)
        assert part.number.startswith("C") and part.number.endswith("-00001")
        with pytest.raises(Conflict):
            service.create_credit_note(session=session, invoice_id=invoice.id)  # 12100 > 9680
        rest = service.create_credit_note(
            session=session,
            invoice_id=invoice.id,
            lines=[service.FreeLine("Rest", qty=1, unit_price_cents=8_000, vat_rate=21)],
        )
        assert rest.number.endswith("-00002") and rest.total_cents == 9_680


def test_routes_and_permissions(client, user_headers, session_factory):
    with transaction(session_factory) as session:
        project_id = make_project(session, lines=[(12_500, 2)]).id
    admin, planner, crew = user_headers("admin"), user_headers("planner"), user_headers("crew")
    body = {
        "project_id": str(project_id),
        "free_lines": [
            {"description": "Crew", "qty": 2, "unit_price_cents": 35_000, "vat_rate": 21}
        ],
    }
    assert (
        client.post("/api/v1/invoices/from-project", json=body, headers=planner).status_code == 403
    )
    r = client.post("/api/v1/invoices/from-project", json=body, headers=admin)
    assert r.status_code == 201, r.text
    invoice = r.json()
    assert invoice["total_cents"] == (75_000 + 70_000) * 121 // 100  # 3 days of rental
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=planner).status_code == 200
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=crew).status_code == 403
    bad = {**body, "free_lines": [{**body["free_lines"][0], "vat_rate": 19}]}
    assert client.post("/api/v1/invoices/from-project", json=bad, headers=admin).status_code == 422
    assert client.post(f"/api/v1/invoices/{invoice['id']}/open", headers=admin).json()["state"] == (
        "open"
    )
    r = client.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "all"}, headers=admin
    )
    assert r.status_code == 201 and r.json()["total_cents"] == invoice["total_cents"]
    r = client.post("/api/v1/customers", json={"name": "Podium BV"}, headers=admin)
    assert r.status_code == 201
    assert (
        client.post("/api/v1/customers", json={"name": "Podium BV"}, headers=admin).status_code
        == 409
    )


def test_money_charged_back_is_not_held_so_not_overpaid():
    assert (
        service.derive_state(total=1000, paid=2000, refunded=0, charged_back=1000, current="paid")
        == "paid"
    )
