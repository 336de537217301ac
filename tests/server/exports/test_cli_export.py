"""``rentguy-server export ...`` as an operator runs it (a real subprocess, a real fake)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.server.exports.conftest import MB_LEDGER, MB_TAX


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
def cli_env(tmp_path):
    env = {**os.environ, "RENTGUY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    _cli("migrate", env=env)
    return env


def test_export_run_against_the_fake_moneybird(cli_env, fake_moneybird):
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
    # The document source is empty until invoicing (issue 6) is wired in: 0 documents.
    assert run["status"] == "succeeded" and run["total"] == 0
    assert "[" in done.stderr and "calls" in done.stderr  # the progress bar
    assert fake_moneybird.requests == run["api_calls"] == 1  # the remote version listing


def test_export_run_unconfigured_is_a_clear_error(cli_env):
    failed = _cli("export", "run", "--target", "exact", env=cli_env, check=False)
    assert failed.returncode != 0
    assert "RENTGUY_EXACT_DIVISION" in failed.stderr


def test_export_files(cli_env, tmp_path):
    out = tmp_path / "docs.csv"
    _cli("export", "files", "--format", "csv", "--out", str(out), env=cli_env)
    assert out.read_text().startswith("type,number,date")
    ubl = _cli(
        "export",
        "files",
        "--format",
        "ubl",
        "--out",
        str(tmp_path / "u.zip"),
        env=cli_env,
        check=False,
    )
    assert ubl.returncode != 0 and "RENTGUY_COMPANY_NAME" in ubl.stderr
