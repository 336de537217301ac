"""SIGKILL, for real: ``rentguy-server export run`` in its own process is killed right after
the target has stored a document and before the answer (the remote id) reaches it. The next
run finds the document by reference instead of posting it again (SQLite and PostgreSQL,
the strict fakes on loopback, the same database)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.db import transaction, utcnow
from server.exports.models import ExportRecord, ExportRun, RecordStatus, RunStatus
from tests.helpers.billing import make_invoice, record_payment
from tests.server.exports.conftest import EX_GL, EX_RECEIVABLES, EX_VAT, MB_LEDGER, MB_TAX

STARTUP_TIMEOUT = 120  # seconds for the child to reach the POST (imports, migrations check)


def _env(target, database_url, fake_moneybird, fake_exact) -> dict[str, str]:
    env = {**os.environ, "RENTGUY_DATABASE_URL": database_url}
    if target == "moneybird":
        env.update(
            RENTGUY_MONEYBIRD_BASE_URL=fake_moneybird.url,
            RENTGUY_MONEYBIRD_ADMINISTRATION_ID=fake_moneybird.administration_id,
            RENTGUY_MONEYBIRD_TOKEN=fake_moneybird.token,
            RENTGUY_MONEYBIRD_TAX_RATE_IDS=json.dumps(MB_TAX),
            RENTGUY_MONEYBIRD_LEDGER_ACCOUNT_IDS=json.dumps(MB_LEDGER),
        )
    else:
        env.update(
            RENTGUY_EXACT_BASE_URL=fake_exact.url,
            RENTGUY_EXACT_DIVISION=fake_exact.division,
            RENTGUY_EXACT_CLIENT_ID=fake_exact.client_id,
            RENTGUY_EXACT_CLIENT_SECRET=fake_exact.client_secret,
            RENTGUY_EXACT_REFRESH_TOKEN=fake_exact.refresh_token,
            RENTGUY_EXACT_VAT_CODES=json.dumps(EX_VAT),
            RENTGUY_EXACT_GL_ACCOUNTS=json.dumps(EX_GL),
            RENTGUY_EXACT_RECEIVABLES_GL_ACCOUNT=EX_RECEIVABLES,
        )
    return env


def _export(target: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "export", "run", "--target", target, "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("target", ["moneybird", "exact"])
def test_sigkill_between_the_remote_post_and_saving_its_id(
    target, database_url, session_factory, fake_moneybird, fake_exact
):
    first = make_invoice(session_factory, lines=[(12_500, 2)])
    second = make_invoice(session_factory, lines=[(4_000, 3)])
    record_payment(session_factory, first)
    if target == "moneybird":
        gate, held = fake_moneybird.invoice_gate, fake_moneybird.invoice_count_by_reference
    else:
        gate, held = fake_exact.entry_gate, fake_exact.entry_count_by_ref
    env = _env(target, database_url, fake_moneybird, fake_exact)

    gate.arm()  # the fake stores the first document, then holds its answer
    child = _export(target, env)
    try:
        if not gate.stored.wait(STARTUP_TIMEOUT):
            child.kill()
            pytest.fail(f"the export never posted a document: {child.communicate()}")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL
    finally:
        gate.release()
        if child.poll() is None:
            child.kill()
        child.communicate()

    (posted,) = held()  # the target has it; the dead process never learnt its id
    with transaction(session_factory) as session:
        rec = session.execute(
            select(ExportRecord).where(ExportRecord.reference == posted)
        ).scalar_one()
        assert (rec.status, rec.remote_id) == (RecordStatus.POSTING, None)
        run = session.execute(select(ExportRun)).scalar_one()
        assert run.status == RunStatus.RUNNING and run.finished_at is None
        # Its heartbeat stops; after STALE_AFTER another process may take the target.
        session.execute(update(ExportRun).values(heartbeat_at=utcnow() - timedelta(hours=1)))

    again = subprocess.run(
        [sys.executable, "-m", "server.cli", "export", "run", "--target", target, "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["status"] == "succeeded" and summary["failed"] == 0
    assert held() == {first.number: 1, second.number: 1}  # no duplicate
    with transaction(session_factory) as session:
        rec = session.get(ExportRecord, rec.id)
        assert rec.status == RecordStatus.EXPORTED and rec.remote_id
        assert rec.attempts == 1  # found by reference, not posted a second time
        statuses = set(session.execute(select(ExportRecord.status)).scalars())
        assert statuses == {RecordStatus.EXPORTED}
        runs = {r.status: r for r in session.execute(select(ExportRun)).scalars()}
        assert "abandoned" in runs[RunStatus.FAILED].message
