"""Issue 13 item 1: invoices with 0 %, 9 % and 21 % lines, whole and fractional amounts, a
credit note, payments and refunds go out to both strict fakes and come back to the cent,
run after run (the old parser died on Exact's bare integers and every later run with it).
SQLite and PostgreSQL, real HTTP on loopback."""

from __future__ import annotations

import time
import uuid
from datetime import date

import pytest

from server.exports.documents import (
    DocumentKind,
    ExportCustomer,
    ExportDocument,
    ExportLine,
    ExportPayment,
    ListSource,
    MovementKind,
)
from server.exports.models import RunStatus, Target
from server.exports.service import run_export
from tests.server.exports.conftest import EX_GL

TARGETS = [Target.MONEYBIRD, Target.EXACT]
CUSTOMER = ExportCustomer(id="cust-1", ref="C00001", name="Klant B.V.", city="Utrecht")


def _doc(number: str, lines, kind=DocumentKind.INVOICE) -> ExportDocument:
    return ExportDocument(
        id=f"doc-{number}",
        kind=kind,
        number=number,
        date=date(2026, 11, 2),
        customer=CUSTOMER,
        lines=tuple(ExportLine(*line) for line in lines),
    )


def _source() -> ListSource:
    docs = [
        # whole amounts only: every JSON number Exact sends back is a bare integer
        _doc("INV-W", [("Huur", 100_00, 21, "rental"), ("Borg vrij", 50_00, 0, "deposit")]),
        # fractional, all three rates, and a 0 % line whose VAT is a bare 0
        _doc(
            "INV-F",
            [
                ("Huur", 1234_56, 21, "rental"),
                ("Catering", 45_55, 9, "catering"),
                ("Leges", 12_34, 0, "fees"),
            ],
        ),
        _doc("INV-Z", [("Vrijgesteld", 300_00, 0, "fees")]),  # VAT 0 on the whole entry
        _doc(
            "CN-1",
            [("Huur retour", 100_00, 21, "rental"), ("Catering", 10_01, 9, "catering")],
            kind=DocumentKind.CREDIT_NOTE,
        ),
    ]
    by_number = {d.number: d for d in docs}
    payments = [
        ExportPayment("pay-w", "doc-INV-W", date(2026, 11, 3), by_number["INV-W"].gross_cents()),
        ExportPayment("pay-f", "doc-INV-F", date(2026, 11, 3), by_number["INV-F"].gross_cents()),
        ExportPayment(
            "ref-f", "doc-INV-F", date(2026, 11, 4), 25_00, kind=MovementKind.REFUND
        ),
        ExportPayment(  # the credit note paid out to the customer
            "ref-cn", "doc-CN-1", date(2026, 11, 4), by_number["CN-1"].gross_cents()
        ),
    ]
    return ListSource(docs, payments)


def _run(session_factory, settings, target, source, http):
    return run_export(
        session_factory=session_factory,
        settings=settings,
        target=target,
        source=source,
        http=http,
    )


@pytest.mark.parametrize("target", TARGETS)
def test_all_vat_rates_whole_and_fractional_amounts_and_a_credit_note_reconcile(
    target, session_factory, export_settings, http, fake_moneybird, fake_exact
):
    source = _source()
    run = _run(session_factory, export_settings, target, source, http)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert (run.exported, run.failed) == (8, 0)
    report = run.report
    assert report["mismatches"] == [] and report["problems"] == []
    vat = {row["rate"]: row for row in report["vat"]}
    assert set(vat) == {"21", "9", "0"}
    for row in vat.values():
        assert (row["local_net"], row["local_vat"]) == (row["remote_net"], row["remote_vat"])
    assert vat["0"]["remote_vat"] == 0
    docs = list(source.documents(since=None))
    assert sum(r["remote_net"] for r in vat.values()) == sum(d.sign() * d.net_cents() for d in docs)
    assert len(report["payments_matched"]) == 4 and report["payments_unmatched"] == []

    # Nothing new: the next run succeeds too (the old parser made every later run die).
    again = _run(session_factory, export_settings, target, source, http)
    assert again.status == RunStatus.SUCCEEDED, again.message
    assert (again.exported, again.failed, again.skipped) == (0, 0, 8)


