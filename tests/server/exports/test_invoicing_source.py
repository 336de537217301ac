"""The real document source: invoicing + payments tables -> export DTOs -> the strict fakes,
on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlalchemy import select

from server.db import transaction, utcnow
from server.exports.csv_file import write_csv
from server.exports.documents import DocumentKind, ExportLine, vat_cents
from server.exports.invoicing_source import InvoicingSource, customer_ref
from server.exports.models import ExportRecord, RunStatus, Target
from server.exports.service import run_export
from server.exports.sources import document_source
from server.invoicing import service as invoicing
from server.invoicing.models import Invoice
from server.payments.models import Payment
from tests.helpers.billing import make_invoice as _invoice
from tests.helpers.billing import record_payment as _paid


def test_maps_an_invoice_a_credit_note_and_a_payment(session_factory):
    transport = invoicing.FreeLine(
        description="Transport", qty=1, unit_price_cents=8_500, vat_rate=9
    )
    inv = _invoice(session_factory, lines=[(12_500, 2)], days=3, free=[transport], category="audio")
    pay = _paid(session_factory, inv, provider="mollie")
    with transaction(session_factory) as session:
        note = invoicing.create_credit_note(
            session=session,
            invoice_id=inv.id,
            lines=[
                invoicing.FreeLine(
                    description="Transport", qty=1, unit_price_cents=8_500, vat_rate=9
                )
            ],
            issue_date=date(2026, 6, 5),
        )
        note_id, note_number = note.id, note.number

    source = InvoicingSource(session_factory)
    docs = {d.id: d for d in source.documents(since=None)}
    doc = docs[str(inv.id)]
    assert (doc.kind, doc.number, doc.date) == (DocumentKind.INVOICE, inv.number, date(2026, 6, 2))
    assert doc.due_date == date(2026, 6, 16)
    assert doc.lines == (
        ExportLine(inv.lines[0].description, 75_000, 21, "audio", 15_750),
        ExportLine("Transport", 8_500, 9, "other", 765),
    )
    assert (doc.net_cents(), doc.vat_cents(), doc.gross_cents()) == (
        inv.subtotal_cents,
        inv.vat_cents,
        inv.total_cents,
    )
    ref = doc.customer.ref
    assert ref == customer_ref(inv.customer_id) and len(ref) <= 18
    assert doc.customer.id == str(inv.customer_id) and doc.customer.name == inv.customer.name

    credit = docs[str(note_id)]
    assert (credit.kind, credit.number, credit.credited_number) == (
        DocumentKind.CREDIT_NOTE,
        note_number,
        inv.number,
    )
    assert credit.customer == doc.customer
    assert credit.lines == (ExportLine("Transport", 8_500, 9, "other", 765),)
    assert credit.gross_cents() == 9_265

    (exported,) = source.payments(since=None)
    assert (exported.id, exported.document_id, exported.amount_cents) == (
        str(pay.id),
        str(inv.id),
        inv.total_cents,
    )
    assert (exported.date, exported.method) == (date(2026, 6, 3), "mollie")
    assert exported.extra["refunded_cents"] == 0
    assert source.document(str(inv.id)) == doc and source.document(str(note_id)) == credit


def test_drafts_and_cancelled_invoices_and_unpaid_payments_are_not_exported(session_factory):
    draft = _invoice(session_factory, lines=[(1_000, 1)], state="draft")
    cancelled = _invoice(session_factory, lines=[(1_000, 1)], state="cancelled")
    live = _invoice(session_factory, lines=[(1_000, 1)])
    _paid(session_factory, live)
    with transaction(session_factory) as session:  # a payment still at the provider
        session.add(
            Payment(
                invoice_id=live.id,
                provider="stripe",
                provider_payment_id="pi_open",
                idempotency_key="open-1",
                amount_cents=5,
                currency="EUR",
                status="open",
            )
        )
    voided = _invoice(session_factory, lines=[(1_000, 1)])
    with transaction(session_factory) as session:  # credited, then cancelled
        note = invoicing.create_credit_note(session=session, invoice_id=voided.id)
        invoicing.cancel_invoice(session=session, invoice_id=voided.id)
        note_id = note.id
    source = InvoicingSource(session_factory)
    assert [d.id for d in source.documents(since=None)] == [str(live.id)]
    assert source.document(str(draft.id)) is None
    assert source.document(str(note_id)) is None
    assert source.document(str(cancelled.id)) is None
    assert source.document("not-a-uuid") is None
    assert [p.document_id for p in source.payments(since=None)] == [str(live.id)]


def test_since_returns_what_changed(session_factory):
    first = _invoice(session_factory, lines=[(1_000, 1)])
    mark = utcnow()
    second = _invoice(session_factory, lines=[(2_000, 1)])
    source = InvoicingSource(session_factory)
    assert [d.id for d in source.documents(since=mark)] == [str(second.id)]
    assert list(source.payments(since=mark)) == []
    _paid(session_factory, first)  # a payment moves the invoice's updated_at too
    assert {d.id for d in source.documents(since=mark)} == {str(first.id), str(second.id)}
    assert len(list(source.payments(since=mark))) == 1
    assert list(source.documents(since=utcnow() + timedelta(seconds=5))) == []


def _issued_under_the_per_line_rule(factory, invoice: Invoice) -> Invoice:
    """Rewrite an invoice's VAT as the old rule (per line, before migration 0007) left it."""
    with transaction(factory) as session:
        inv = session.get(Invoice, invoice.id)
        for line in inv.lines:
            line.vat_cents = vat_cents(line.net_cents, line.vat_rate)
        inv.vat_cents = sum(line.vat_cents for line in inv.lines)
        inv.total_cents = inv.subtotal_cents + inv.vat_cents
        session.flush()
        session.expunge_all()
        return inv


