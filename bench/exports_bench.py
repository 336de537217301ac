"""Export benchmark (issues 7 and 13): 1,000 documents -- invoices with 0 %, 9 % and 21 %
lines, whole and fractional amounts, every tenth a credit note -- plus payments, refunds
and credit-note payouts to each strict fake with its real rate limits scaled down in time,
then a second run with nothing new, then a file export of 10,000 invoices to CSV and UBL.

    .venv/bin/python bench/exports_bench.py [--docs 1000] [--payments 300]
        [--mb-window 5] [--exact-minute 1]

Moneybird: 150 requests per ``--mb-window`` s (real: 300 s). Exact: 60 per
``--exact-minute`` s (real: 60 s) and 5,000 per the day scaled by the same factor.
"Rate use" is the busiest window: the most calls the fake received within any closed
window of the provider's length, over its limit; it must never pass 100 %. The average
(calls / (elapsed x limit / window)) is shown too: a run opens with a full window's burst,
so a short run's average can pass 100 % without any window holding more than the limit.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from server.config import Settings  # noqa: E402
from server.db import make_engine, make_session_factory  # noqa: E402
from server.exports.documents import (  # noqa: E402
    DocumentKind,
    ExportCustomer,
    ExportDocument,
    ExportLine,
    ExportPayment,
    ListSource,
    MovementKind,
)
from server.exports.files import write_csv, write_ubl_zip  # noqa: E402
from server.exports.models import Target  # noqa: E402
from server.exports.service import run_export  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from tests.helpers.fakes.moneybird import openapi_path  # noqa: E402
from tests.helpers.live_server import free_port  # noqa: E402
from tests.server.exports.conftest import (  # noqa: E402
    EX_GL,
    EX_RECEIVABLES,
    EX_VAT,
    MB_LEDGER,
    MB_TAX,
    SUPPLIER,
    make_documents,
)

START = date(2026, 11, 1)


def bench_documents(count: int, customers: int) -> list[ExportDocument]:
    """Invoices with 0 %, 9 % and 21 % lines, whole and fractional amounts (Exact answers
    whole ones as bare integers); every tenth a credit note."""
    custs = [
        ExportCustomer(id=f"cust-{i}", ref=f"C{i:05d}", name=f"Klant {i} B.V.", city="Utrecht")
        for i in range(customers)
    ]
    docs = []
    for i in range(count):
        credit = i % 10 == 9
        rent = 1250_00 if i % 3 == 0 else 1250_00 + i  # whole, or with cents
        lines = [ExportLine("Huur line-array", rent, 21, "rental")]
        if i % 2 == 0:
            lines.append(ExportLine("Catering crew", 45_55, 9, "catering"))
        if i % 4 != 1:
            lines.append(ExportLine("Borg / leges", 100_00 if i % 5 else 12_34, 0, "fees"))
        docs.append(
            ExportDocument(
                id=f"doc-{i}",
                kind=DocumentKind.CREDIT_NOTE if credit else DocumentKind.INVOICE,
                number=f"{'CN' if credit else 'INV'}-2026-{i:05d}",
                date=START + timedelta(days=i % 20),
                due_date=START + timedelta(days=i % 20 + 14),
                customer=custs[i % customers],
                lines=tuple(lines),
            )
        )
    return docs


def bench_movements(docs: list[ExportDocument], count: int) -> list[ExportPayment]:
    """``count`` movements: full payments of invoices (a credit note's is its payout), and
    after every fifth payment a partial refund of that invoice."""
    out: list[ExportPayment] = []
    for doc in docs:
        if len(out) >= count:
            break
        out.append(ExportPayment(f"pay-{doc.id}", doc.id, doc.date, doc.gross_cents()))
        if doc.kind is DocumentKind.INVOICE and len(out) % 5 == 0 and len(out) < count:
            out.append(
                ExportPayment(
                    f"ref-{doc.id}",
                    doc.id,
                    doc.date + timedelta(days=1),
                    25_00,
                    kind=MovementKind.REFUND,
                )
            )
    return out


@contextmanager
def fake_process(which: str, *args: str):
    """The fake in its own process, as the real service would be (no shared GIL)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.fakes", which, "--port", str(port), *args],
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/_fake/stats", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"fake {which} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _bench_target(name, url, settings, source, limit, window):
    factory = make_session_factory(make_engine(settings.database_url))
    etas = []
    with httpx.Client(timeout=30) as http:
        started = time.perf_counter()
        run = run_export(
            session_factory=factory,
            settings=settings,
            target=Target(name),
            source=source,
            http=http,
            on_progress=lambda r: etas.append((time.perf_counter(), r.eta_seconds)),
        )
        elapsed = time.perf_counter() - started
        stats = http.get(f"{url}/_fake/stats").json()
        allowed = elapsed * limit / window
        again = run_export(
            session_factory=factory,
            settings=settings,
            target=Target(name),
            source=source,
            http=http,
        )
    first_eta = next((eta for _t, eta in etas if eta), None)
    busiest = stats.get("max_calls_per_window") or stats.get("max_calls_per_minute_window")
    report = run.report or {}
    vat_ok = all(
        (r["local_net"], r["local_vat"]) == (r["remote_net"], r["remote_vat"])
        for r in report.get("vat", [])
    )
    agrees = (
        vat_ok
        and not report.get("mismatches")
        and not report.get("payments_unmatched")
        and not report.get("problems")
    )
    print(f"\n== {name}: limit {limit} per {window:g} s ==")
    print(f"run status          {run.status} ({run.message or 'ok'})")
    print(f"documents/payments  {run.exported} exported, {run.failed} failed of {run.total}")
    print(f"API calls           {run.api_calls} in {elapsed:.1f} s")
    print(f"rate use            {100 * busiest / limit:.1f} % (busiest {window:g} s window: "
          f"{busiest} calls)")
    print(f"average rate        {100 * run.api_calls / allowed:.1f} % of limit x elapsed")
    if "max_calls_per_day_window" in stats:
        print(f"busiest day window  {stats['max_calls_per_day_window']} calls")
    print(f"answered 429        {stats['throttled']}")
    print(
        f"reconciliation      {'agrees to the cent' if agrees else 'DIFFERS'} "
        f"({len(report.get('payments_matched', []))} movements matched, "
        f"{len(report.get('mismatches', []))} document mismatches, rates "
        f"{', '.join(r['rate'] for r in report.get('vat', []))})"
    )
    print(f"duplicates          {stats['duplicates']} (remote documents {stats['documents']})")
    print(f"first ETA           {first_eta} s (actual {elapsed:.0f} s)")
    print(
        f"second run          {again.api_calls} calls, {again.exported} exported, "
        f"{again.skipped} unchanged"
    )
    return run


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--mb-window", type=float, default=5.0)
    parser.add_argument("--exact-minute", type=float, default=1.0)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--skip-apis", action="store_true")
    args = parser.parse_args()
    openapi_path()  # the spec the fake validates against: fail now, not in its process
    print("machine: shared (2 cores, other helpers running); numbers are indicative")

    docs = bench_documents(args.docs, args.customers)
    source = ListSource(docs, bench_movements(docs, args.payments))
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_apis:
            scale = args.exact_minute / 60.0
            mb_fake = fake_process("moneybird", "--window", str(args.mb_window))
            ex_fake = fake_process("exact", "--minute", str(args.exact_minute))
            with mb_fake as mb_url, ex_fake as ex_url:
                url = f"sqlite:///{tmp}/bench.sqlite3"
                upgrade(url)
                settings = Settings(
                    database_url=url,
                    environment="test",
                    log_json=False,
                    moneybird_base_url=mb_url,
                    moneybird_administration_id="123",
                    moneybird_token=SecretStr("mb-test-token"),
                    moneybird_tax_rate_ids=MB_TAX,
                    moneybird_ledger_account_ids=MB_LEDGER,
                    moneybird_window_seconds=args.mb_window,
                    exact_base_url=ex_url,
                    exact_division="12345",
                    exact_client_id="exact-client",
                    exact_client_secret=SecretStr("exact-secret"),
                    exact_refresh_token=SecretStr("rt-initial"),
                    exact_vat_codes=EX_VAT,
                    exact_gl_accounts=EX_GL,
                    exact_receivables_gl_account=EX_RECEIVABLES,
                    exact_minute_seconds=args.exact_minute,
                    exact_day_seconds=86400 * scale,
                )
                _bench_target("moneybird", mb_url, settings, source, 150, args.mb_window)
                _bench_target("exact", ex_url, settings, source, 60, args.exact_minute)

        many = make_documents(args.files, customers=500, credit_every=10)
        supplier = SUPPLIER
        started = time.perf_counter()
        buffer = io.StringIO()
        write_csv(many, buffer)
        csv_s = time.perf_counter() - started
        started = time.perf_counter()
        write_ubl_zip(many, supplier, Path(tmp) / "ubl.zip")
        ubl_s = time.perf_counter() - started
        size = (Path(tmp) / "ubl.zip").stat().st_size
        print(f"\n== file export of {args.files} documents ==")
        print(f"CSV                 {csv_s:.2f} s ({len(buffer.getvalue()) / 1e6:.1f} MB)")
        print(f"UBL zip             {ubl_s:.2f} s ({size / 1e6:.1f} MB)")
        print(f"total               {csv_s + ubl_s:.2f} s (target < 10 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
