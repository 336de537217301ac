"""Export runs against the strict fakes over real loopback HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.db import transaction, utcnow
from server.errors import Conflict
from server.exports.crypto import TokenCipher
from server.exports.documents import ExportLine, ListSource
from server.exports.models import ExportRecord, ExportRun, RecordStatus, RunStatus, Target
from server.exports.runner import start_run
from server.exports.service import run_export
from tests.server.exports.conftest import make_documents, make_payments

TARGETS = [Target.MONEYBIRD, Target.EXACT]


class SimulatedCrash(BaseException):
    """Like SIGKILL between the remote POST and saving the remote id: nothing runs after."""


def _posts(target, fake_moneybird, fake_exact):
    if target is Target.MONEYBIRD:
        return fake_moneybird.invoice_count_by_reference(), fake_moneybird.posts
    return fake_exact.entry_count_by_ref(), fake_exact.posts


def _run(session_factory, settings, target, source, http, **kwargs) -> ExportRun:
    return run_export(
        session_factory=session_factory,
        settings=settings,
        target=target,
        source=source,
        http=http,
        **kwargs,
    )


@pytest.mark.parametrize("target", TARGETS)
def test_exports_everything_once_and_reconciles(
    target, session_factory, export_settings, source, http, fake_moneybird, fake_exact
):
    run = _run(session_factory, export_settings, target, source, http)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert (run.total, run.exported, run.failed) == (17, 17, 0)
    refs, posts = _posts(target, fake_moneybird, fake_exact)
    assert len(refs) == 12 and set(refs.values()) == {1}
    assert list(posts.values()) == [5, 12, 5]  # contacts, documents, payments

    report = run.report
    assert len(report["documents"]) == 12
    assert all(d["status"] == "exported" and d["remote_id"] for d in report["documents"])
    vat = {row["rate"]: row for row in report["vat"]}
    assert set(vat) == {"21", "9"}
    for row in vat.values():  # what the target holds equals what we sent, per rate
        assert (row["local_net"], row["local_vat"]) == (row["remote_net"], row["remote_vat"])
    local_total = sum(d.net_cents() * d.sign() for d in source.documents(since=None))
    assert sum(row["remote_net"] for row in vat.values()) == local_total
    assert len(report["payments_matched"]) == 5 and report["payments_unmatched"] == []
    assert report["changed_remotely"] == [] and report["problems"] == []
    assert report["throttled"] == 0

    # Nothing new: the second run skips everything and makes at most a couple of calls.
    again = _run(session_factory, export_settings, target, source, http)
    assert again.status == RunStatus.SUCCEEDED
    assert (again.exported, again.skipped) == (0, 17)
    assert again.api_calls <= 3
    assert list(_posts(target, fake_moneybird, fake_exact)[1].values()) == [5, 12, 5]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("where", ["document_posted", "payment_posted", "contact_posted"])
def test_crash_between_post_and_saving_the_remote_id_makes_no_duplicate(
    target, where, session_factory, export_settings, source, http, fake_moneybird, fake_exact
):
    crashed = []

    def crash(point: str, our_id: str) -> None:
        if point == where and not crashed:
            crashed.append(our_id)
            raise SimulatedCrash(our_id)

    with pytest.raises(SimulatedCrash):
        _run(session_factory, export_settings, target, source, http, crash_hook=crash)
    with transaction(session_factory) as session:
        rec = session.execute(
            select(ExportRecord).where(ExportRecord.our_id == crashed[0])
        ).scalar_one()
        assert rec.status == RecordStatus.POSTING and rec.remote_id is None
        # The process died: its run is still "running" until its heartbeat goes stale.
        session.execute(update(ExportRun).values(heartbeat_at=utcnow() - timedelta(hours=1)))

    run = _run(session_factory, export_settings, target, source, http)
    assert run.status == RunStatus.SUCCEEDED, run.message
    refs, posts = _posts(target, fake_moneybird, fake_exact)
    assert set(refs.values()) == {1} and len(refs) == 12
    assert list(posts.values()) == [5, 12, 5]
    with transaction(session_factory) as session:
        statuses = set(session.execute(select(ExportRecord.status)).scalars())
        assert statuses == {RecordStatus.EXPORTED}
        abandoned = session.execute(
            select(ExportRun).where(ExportRun.status == RunStatus.FAILED)
        ).scalar_one()
        assert "abandoned" in abandoned.message


def test_only_one_running_run_per_target(session_factory):
    first = start_run(session_factory=session_factory, target="moneybird")
    with pytest.raises(Conflict) as exc:
        start_run(session_factory=session_factory, target="moneybird")
    assert str(first.id) in exc.value.message
    start_run(session_factory=session_factory, target="exact")  # other targets are free


@pytest.mark.parametrize("target", TARGETS)
def test_missing_mapping_fails_the_run_before_any_call(
    target, session_factory, export_settings, http, fake_moneybird, fake_exact
):
    docs = make_documents(3)
    odd = docs[1].__class__(
        **{**docs[1].__dict__, "lines": (ExportLine("Podium", 100, 6, "stage"),)}
    )
    settings = export_settings.model_copy(
        update={"moneybird_ledger_account_ids": {"rental": "2001"}, "exact_gl_accounts": {}}
    )
    run = _run(session_factory, settings, target, ListSource([docs[0], odd, docs[2]]), http)
    assert run.status == RunStatus.FAILED
    assert "VAT rate 6%" in run.message and "INV-2026-00001" in run.message
    assert "'stage'" in run.message and "RENTGUY_" in run.message
    assert run.api_calls == 0
    assert fake_moneybird.requests + fake_exact.requests == 0


def test_moneybird_rejection_is_not_retried_and_reported(
    session_factory, export_settings, http, fake_moneybird
):
    fake_moneybird.tax_rates.pop("1002")  # Moneybird no longer knows the 9% rate
    docs = make_documents(2, customers=1)
    run = _run(session_factory, export_settings, Target.MONEYBIRD, ListSource(docs), http)
    assert run.failed == 2 and run.exported == 0
    errors = [d["last_error"] for d in run.report["documents"]]
    assert all("422" in e and "tax_rate_id" in e for e in errors)
    # contact lookup + create, one POST per invoice (never a second), one version listing
    assert fake_moneybird.requests == 5


def test_exact_refresh_token_rotates_and_is_persisted(
    session_factory, export_settings, http, fake_exact
):
    from server.exports.models import ExportCredential

    docs = make_documents(2, customers=1)
    _run(session_factory, export_settings, Target.EXACT, ListSource(docs), http)
    assert fake_exact.refreshes == 1 and fake_exact.refused_refreshes == 0
    cipher = TokenCipher.from_settings(export_settings)
    with transaction(session_factory) as session:
        cred = session.get(ExportCredential, "exact")
        assert cipher.decrypt(cred.refresh_token) == fake_exact.refresh_token != "rt-initial"
        assert fake_exact.refresh_token not in cred.refresh_token  # encrypted at rest
    # A new process (fresh token store) reuses the stored, still-valid access token.
    _run(session_factory, export_settings, Target.EXACT, ListSource(docs), http)
    assert fake_exact.refreshes == 1
    # Expire it: the next run refreshes with the *stored* (rotated) refresh token.
    fake_exact.access_expires = 0
    with transaction(session_factory) as session:
        session.get(ExportCredential, "exact").access_expires_at = (
            cred.access_expires_at - timedelta(hours=1)
        )
    _run(session_factory, export_settings, Target.EXACT, ListSource(docs), http)
    assert fake_exact.refreshes == 2 and fake_exact.refused_refreshes == 0


def test_payments_wait_for_their_document(session_factory, export_settings, http, fake_moneybird):
    docs = make_documents(2, customers=1)
    source = ListSource(docs[:1], make_payments(docs, 2))
    run = _run(session_factory, export_settings, Target.MONEYBIRD, source, http)
    assert run.exported == 2 and run.failed == 1  # doc 0 + its payment; payment 1 waits
    assert [p["payment"] for p in run.report["payments_unmatched"]] == ["pay-1"]
    source.add(docs[1])
    run = _run(session_factory, export_settings, Target.MONEYBIRD, source, http)
    assert run.exported == 2 and run.failed == 0
    assert fake_moneybird.posts["payments"] == 2


@pytest.mark.parametrize("target", TARGETS)
def test_documents_edited_remotely_after_export_are_reported(
    target, session_factory, export_settings, http, fake_moneybird, fake_exact
):
    docs = make_documents(3, customers=1)
    source = ListSource(docs)
    _run(session_factory, export_settings, target, source, http)
    # Someone edits INV-2026-00001 in the bookkeeping package.
    if target is Target.MONEYBIRD:
        inv = next(
            i for i in fake_moneybird.invoices.values() if i["reference"] == "INV-2026-00001"
        )
        inv["version"] += 100
    else:
        entry = next(e for e in fake_exact.entries.values() if e["YourRef"] == "INV-2026-00001")
        entry["Modified"] = "2999-01-01T00:00:00.000000000"
    run = _run(session_factory, export_settings, target, source, http)
    assert [d["number"] for d in run.report["changed_remotely"]] == ["INV-2026-00001"]
    assert run.api_calls <= 2


def test_concurrent_token_refresh_uses_the_single_use_refresh_token_once(
    session_factory, export_settings, fake_exact
):
    import threading

    import httpx

    from server.exports.targets.exact.tokens import ExactTokenStore

    def store(http):  # one per "server process"
        return ExactTokenStore(
            session_factory=session_factory,
            http=http,
            token_url=f"{fake_exact.url}/api/oauth2/token",
            client_id=fake_exact.client_id,
            client_secret=fake_exact.client_secret,
            initial_refresh_token="rt-initial",
            cipher=TokenCipher.from_settings(export_settings),
        )

    tokens, barrier = [], threading.Barrier(4)

    def worker():
        with httpx.Client(timeout=10) as http:
            barrier.wait()
            tokens.append(store(http).access_token())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake_exact.refreshes == 1 and fake_exact.refused_refreshes == 0
    assert set(tokens) == {fake_exact.access_token}


def test_a_timed_out_post_is_looked_up_not_posted_again(
    session_factory, export_settings, fake_moneybird
):
    import httpx

    docs = make_documents(3, customers=1)
    fake_moneybird.slow_invoice_posts, fake_moneybird.slow_seconds = 1, 4.0
    with httpx.Client(timeout=2.0) as http:  # the first invoice's answer never arrives
        first = _run(session_factory, export_settings, Target.MONEYBIRD, ListSource(docs), http)
    assert (first.exported, first.failed) == (2, 1)
    timed_out = next(d for d in first.report["documents"] if d["status"] == "posting")
    assert "Timeout" in timed_out["last_error"]
    assert fake_moneybird.posts["invoices"] == 3  # it *was* created remotely

    with httpx.Client(timeout=10) as http:
        second = _run(session_factory, export_settings, Target.MONEYBIRD, ListSource(docs), http)
    assert (second.exported, second.failed) == (1, 0)
    assert fake_moneybird.posts["invoices"] == 3  # found by reference, not posted again
    assert set(fake_moneybird.invoice_count_by_reference().values()) == {1}


def test_concurrent_claims_leave_exactly_one_running_run(session_factory):
    import threading

    results, barrier = [], threading.Barrier(6)

    def claim():
        barrier.wait()
        try:
            results.append(start_run(session_factory=session_factory, target="exact").id)
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("conflict") == 5
    with transaction(session_factory) as session:
        running = (
            session.execute(select(ExportRun).where(ExportRun.status == RunStatus.RUNNING))
            .scalars()
            .all()
        )
        assert len(running) == 1
