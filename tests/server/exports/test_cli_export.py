"""``rentguy-server export ...`` as an operator runs it: a real subprocess on the test
database (SQLite and PostgreSQL), real invoices, credit notes and payments from the
invoicing and payment tables, checked where they land -- at the strict fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date

import pytest

from server.db import transaction
from server.exports.documents import cents_to_str
from server.invoicing import service as invoicing
from server.money import to_cents as str_to_cents
from tests.helpers.billing import make_invoice, record_payment, record_refund
from tests.server.exports.conftest import EX_GL, EX_RECEIVABLES, EX_VAT, MB_LEDGER, MB_TAX


def _cli(*args, env, check=True):
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


@pytest.fixture
def cli_env(database_url, session_factory):
    """The CLI on the migrated test database; ``session_factory`` wipes it afterwards."""
    return {**os.environ, "RENTGUY_DATABASE_URL": database_url}


@pytest.fixture
def issued(session_factory):
    """Two issued invoices (one paid, then partly refunded), a credit note on the first."""
    transport = invoicing.FreeLine(
        description="Transport", qty=1, unit_price_cents=8_500, vat_rate=9
    )
    first = make_invoice(
        session_factory, lines=[(12_500, 2)], days=3, free=[transport], category="rental"
    )
    second = make_invoice(session_factory, lines=[(4_000, 5)], days=1, category="lighting")
    paid = record_payment(session_factory, first, provider="mollie")
    refund = record_refund(session_factory, paid, 1_000)
    with transaction(session_factory) as session:
        note = invoicing.create_credit_note(
            session=session,
            invoice_id=first.id,
            lines=[transport],
            reason="Transport not needed",
            issue_date=date(2026, 6, 5),
        )
        note = (note.number, note.total_cents)
    return {"first": first, "second": second, "paid": paid, "refund": refund, "note": note}


def test_export_run_posts_real_documents_to_the_fake_moneybird(cli_env, issued, fake_moneybird):
    env = {
        **cli_env,
        "RENTGUY_MONEYBIRD_BASE_URL": fake_moneybird.url,
        "RENTGUY_MONEYBIRD_ADMINISTRATION_ID": fake_moneybird.administration_id,
        "RENTGUY_MONEYBIRD_TOKEN": fake_moneybird.token,
        "RENTGUY_MONEYBIRD_TAX_RATE_IDS": json.dumps(MB_TAX),
        "RENTGUY_MONEYBIRD_LEDGER_ACCOUNT_IDS": json.dumps(MB_LEDGER),
    }
    done = _cli("export", "run", "--target", "moneybird", env=env)
    run = json.loads(done.stdout)
    assert run["status"] == "succeeded", done.stdout + done.stderr
    assert run["total"] == 3 + 2  # two invoices, a credit note; a payment and a refund
    assert "[" in done.stderr and "calls" in done.stderr  # the progress bar

    first, second = issued["first"], issued["second"]
    note_number, note_total = issued["note"]
    by_ref = {inv["reference"]: inv for inv in fake_moneybird.invoices.values()}
    assert sorted(by_ref) == sorted([first.number, second.number, note_number])
    assert fake_moneybird.invoice_count_by_reference() == {ref: 1 for ref in by_ref}
    rows = by_ref[first.number]["details"]
    assert [(r["price"], r["tax_rate_id"], r["ledger_account_id"]) for r in rows] == [
        ("750.00", MB_TAX["21"], MB_LEDGER["rental"]),
        ("85.00", MB_TAX["9"], MB_LEDGER["*"]),
    ]
    # The fake computes VAT per rate as Moneybird does: the invoice's own totals.
    gross = sum(
        str_to_cents(t["taxable_amount"]) + str_to_cents(t["tax_amount"])
        for t in by_ref[first.number]["tax_totals"]
    )
    assert gross == first.total_cents
    credit = by_ref[note_number]
    assert [(r["price"], r["tax_rate_id"]) for r in credit["details"]] == [("-85.00", MB_TAX["9"])]
    assert sum(str_to_cents(t["tax_amount"]) for t in credit["tax_totals"]) == -(note_total - 8_500)
    payments = {p["transaction_identifier"]: p["price"] for p in by_ref[first.number]["payments"]}
    assert payments == {
        str(issued["paid"].id): cents_to_str(first.total_cents),
        str(issued["refund"].id): "-10.00",
    }
    assert by_ref[second.number]["payments"] == []
    contacts = {c["customer_id"]: c for c in fake_moneybird.contacts.values()}
    assert {c["company_name"] for c in contacts.values()} == {
        first.customer.name,
        second.customer.name,
    }

    again = json.loads(_cli("export", "run", "--target", "moneybird", "--quiet", env=env).stdout)
    assert again["status"] == "succeeded" and again["total"] == 0  # nothing new: no duplicates
    assert fake_moneybird.posts == {"contacts": 2, "invoices": 3, "payments": 2}


def test_export_run_posts_real_documents_to_the_fake_exact(cli_env, issued, fake_exact):
    env = {
        **cli_env,
        "RENTGUY_EXACT_BASE_URL": fake_exact.url,
        "RENTGUY_EXACT_DIVISION": fake_exact.division,
        "RENTGUY_EXACT_CLIENT_ID": fake_exact.client_id,
        "RENTGUY_EXACT_CLIENT_SECRET": fake_exact.client_secret,
        "RENTGUY_EXACT_REFRESH_TOKEN": fake_exact.refresh_token,
        "RENTGUY_EXACT_VAT_CODES": json.dumps(EX_VAT),
        "RENTGUY_EXACT_GL_ACCOUNTS": json.dumps(EX_GL),
        "RENTGUY_EXACT_RECEIVABLES_GL_ACCOUNT": EX_RECEIVABLES,
    }
    done = _cli("export", "run", "--target", "exact", "--quiet", env=env)
    run = json.loads(done.stdout)
    assert run["status"] == "succeeded", done.stdout + done.stderr
    assert run["total"] == 5

    first, second = issued["first"], issued["second"]
    note_number, note_total = issued["note"]
    by_ref = {e["YourRef"]: e for e in fake_exact.entries.values()}
    assert fake_exact.entry_count_by_ref() == {
        first.number: 1,
        second.number: 1,
        note_number: 1,
    }
    assert (by_ref[first.number]["Type"], by_ref[note_number]["Type"]) == (20, 21)
    lines = by_ref[first.number]["SalesEntryLines"]["results"]
    assert [(ln["AmountFC"], ln["VATCode"], ln["VATAmountFC"]) for ln in lines] == [
        (750.0, EX_VAT["21"], 157.5),
        (85.0, EX_VAT["9"], 7.65),
    ]
    credit_lines = by_ref[note_number]["SalesEntryLines"]["results"]
    # A credit note is booked with negative amounts (Exact derives Type 21 from the sign).
    credited = sum(
        str_to_cents(ln["AmountFC"]) + str_to_cents(ln["VATAmountFC"]) for ln in credit_lines
    )
    assert credited == -note_total
    amounts = sorted(str_to_cents(line["AmountFC"]) for line in fake_exact.bank_lines.values())
    assert amounts == sorted([first.total_cents, -1_000])  # money in, then a refund out
    assert {line["Account"] for line in fake_exact.bank_lines.values()} == {
        by_ref[first.number]["Customer"]
    }


def test_export_run_unconfigured_is_a_clear_error(cli_env):
    failed = _cli("export", "run", "--target", "exact", env=cli_env, check=False)
    assert failed.returncode != 0
    assert "RENTGUY_EXACT_DIVISION" in failed.stderr


def test_export_files_writes_the_real_documents(cli_env, issued, tmp_path):
    out = tmp_path / "docs.csv"
    _cli("export", "files", "--format", "csv", "--out", str(out), env=cli_env)
    rows = out.read_text().splitlines()
    assert rows[0].startswith("type,number,date")
    assert len(rows) == 1 + 2 + 1 + 1  # header, 2 + 1 invoice lines, the credit note's line
    ubl_args = ("export", "files", "--format", "ubl", "--out", str(tmp_path / "u.zip"))
    ubl = _cli(*ubl_args, env=cli_env, check=False)
    assert ubl.returncode != 0 and "RENTGUY_COMPANY_NAME" in ubl.stderr
    company = {
        "RENTGUY_COMPANY_NAME": "RentGuy Verhuur B.V.",
        "RENTGUY_COMPANY_KVK": "12345678",
        "RENTGUY_COMPANY_VAT_NUMBER": "NL001234567B01",
        "RENTGUY_COMPANY_IBAN": "NL91ABNA0417164300",
        "RENTGUY_COMPANY_STREET": "Havenweg 1",
        "RENTGUY_COMPANY_CITY": "Utrecht",
        "RENTGUY_COMPANY_ZIPCODE": "3542 AB",
    }
    written = _cli(*ubl_args, env={**cli_env, **company})
    assert "3 documents written" in written.stderr
    # Customers made from projects (a name only) are Dutch consumers: plain EN 16931, which
    # they satisfy, so no rule is named (SI-UBL 2.0 would name BR-NL-4 and BR-NL-10).
    assert "break" not in written.stderr, written.stderr
    with zipfile.ZipFile(tmp_path / "u.zip") as archive:
        names = sorted(archive.namelist())
    first, second = issued["first"], issued["second"]
    assert names == sorted(f"{n}.xml" for n in (first.number, second.number, issued["note"][0]))
