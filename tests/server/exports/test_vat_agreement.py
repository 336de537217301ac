"""One invoice whose per-line rounding would be cents off: our invoice, Moneybird, Exact
Online and the UBL file all carry the same VAT per rate to the cent, and the reconciliation
reports no mismatch (SQLite and PostgreSQL, real HTTP to the strict fakes)."""

from __future__ import annotations

from datetime import date

from lxml import etree

from server.db import transaction
from server.exports.sources import document_source
from server.exports.ubl.names import CAC, CBC
from server.exports.ubl.rules import check
from server.exports.ubl.writer import ubl_tree
from server.invoicing import service as invoicing
from server.invoicing.totals import vat_cents
from server.money import to_cents
from tests.helpers.billing import make_project
from tests.server.exports.conftest import EX_VAT, MB_TAX, export_to_both
from tests.server.exports.test_ubl_validation import SUPPLIER

NS = {"cac": CAC, "cbc": CBC}


def test_local_moneybird_exact_and_ubl_agree_to_the_cent(
    session_factory, export_settings, http, fake_moneybird, fake_exact
):
    with transaction(session_factory) as session:
        # 12 products a day at 1.50 / 2.50 (21 %: 0.315 / 0.525 round up per line) and
        # 7 free lines of 2.50 at 9 % (0.225 → 0.23 per line).
        project = make_project(session, lines=[(150 + 100 * (i % 2), 1) for i in range(12)], days=1)
        free = [
            invoicing.FreeLine(f"Catering {i}", qty=1, unit_price_cents=250, vat_rate=9)
            for i in range(7)
        ]
        invoice = invoicing.create_invoice_from_project(
            session=session, project_id=project.id, free_lines=free, issue_date=date(2026, 6, 2)
        )
        invoicing.open_invoice(session=session, invoice_id=invoice.id)
        lines = [(ln.net_cents, ln.vat_rate) for ln in invoice.lines]
        local = {21: (2_400, 504), 9: (1_750, 158)}  # 24.00 × 21 %, 17.50 × 9 % = 1.575
        assert (invoice.subtotal_cents, invoice.vat_cents) == (4_150, 504 + 158)
        assert sum(vat_cents(n, r) for n, r in lines) == 504 + 6 + 161  # per line: 9 ct more
        number = invoice.number

    for run in export_to_both(session_factory, export_settings, http):
        assert run.report["mismatches"] == [], run.report["mismatches"]
        rows = {int(r["rate"]): r for r in run.report["vat"]}
        assert {rate: (r["remote_net"], r["remote_vat"]) for rate, r in rows.items()} == local
        assert {rate: (r["local_net"], r["local_vat"]) for rate, r in rows.items()} == local

    # What the fakes hold, read directly (not through our client).
    (mb_invoice,) = fake_moneybird.invoices.values()
    by_tax_id = {v: int(k) for k, v in MB_TAX.items()}
    assert {
        by_tax_id[t["tax_rate_id"]]: (
            to_cents(t["taxable_amount"]),
            to_cents(t["tax_amount"]),
        )
        for t in mb_invoice["tax_totals"]
    } == local
    (entry,) = fake_exact.entries.values()
    by_code = {v: int(k) for k, v in EX_VAT.items()}
    exact: dict[int, tuple[int, int]] = {}
    for line in entry["SalesEntryLines"]["results"]:
        net, vat = exact.get(by_code[line["VATCode"]], (0, 0))
        exact[by_code[line["VATCode"]]] = (
            net + round(line["AmountFC"] * 100),
            vat + round(line["VATAmountFC"] * 100),
        )
    assert exact == local

    (doc,) = document_source(session_factory).documents(since=None)
    assert doc.number == number
    root = ubl_tree(doc, SUPPLIER)
    ubl = {
        int(float(sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS))): (
            to_cents(sub.findtext("cbc:TaxableAmount", namespaces=NS)),
            to_cents(sub.findtext("cbc:TaxAmount", namespaces=NS)),
        )
        for sub in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }
    assert ubl == local
    # The customer has no postal code or KvK number in our data: BR-NL-4/-10 only.
    assert {p.split("]")[0] for p in check(root)} <= {"[BR-NL-4", "[BR-NL-10"}
    assert (
        to_cents(root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS))
        == 4_150 + 662
    )
    assert etree.QName(root).localname == "Invoice"
