"""Refunds, chargebacks and their reversals reach Moneybird and Exact Online as money
movements, each exactly once under its own id, and the report re-reads them (both DBs)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.db import transaction, utcnow
from server.exports.models import ExportRecord, ExportRun, RecordStatus, RunStatus, Target
from server.exports.reconciliation.report import render_csv, render_html
from server.exports.service import run_export
from server.exports.sources import document_source
from server.money import to_cents
from server.payments.models import Refund
from tests.helpers.billing import (
    make_invoice,
    record_chargeback,
    record_payment,
    record_refund,
    reverse_chargeback,
)
from tests.server.exports.conftest import EX_RECEIVABLES

TARGETS = [Target.MONEYBIRD, Target.EXACT]


class SimulatedCrash(BaseException):
    pass


def _run(session_factory, settings, target, http, **kwargs):
    return run_export(
        session_factory=session_factory,
        settings=settings,
        target=target,
        source=document_source(session_factory),
        http=http,
        **kwargs,
    )


def _remote_movements(target, fake_moneybird, fake_exact) -> dict[str, tuple[int, int]]:
    """{our id: (signed cents, how many)} as the fake holds them, read directly."""
    out: dict[str, tuple[int, int]] = {}
    if target is Target.MONEYBIRD:
        rows = [
            (p["transaction_identifier"], to_cents(p["price"]))
            for inv in fake_moneybird.invoices.values()
            for p in inv["payments"]
        ]
    else:
        rows = [
            (line["Description"].split(" ")[0], round(line["AmountFC"] * 100))
            for line in fake_exact.bank_lines.values()
        ]
    for key, cents in rows:
        total, count = out.get(key, (0, 0))
        out[key] = (total + cents, count + 1)
    return out


@pytest.fixture
def booked(session_factory):
    """Invoice A: paid, then partly refunded (plus a refund still pending). Invoice B: paid,
    charged back, the chargeback reversed."""
    a = make_invoice(session_factory, lines=[(12_500, 2)])
    b = make_invoice(session_factory, lines=[(10_000, 1)])
    pay_a = record_payment(session_factory, a, provider="mollie")
    pay_b = record_payment(session_factory, b, provider="stripe")
    refund = record_refund(session_factory, pay_a, 5_000, status="refunded")
    pending = record_refund(session_factory, pay_a, 1_000, status="pending")
    chargeback = record_chargeback(session_factory, pay_b, b.total_cents)
    reverse_chargeback(session_factory, chargeback)
    return {
        "a": a,
        "b": b,
        "pay_a": pay_a,
        "pay_b": pay_b,
        "refund": refund,
        "pending": pending,
        "chargeback": chargeback,
    }


@pytest.mark.parametrize("target", TARGETS)
def test_refunds_and_chargebacks_are_booked_once_with_their_sign(
    target, session_factory, export_settings, http, fake_moneybird, fake_exact, booked
):
    a, b = booked["a"], booked["b"]
    pay_a, pay_b = str(booked["pay_a"].id), str(booked["pay_b"].id)
    refund, cb = str(booked["refund"].id), str(booked["chargeback"].id)
    expected = {
        pay_a: (a.total_cents, 1),
        refund: (-5_000, 1),
        pay_b: (b.total_cents, 1),
        cb: (-b.total_cents, 1),
        f"{cb}-reversal": (b.total_cents, 1),
    }
    run = _run(session_factory, export_settings, target, http)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert _remote_movements(target, fake_moneybird, fake_exact) == expected
    report = {row["payment"]: row for row in run.report["payments_matched"]}
    assert run.report["payments_unmatched"] == []
    assert {k: (r["amount"], r["remote_amount"]) for k, r in report.items()} == {
        k: (cents, cents) for k, (cents, _n) in expected.items()
    }
    assert {r["kind"] for r in report.values()} == {"payment", "refund", "chargeback", "reversal"}
    assert f"{refund},refund,{a.number},-50.00,-50.00,exported,yes" in render_csv(run)
    assert f"<td>{cb}</td><td>chargeback</td>" in render_html(run)
    if target is Target.EXACT:
        numbers = {e["YourRef"]: e["EntryNumber"] for e in fake_exact.entries.values()}
        for line in fake_exact.bank_lines.values():
            # Matched to the sales entry by its EntryNumber, on the customer's receivables.
            invoice = a if line["Description"].split(" ")[0] in (pay_a, refund) else b
            assert line["OurRef"] == numbers[invoice.number]
            assert line["GLAccount"] == EX_RECEIVABLES and line["Account"]
            assert line["Description"].endswith(invoice.number)

    # Nothing new: nothing posted again. The pending refund goes once it is done.
    again = _run(session_factory, export_settings, target, http)
    assert again.exported == 0 and again.api_calls <= 3
    with transaction(session_factory) as session:
        session.execute(
            update(Refund).where(Refund.id == booked["pending"].id).values(status="refunded")
        )
    third = _run(session_factory, export_settings, target, http)
    assert third.exported == 1, third.report
    held = _remote_movements(target, fake_moneybird, fake_exact)
    assert held == {**expected, str(booked["pending"].id): (-1_000, 1)}
    with transaction(session_factory) as session:
        kinds = dict(
            session.execute(
                select(ExportRecord.our_id, ExportRecord.kind).where(
                    ExportRecord.target == target.value,
                    ExportRecord.status == RecordStatus.EXPORTED,
                )
            ).all()
        )
    assert kinds[refund] == "refund" and kinds[cb] == "chargeback"
    assert kinds[f"{cb}-reversal"] == "reversal"


@pytest.mark.parametrize("target", TARGETS)
def test_a_crash_after_posting_a_refund_makes_no_second_refund(
    target, session_factory, export_settings, http, fake_moneybird, fake_exact, booked
):
    refund = str(booked["refund"].id)

    def crash(point: str, our_id: str) -> None:
        if point == "payment_posted" and our_id == refund:
            raise SimulatedCrash(our_id)

    with pytest.raises(SimulatedCrash):
        _run(session_factory, export_settings, target, http, crash_hook=crash)
    with transaction(session_factory) as session:
        rec = session.execute(
            select(ExportRecord).where(ExportRecord.our_id == refund)
        ).scalar_one()
        assert rec.kind == "refund" and rec.status == RecordStatus.POSTING
        session.execute(update(ExportRun).values(heartbeat_at=utcnow() - timedelta(hours=1)))
    run = _run(session_factory, export_settings, target, http)
    assert run.status == RunStatus.SUCCEEDED, run.message
    held = _remote_movements(target, fake_moneybird, fake_exact)
    assert held[refund] == (-5_000, 1)  # found by its id, not posted again
    assert {count for _cents, count in held.values()} == {1}
    with transaction(session_factory) as session:
        assert set(session.execute(select(ExportRecord.status)).scalars()) == {
            RecordStatus.EXPORTED
        }
