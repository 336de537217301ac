"""Issue 13 item 4: a run's status follows its outcomes (succeeded, partial, failed) and
its report names every failure; Exact's access token is reused until Exact allows a
refresh, and the first connection stores a full token set. SQLite and PostgreSQL, real
HTTP to the strict fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pydantic import SecretStr

from server.db import transaction, utcnow
from server.exports.crypto import TokenCipher
from server.exports.documents import (
    DocumentKind,
    ExportCustomer,
    ExportDocument,
    ExportLine,
    ListSource,
)
from server.exports.models import ExportCredential, RunStatus, Target
from server.exports.reconciliation.report import render_csv, render_html
from server.exports.service import build_connector, exact_tokens, run_export
from server.exports.targets.http import NotAuthorized

TARGETS = [Target.MONEYBIRD, Target.EXACT]
CUSTOMER = ExportCustomer(id="cust-1", ref="C00001", name="Klant B.V.")


def _doc(number: str, rate: int) -> ExportDocument:
    return ExportDocument(
        id=f"doc-{number}",
        kind=DocumentKind.INVOICE,
        number=number,
        date=date(2026, 11, 2),
        customer=CUSTOMER,
        lines=(ExportLine("Huur", 100_00, rate, "rental"),),
    )


def _run(session_factory, settings, target, source, http):
    return run_export(
        session_factory=session_factory, settings=settings, target=target, source=source, http=http
    )


def _refuse_nine_percent(target, fake_moneybird, fake_exact) -> None:
    """The target no longer knows the 9 % rate: documents with it are refused (4xx)."""
    if target is Target.MONEYBIRD:
        fake_moneybird.tax_rates.pop("1002")
    else:
        fake_exact.vat_codes.pop("1")


@pytest.mark.parametrize("target", TARGETS)
def test_some_items_refused_make_a_partial_run_that_names_each_failure(
    target, session_factory, export_settings, http, fake_moneybird, fake_exact
):
    _refuse_nine_percent(target, fake_moneybird, fake_exact)
    source = ListSource([_doc("INV-21", 21), _doc("INV-9", 9)])
    run = _run(session_factory, export_settings, target, source, http)
    assert run.status == RunStatus.PARTIAL
    assert (run.exported, run.failed) == (1, 1)
    assert "1 of 2 items failed" in run.message
    [failure] = run.report["failures"]
    assert failure["number"] == "INV-9" and failure["kind"] == "invoice"
    assert "tax_rate_id" in failure["reason"] or "VATCode" in failure["reason"]
    assert "INV-9" in render_html(run) and "INV-9" in render_csv(run)
    assert "1 documents this run exported match" in render_html(run)


@pytest.mark.parametrize("target", TARGETS)
def test_a_run_whose_every_item_failed_is_failed_not_succeeded(
    target, session_factory, export_settings, http, fake_moneybird, fake_exact
):
    _refuse_nine_percent(target, fake_moneybird, fake_exact)
    source = ListSource([_doc("INV-A", 9), _doc("INV-B", 9)])
    run = _run(session_factory, export_settings, target, source, http)
    assert run.status == RunStatus.FAILED
    assert (run.exported, run.failed) == (0, 2)
    assert [f["number"] for f in run.report["failures"]] == ["INV-A", "INV-B"]
    html = render_html(run)
    assert "match to the cent" not in html and "nothing compared" in html


def test_a_refresh_exact_refuses_as_too_early_stops_the_run_with_what_to_do(
    session_factory, export_settings, http, fake_exact
):
    # The operator consented: Exact issued an access token (10 min) with the refresh token
    # configured as RENTGUY_EXACT_REFRESH_TOKEN. Refreshing now is refused as too early.
    fake_exact.access_token, fake_exact.access_expires = "at-consent", time.time() + 600
    source = ListSource([_doc("INV-1", 21), _doc("INV-2", 21)])
    run = _run(session_factory, export_settings, Target.EXACT, source, http)
    assert run.status == RunStatus.FAILED
    assert "refused" in run.message and "export connect exact" in run.message
    assert run.report["stopped"] and run.report.get("failures") == []
    assert fake_exact.refused_refreshes == 1 and fake_exact.posts["entries"] == 0
    assert "match to the cent" not in render_html(run)

    # Connected with the full set, the next run uses the access token: no refresh at all.
    store = exact_tokens(settings=export_settings, session_factory=session_factory, http=http)
    store.connect(
        access_token="at-consent",
        refresh_token=fake_exact.refresh_token,
        expires_at=utcnow() + timedelta(seconds=590),
    )
    run = _run(session_factory, export_settings, Target.EXACT, source, http)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert fake_exact.refreshes == 0 and fake_exact.refused_refreshes == 1
    assert fake_exact.posts["entries"] == 2


def test_exact_not_connected_stops_before_any_call(
    session_factory, export_settings, http, fake_exact
):
    settings = export_settings.model_copy(update={"exact_refresh_token": SecretStr("")})
    run = _run(session_factory, settings, Target.EXACT, ListSource([_doc("INV-1", 21)]), http)
    assert run.status == RunStatus.FAILED and "not connected" in run.message
    assert run.api_calls == 0 and fake_exact.requests == 0


def _exact(session_factory, settings, http):
    return build_connector(
        settings=settings, target=Target.EXACT, session_factory=session_factory, http=http
    )


def test_a_401_after_another_process_refreshed_takes_its_token_without_a_refresh(
    session_factory, export_settings, http, fake_exact
):
    first = _exact(session_factory, export_settings, http)
    first.request("GET", "/crm/Accounts")  # connects: refresh 1, token cached in `first`
    # Another process refreshes near expiry; the token `first` holds is no longer valid.
    fake_exact.access_expires = time.time() + 10
    with transaction(session_factory) as session:
        row = session.get(ExportCredential, "exact")
        row.access_expires_at = utcnow() + timedelta(seconds=10)
    _exact(session_factory, export_settings, http).request("GET", "/crm/Accounts")
    assert fake_exact.refreshes == 2
    first.request("GET", "/crm/Accounts")  # 401, then the stored token: no third refresh
    assert fake_exact.refreshes == 2 and fake_exact.refused_refreshes == 0


def test_a_401_on_a_token_that_should_be_valid_is_not_answered_with_a_refresh(
    session_factory, export_settings, http, fake_exact
):
    client = _exact(session_factory, export_settings, http)
    client.request("GET", "/crm/Accounts")
    fake_exact.access_token = "at-revoked-elsewhere"  # our token is refused from now on
    with pytest.raises(NotAuthorized, match="export connect exact"):
        client.request("GET", "/crm/Accounts")
    assert fake_exact.refreshes == 1 and fake_exact.refused_refreshes == 0


def test_the_access_token_is_reused_until_exact_allows_a_refresh(
    session_factory, export_settings, http, fake_exact
):
    client = _exact(session_factory, export_settings, http)
    for _ in range(3):
        client.request("GET", "/crm/Accounts")
    assert fake_exact.refreshes == 1
    # In its last 30 s the token is refreshed, and Exact accepts that.
    fake_exact.access_expires = time.time() + 20
    with transaction(session_factory) as session:
        session.get(ExportCredential, "exact").access_expires_at = utcnow() + timedelta(
            seconds=20
        )
    fresh = _exact(session_factory, export_settings, http)
    fresh.request("GET", "/crm/Accounts")
    assert fake_exact.refreshes == 2 and fake_exact.refused_refreshes == 0


def _cli(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def connect_env(export_settings, fake_exact):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("RENTGUY_EXACT_")
    }
    env.update(
        {
            "RENTGUY_DATABASE_URL": export_settings.database_url,
            "RENTGUY_SECRET_KEY": export_settings.secret_key.get_secret_value(),
            "RENTGUY_EXACT_BASE_URL": fake_exact.url,
            "RENTGUY_EXACT_CLIENT_ID": fake_exact.client_id,
            "RENTGUY_EXACT_CLIENT_SECRET": fake_exact.client_secret,
            "RENTGUY_EXACT_REDIRECT_URI": fake_exact.redirect_uri,
        }
    )
    return env


def _stored(session_factory, settings) -> tuple[str, str]:
    cipher = TokenCipher.from_settings(settings)
    with transaction(session_factory) as session:
        row = session.get(ExportCredential, "exact")
        return cipher.decrypt(row.access_token), cipher.decrypt(row.refresh_token)


def test_connect_exact_by_the_authorization_code_exchange(
    connect_env, session_factory, export_settings, fake_exact
):
    shown = _cli("export", "connect", "exact", env=connect_env)
    assert shown.returncode == 2 and "/api/oauth2/auth?client_id=exact-client" in shown.stdout
    done = _cli("export", "connect", "exact", "--code", "ac-initial", env=connect_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["connected"] is True
    assert _stored(session_factory, export_settings) == (
        fake_exact.access_token,
        fake_exact.refresh_token,
    )
    again = _cli("export", "connect", "exact", "--code", "ac-initial", env=connect_env)
    assert again.returncode != 0 and "refused" in again.stderr  # a code works once


def test_connect_exact_with_an_access_token_from_the_environment(
    connect_env, session_factory, export_settings, http, fake_exact
):
    fake_exact.access_token, fake_exact.access_expires = "at-given", time.time() + 500
    env = {**connect_env, "RENTGUY_EXACT_ACCESS_TOKEN": "at-given"}
    missing = _cli("export", "connect", "exact", "--expires-in", "490", env=env)
    assert missing.returncode != 0 and "RENTGUY_EXACT_REFRESH_TOKEN" in missing.stderr
    env["RENTGUY_EXACT_REFRESH_TOKEN"] = fake_exact.refresh_token
    done = _cli("export", "connect", "exact", "--expires-in", "490", env=env)
    assert done.returncode == 0, done.stderr
    assert _stored(session_factory, export_settings) == ("at-given", fake_exact.refresh_token)
    _exact(session_factory, export_settings, http).request("GET", "/crm/Accounts")
    assert fake_exact.refreshes == 0


def test_a_stopped_partial_run_does_not_hide_the_documents_it_never_reached(
    session_factory, export_settings, http, fake_exact
):
    yesterday = utcnow() - timedelta(days=1)
    docs = [
        replace(_doc(number, rate), updated_at=yesterday)
        for number, rate in (("INV-1", 21), ("INV-2", 9), ("INV-3", 9), ("INV-4", 9), ("INV-5", 21))
    ]
    fake_exact.vat_codes.pop("1")
    first = _run(session_factory, export_settings, Target.EXACT, ListSource(docs), http)
    assert first.status == RunStatus.PARTIAL and "stopped" in first.message
    assert first.exported == 1  # INV-1; three refusals stopped it before INV-5
    fake_exact.vat_codes["1"] = 9
    second = _run(session_factory, export_settings, Target.EXACT, ListSource(docs), http)
    assert second.status == RunStatus.SUCCEEDED, second.message
    assert sorted(fake_exact.entry_count_by_ref()) == [d.number for d in docs]
