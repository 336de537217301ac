"""Exported contacts follow their customer: a changed customer updates its Moneybird contact
(PATCH) or Exact account (PUT) once, before its documents; an unchanged one costs no call.
Real invoicing tables on SQLite and PostgreSQL, the strict fakes on loopback."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from server.db import make_engine, make_session_factory, transaction
from server.exports.models import ExportRecord, RecordKind, Target
from server.exports.reconciliation.report import render_csv, render_html
from server.invoicing import service as invoicing
from server.invoicing.models import Customer
from server.invoicing.schemas import CustomerCreate
from tests.helpers.billing import make_invoice
from tests.server.exports.conftest import export_once
from tests.server.exports.test_customer_details import DETAILS, _invoice_to

MOVED = {"street": "Nieuwe Markt 3", "zipcode": "1011AB", "city": "Amsterdam"}


_run = export_once


def _change(session_factory, customer_id, **changes):
    with transaction(session_factory) as session:
        customer = session.get(Customer, customer_id)
        merged = {**invoicing.customer_details(customer), **changes}
        invoicing.update_customer(
            session=session,
            customer=customer,
            details=CustomerCreate.model_validate(merged).model_dump(),
        )


def _remote(target, fake_moneybird, fake_exact):
    """(posts counter, the one contact/account as the fake holds it, its address fields)."""
    if target is Target.MONEYBIRD:
        (contact,) = fake_moneybird.contacts.values()
        return fake_moneybird.posts, contact, ("address1", "zipcode", "city")
    (account,) = fake_exact.accounts.values()
    return fake_exact.posts, account, ("AddressLine1", "Postcode", "City")


@pytest.mark.parametrize("target", [Target.MONEYBIRD, Target.EXACT])
def test_a_moved_customer_updates_its_contact_once(
    session_factory, export_settings, http, fake_moneybird, fake_exact, target
):
    inv = _invoice_to(session_factory, DETAILS)
    _run(session_factory, export_settings, http, target)
    idle = _run(session_factory, export_settings, http, target).api_calls  # nothing new
    posts, contact, fields = _remote(target, fake_moneybird, fake_exact)
    fake = fake_moneybird if target is Target.MONEYBIRD else fake_exact
    before = dict(posts)

    _change(session_factory, inv.customer_id, **MOVED)
    run = _run(session_factory, export_settings, http, target)

    assert run.api_calls == idle + 1  # the update, nothing else
    assert fake.contact_updates == 1
    assert posts == before  # nothing posted again
    assert [contact[f] for f in fields] == ["Nieuwe Markt 3", "1011 AB", "Amsterdam"]
    (line,) = run.report["contacts"]
    assert (line["status"], line["address"]) == (
        "updated",
        "Nieuwe Markt 3, 1011 AB, Amsterdam, NL",
    )
    assert line["remote_id"] == contact.get("id", contact.get("ID"))
    assert "Nieuwe Markt 3, 1011 AB, Amsterdam, NL" in render_html(run)
    assert f'{line["customer"]},{line["name"]},"Nieuwe Markt 3, 1011 AB' in render_csv(run)

    again = _run(session_factory, export_settings, http, target)
    assert again.api_calls == idle
    assert again.report["contacts"] == []
    assert fake.contact_updates == 1


@pytest.mark.parametrize("target", [Target.MONEYBIRD, Target.EXACT])
def test_a_cleared_field_is_cleared_remotely(
    session_factory, export_settings, http, fake_moneybird, fake_exact, target
):
    inv = _invoice_to(session_factory, DETAILS)
    _run(session_factory, export_settings, http, target)
    _change(session_factory, inv.customer_id, kvk=None)
    _run(session_factory, export_settings, http, target)
    _posts, contact, _fields = _remote(target, fake_moneybird, fake_exact)
    if target is Target.MONEYBIRD:  # "" removes an optional attribute
        assert contact["chamber_of_commerce"] == ""
    else:
        assert contact["ChamberOfCommerce"] is None


@pytest.mark.parametrize("target", [Target.MONEYBIRD, Target.EXACT])
def test_the_fingerprint_survives_a_restart(
    session_factory, database_url, export_settings, http, fake_moneybird, fake_exact, target
):
    inv = _invoice_to(session_factory, DETAILS)
    _run(session_factory, export_settings, http, target)
    idle = _run(session_factory, export_settings, http, target).api_calls
    _change(session_factory, inv.customer_id, **MOVED)
    _run(session_factory, export_settings, http, target)

    engine = make_engine(database_url)  # a new process: only the database remembers
    try:
        again = _run(make_session_factory(engine), export_settings, http, target)
    finally:
        engine.dispose()
    assert again.api_calls == idle
    assert again.report["contacts"] == []


@pytest.mark.parametrize("target", [Target.MONEYBIRD, Target.EXACT])
def test_a_contact_deleted_remotely_is_made_again(
    session_factory, export_settings, http, fake_moneybird, fake_exact, target
):
    inv = _invoice_to(session_factory, DETAILS)
    _run(session_factory, export_settings, http, target)
    _posts, old, _fields = _remote(target, fake_moneybird, fake_exact)
    old_id = old.get("id", old.get("ID"))
    store = fake_moneybird.contacts if target is Target.MONEYBIRD else fake_exact.accounts
    store.clear()  # deleted in the target by someone

    _change(session_factory, inv.customer_id, **MOVED)
    later = make_invoice(session_factory, lines=[(5_000, 1)], customer=inv.customer.name)
    run = _run(session_factory, export_settings, http, target)

    posts, contact, fields = _remote(target, fake_moneybird, fake_exact)
    new_id = contact.get("id", contact.get("ID"))
    assert new_id != old_id
    assert [contact[f] for f in fields] == ["Nieuwe Markt 3", "1011 AB", "Amsterdam"]
    (line,) = run.report["contacts"]
    assert line["status"] == "recreated"
    assert line["remote_id"] == new_id and old_id in line["note"]
    assert "recreated" in render_csv(run) and old_id in render_html(run)
    if target is Target.MONEYBIRD:  # the new invoice is booked on the new contact
        (booked,) = [i for i in fake_moneybird.invoices.values() if i["reference"] == later.number]
        assert booked["contact_id"] == new_id
    else:
        (booked,) = [e for e in fake_exact.entries.values() if e["YourRef"] == later.number]
        assert booked["Customer"] == new_id
    with transaction(session_factory) as session:
        rec = session.query(ExportRecord).filter_by(target=target, kind=RecordKind.CONTACT).one()
        assert rec.remote_id == new_id

    idle = _run(session_factory, export_settings, http, target)
    assert idle.report["contacts"] == []


@pytest.mark.parametrize("target", [Target.MONEYBIRD, Target.EXACT])
def test_contacts_exported_before_fingerprints_are_updated_once(
    session_factory, export_settings, http, fake_moneybird, fake_exact, target
):
    _invoice_to(session_factory, DETAILS)
    _run(session_factory, export_settings, http, target)
    with transaction(session_factory) as session:  # as every contact record before this change
        session.execute(
            update(ExportRecord)
            .values(fingerprint=None)
            .where(ExportRecord.kind == RecordKind.CONTACT)
        )
    fake = fake_moneybird if target is Target.MONEYBIRD else fake_exact
    assert [
        line["status"]
        for line in _run(session_factory, export_settings, http, target).report["contacts"]
    ] == ["updated"]
    assert _run(session_factory, export_settings, http, target).report["contacts"] == []
    assert fake.contact_updates == 1


def test_a_refused_update_is_reported_and_tried_again(
    session_factory, export_settings, http, fake_moneybird
):
    inv = _invoice_to(session_factory, DETAILS)
    _run(session_factory, export_settings, http, Target.MONEYBIRD)
    (contact,) = fake_moneybird.contacts.values()
    _change(session_factory, inv.customer_id, **MOVED)
    later = make_invoice(session_factory, lines=[(5_000, 1)], customer=inv.customer.name)
    fake_moneybird.refuse_contact_updates = 1

    run = _run(session_factory, export_settings, http, Target.MONEYBIRD)
    (line,) = run.report["contacts"]
    assert line["status"] == "failed" and "422" in line["note"]
    assert contact["address1"] == DETAILS["street"]  # unchanged remotely
    (booked,) = [i for i in fake_moneybird.invoices.values() if i["reference"] == later.number]
    assert booked["contact_id"] == contact["id"]  # the document still went out

    again = _run(session_factory, export_settings, http, Target.MONEYBIRD)
    assert [line["status"] for line in again.report["contacts"]] == ["updated"]
    assert contact["address1"] == MOVED["street"]