def test_exact_answers_amounts_as_its_json_does_and_books_credit_notes_negative(
    session_factory, export_settings, http, fake_exact
):
    source = _source()
    run = _run(session_factory, export_settings, Target.EXACT, source, http)
    assert run.status == RunStatus.SUCCEEDED, run.message
    entries = {e["YourRef"]: e for e in fake_exact.entries.values()}
    whole = entries["INV-W"]["SalesEntryLines"]["results"]
    assert [type(line["AmountFC"]) for line in whole] == [int, int]  # 100, 50
    assert [line["VATAmountFC"] for line in whole] == [21, 0]
    fractional = entries["INV-F"]["SalesEntryLines"]["results"]
    assert fractional[0]["AmountFC"] == 1234.56 and type(fractional[2]["VATAmountFC"]) is int
    # Exact's reading of a credit note: negative amounts, Type 21; invoices Type 20.
    assert entries["CN-1"]["Type"] == 21 and entries["CN-1"]["AmountFC"] < 0
    assert all(line["AmountFC"] < 0 for line in entries["CN-1"]["SalesEntryLines"]["results"])
    assert {entries[n]["Type"] for n in ("INV-W", "INV-F", "INV-Z")} == {20}
    # Bank lines: positive is money received, negative money paid out; the open items
    # show it: paid in full -> 0, refunded 25.00 -> 25.00 open again, credit note paid out.
    assert fake_exact.open_amount("INV-W") == 0
    assert fake_exact.open_amount("INV-F") == 25_00
    assert fake_exact.open_amount("CN-1") == 0


def _exact_post(fake, path: str, body: dict):
    import httpx

    fake.access_token, fake.access_expires = "at", time.time() + 600
    return httpx.post(
        f"{fake.url}/api/v1/{fake.division}{path}",
        json=body,
        headers={"Authorization": "Bearer at"},
    )


def _entry(customer: str, amount, vat, **extra) -> dict:
    return {
        "Journal": "70",
        "Customer": customer,
        "YourRef": "X-1",
        "SalesEntryLines": [
            {
                "GLAccount": EX_GL["rental"],
                "AmountFC": amount,
                "VATCode": "2",
                "VATAmountFC": vat,
            }
        ],
        **extra,
    }


def test_the_fake_exact_enforces_the_documented_signs(fake_exact):
    account = str(uuid.uuid4())
    fake_exact.accounts[account] = {"ID": account, "Code": " " * 17 + "C", "Name": "K"}
    # A credit note is negative amounts; Type is Exact's reading of them (read-only).
    credit = _exact_post(
        fake_exact, "/salesentry/SalesEntries", _entry(account, -100, -21)
    )
    assert credit.status_code == 201 and credit.json()["d"]["Type"] == 21
    assert credit.json()["d"]["AmountFC"] == -121  # whole: a bare integer, as Exact writes it
    for body, why in (
        (_entry(account, 100, 21, Type=21), "credit note's amounts are negative"),
        (_entry(account, -100, -21, Type=20), "credit note (21)"),
        (_entry(account, 100, -21), "sign of AmountFC"),
        (_entry(account, 100.005, 21), "whole number of cents"),
    ):
        refused = _exact_post(fake_exact, "/salesentry/SalesEntries", body)
        assert refused.status_code == 400 and why in refused.text, refused.text
    # Bank entries: "Opening balance plus all bank entry lines should result in the
    # closing balance": a line is what it adds to the bank (money in positive).
    line = {
        "Account": account,
        "GLAccount": fake_exact.receivables_gl,
        "AmountFC": -121,
        "OurRef": credit.json()["d"]["EntryNumber"],
    }
    bank = {"JournalCode": "20", "BankEntryLines": [line]}
    wrong = _exact_post(
        fake_exact,
        "/financialtransaction/BankEntries",
        {**bank, "OpeningBalanceFC": 1000, "ClosingBalanceFC": 1121},
    )
    assert wrong.status_code == 400 and "OpeningBalanceFC + lines" in wrong.text
    paid_out = _exact_post(
        fake_exact,
        "/financialtransaction/BankEntries",
        {**bank, "OpeningBalanceFC": 1000, "ClosingBalanceFC": 879},
    )
    assert paid_out.status_code == 201
    assert fake_exact.open_amount("X-1") == 0  # the credit note paid out: nothing open