def test_vat_is_per_rate_and_an_old_invoice_keeps_its_own(session_factory):
    # Two lines of 2.50 at 21 %: 0.525 -> 0.53 per line (1.06), but 5.00 x 21 % = 1.05.
    new = _invoice(session_factory, lines=[(250, 1), (250, 1)])
    assert (new.subtotal_cents, new.vat_cents, new.total_cents) == (500, 105, 605)
    old = _issued_under_the_per_line_rule(
        session_factory, _invoice(session_factory, lines=[(250, 1), (250, 1)])
    )
    assert old.total_cents == 606
    docs = {d.id: d for d in InvoicingSource(session_factory).documents(since=None)}
    new_doc, old_doc = docs[str(new.id)], docs[str(old.id)]
    assert new_doc.vat_by_rate() == {21: (500, 105)} and new_doc.line_vats() == [53, 52]
    assert new_doc.rounding_rule_mismatch() == {}
    # The old one is exported as issued: the total the customer was charged.
    assert old_doc.vat_by_rate() == {21: (500, 106)} and old_doc.gross_cents() == 606
    assert old_doc.rounding_rule_mismatch() == {21: 1}
    out = io.StringIO()
    write_csv([new_doc, old_doc], out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["vat"] for r in rows] == ["0.53", "0.52", "0.53", "0.53"]


def test_an_old_invoice_reaches_exact_with_its_own_total(
    session_factory, export_settings, http, fake_exact
):
    """Exact takes a VAT amount per line: even an invoice issued under the per-line rule is
    booked with exactly the VAT the customer was charged."""
    old = _issued_under_the_per_line_rule(
        session_factory, _invoice(session_factory, lines=[(250, 1), (250, 1)])
    )
    run = run_export(
        session_factory=session_factory,
        settings=export_settings,
        target=Target.EXACT,
        source=document_source(session_factory),
        http=http,
    )
    assert run.status == RunStatus.SUCCEEDED, run.message
    (row,) = run.report["vat"]
    assert (
        (row["local_net"], row["local_vat"])
        == (row["remote_net"], row["remote_vat"])
        == (
            500,
            106,
        )
    )
    assert row["local_net"] + row["local_vat"] == old.total_cents
    assert run.report["mismatches"] == []


def test_end_to_end_to_moneybird_exactly_once(
    session_factory, export_settings, http, fake_moneybird
):
    inv = _invoice(session_factory, lines=[(12_500, 2), (3_300, 3)], days=2, category="rental")
    pay = _paid(session_factory, inv, provider="stripe")
    assert inv.total_cents == (50_000 + 19_800) * 121 // 100

    def run():
        return run_export(
            session_factory=session_factory,
            settings=export_settings,
            target=Target.MONEYBIRD,
            source=document_source(session_factory),
            http=http,
        )

    first = run()
    assert first.status == RunStatus.SUCCEEDED, first.message
    assert (first.total, first.exported, first.failed) == (2, 2, 0)
    assert fake_moneybird.posts == {"contacts": 1, "invoices": 1, "payments": 1}
    assert fake_moneybird.invoice_count_by_reference() == {inv.number: 1}
    (contact,) = fake_moneybird.contacts.values()
    assert contact["customer_id"] == customer_ref(inv.customer_id)
    (remote,) = fake_moneybird.invoices.values()
    (tax,) = remote["tax_totals"]
    assert tax["taxable_amount"] == "698.00" and tax["tax_amount"] == "146.58"
    assert inv.total_cents == 84_458
    (remote_pay,) = remote["payments"]
    assert remote_pay["price"] == "844.58"
    assert remote_pay["transaction_identifier"] == str(pay.id)
    (row,) = first.report["vat"]
    assert (row["local_net"], row["local_vat"]) == (row["remote_net"], row["remote_vat"])
    (matched,) = first.report["payments_matched"]
    assert (matched["payment"], matched["kind"], matched["status"]) == (
        str(pay.id),
        "payment",
        "exported",
    )
    assert matched["amount"] == matched["remote_amount"] == inv.total_cents

    second = run()
    assert second.status == RunStatus.SUCCEEDED, second.message
    assert second.exported == 0
    assert fake_moneybird.posts == {"contacts": 1, "invoices": 1, "payments": 1}
    with transaction(session_factory) as session:
        assert len(session.scalars(select(ExportRecord)).all()) == 3


def test_moneybird_shows_an_old_invoices_rounding_cent_in_the_report(
    session_factory, export_settings, http, fake_moneybird
):
    """Moneybird takes no VAT amount per line and rounds per rate: an invoice issued under
    the old per-line rule differs by a cent there, and the report names it, never hides it.
    An invoice made under the per-rate rule matches to the cent."""
    old = _issued_under_the_per_line_rule(
        session_factory, _invoice(session_factory, lines=[(250, 1), (250, 1)])
    )
    _invoice(session_factory, lines=[(250, 1), (250, 1)])
    run = run_export(
        session_factory=session_factory,
        settings=export_settings,
        target=Target.MONEYBIRD,
        source=document_source(session_factory),
        http=http,
    )
    assert run.status == RunStatus.SUCCEEDED, run.message
    (row,) = run.report["vat"]
    assert (row["local_vat"], row["remote_vat"]) == (106 + 105, 105 + 105)
    (mismatch,) = run.report["mismatches"]
    assert mismatch["number"] == old.number and mismatch["rate"] == "21"
    assert (mismatch["local_vat"], mismatch["remote_vat"]) == (106, 105)
    assert "per-line" in mismatch["note"]
