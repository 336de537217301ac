"""The kiosk bundle, built once per test run with PyInstaller (``installers/kiosk``).

Built in CI (``CI`` set) or when ``RENTGUY_BUNDLE_TESTS=1``; skipped otherwise (the build
takes ~30-60 s of two cores and writes ~380 MB). Under pytest-xdist the workers share one
build: the first builds it under a lock in the run's common temp directory, the others
wait for it and reuse it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "installers" / "kiosk" / "rentguy-kiosk.spec"
ENABLE = "RENTGUY_BUNDLE_TESTS"


def bundle_wanted() -> None:
    if not (os.environ.get("CI") or os.environ.get(ENABLE) == "1"):
        pytest.skip(f"builds the kiosk bundle with PyInstaller (~1 min): set {ENABLE}=1 (CI does)")
    if importlib.util.find_spec("PyInstaller") is None:
        message = "PyInstaller is not installed (pip install -c constraints.txt '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def kiosk_bundle(tmp_path_factory) -> Path:
    """The built one-folder bundle: ``<dir>/rentguy-kiosk`` is its executable."""
    bundle_wanted()
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by every worker of this run
    build = root / "kiosk-bundle"
    build.mkdir(exist_ok=True)
    done = build / "built"
    with (build / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-m", "PyInstaller", "--noconfirm",
                 "--distpath", str(build / "dist"), "--workpath", str(build / "work"),
                 str(SPEC)],
                cwd=REPO, capture_output=True, text=True, timeout=900,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-4000:]
            done.write_text(f"{time.monotonic() - started:.1f}\n")
    print(f"kiosk bundle built in {done.read_text().strip()} s")
    return build / "dist" / "rentguy-kiosk"
