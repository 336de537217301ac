"""An overpaid invoice is still exported (with both payments, the money that moved), and
the run's reconciliation report lists it with the refund that returns the excess, in HTML
and CSV: where the bookkeeper looks (both DBs)."""

from __future__ import annotations

from sqlalchemy import select

from server.db import transaction
from server.exports.documents import cents_to_str
from server.exports.models import RunStatus, Target
from server.exports.reconciliation.report import render_csv, render_html
from server.exports.service import run_export
from server.exports.sources import document_source
from server.invoicing.models import Invoice
from tests.helpers.billing import make_invoice, record_payment, record_refund


def test_an_overpaid_invoice_is_exported_and_reported(
    session_factory, export_settings, http, fake_moneybird, fake_exact
):
    invoice = make_invoice(session_factory, lines=[(10_000, 1)])
    total = invoice.total_cents
    first = record_payment(session_factory, invoice, provider="mollie")
    second = record_payment(session_factory, invoice, provider="stripe")
    with transaction(session_factory) as session:
        assert session.scalar(select(Invoice.state).where(Invoice.id == invoice.id)) == (
            "overpaid"
        )
    run = run_export(
        session_factory=session_factory,
        settings=export_settings,
        target=Target.MONEYBIRD,
        source=document_source(session_factory),
        http=http,
    )
    assert run.status == RunStatus.SUCCEEDED, run.message
    exported = {p["payment"] for p in run.report["payments_matched"]}
    assert {str(first.id), str(second.id)} <= exported  # both moved money: both booked
    assert [d["number"] for d in run.report["documents"]] == [invoice.number]
    [row] = run.report["overpaid"]
    assert (row["number"], row["paid"], row["overpaid"]) == (invoice.number, 2 * total, total)
    assert [(s["payment_id"], s["amount"]) for s in row["suggested_refunds"]] == [
        (str(second.id), total)
    ]
    html, csv = render_html(run), render_csv(run)
    assert "Overpaid invoices" in html and f"<td>{invoice.number}</td>" in html
    assert f"{invoice.number},{cents_to_str(total)}," in csv

    # The excess refunded (done): the next run's report no longer lists it.
    record_refund(session_factory, second, total, status="succeeded")
    again = run_export(
        session_factory=session_factory,
        settings=export_settings,
        target=Target.MONEYBIRD,
        source=document_source(session_factory),
        http=http,
    )
    assert again.report["overpaid"] == []
    with transaction(session_factory) as session:
        assert session.scalar(select(Invoice.state).where(Invoice.id == invoice.id)) == "paid"
