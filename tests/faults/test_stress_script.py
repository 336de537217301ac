"""The load script (stress/scan_load.py) in a bounded run: 3 stations, 6 s, a restart.

Keeps the script working between the long runs docs/reliability.md reports; it exits 1
when a scan was lost or doubled.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("restart", ["sigkill"])
def test_a_short_load_run_loses_and_doubles_nothing(fresh_database_url, restart):
    run = subprocess.run(
        [sys.executable, "stress/scan_load.py", "--stations", "3", "--duration", "6",
         "--database-url", fresh_database_url, "--restart", restart],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "lost 0, doubled 0" in run.stdout
    assert f"server restarted ({restart})" in run.stdout
