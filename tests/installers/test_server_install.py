"""The server as an operator installs it: wheel and sdist built (``python -m build``),
installed into a fresh virtualenv, ``rentguy-server migrate``, ``serve``, ``/readyz`` 200.

The wheel is built from the sdist (``build``'s default), so a file the sdist misses fails
here. The fresh venv gets the wheel with ``--no-deps`` and this venv's third-party
packages through a ``.pth`` line: a full dependency install from the pip cache takes
~100 s (660 MB: PySide6, OpenCV, ...) on CI's two cores, for packages this venv already
holds at the same pins. What the full install would add -- pip resolving the wheel's
declared dependencies under ``constraints.txt`` -- every run of ``dev.sh`` does already
(``pip install -c constraints.txt -e ".[test]"``: the same dependency list).
``RENTGUY_FULL_INSTALL_TEST=1`` does the full install instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from shared.version import __version__
from tests.helpers.live_server import free_port

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
SOURCES = ["pyproject.toml", "README.md", "client", "server", "shared"]
FULL = os.environ.get("RENTGUY_FULL_INSTALL_TEST") == "1"


def _run(*command: str, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the built wheel installed: its ``bin`` directory."""
    if importlib_missing("build"):
        message = "the 'build' package is not installed (pip install -c constraints.txt '.[test]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("server-install")
    # A copy of what the sdist is made of: building writes egg-info into its source tree.
    source = root / "src"
    source.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, source / name, **({"ignore": _junk} if copy is shutil.copytree else {}))
    started = time.monotonic()
    _run(sys.executable, "-m", "build", "--outdir", str(root / "dist"), str(source))
    wheels = list((root / "dist").glob(f"rentguy_kiosk-{__version__}-*.whl"))
    sdists = list((root / "dist").glob(f"rentguy_kiosk-{__version__}.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list((root / "dist").iterdir())
    built = time.monotonic()
    names = zipfile.ZipFile(wheels[0]).namelist()
    for needed in ("server/migrations/versions/0021_ship.py", "server/migrations/script.py.mako",
                   "client/i18n/rentguy_nl.qm", "client/selftest_barcode.png",
                   "shared/version.py"):  # fmt: skip
        assert needed in names, f"{needed} missing from the wheel"

    venv = root / "venv"
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
           "-q", "-c", str(REPO / "constraints.txt")]  # fmt: skip
    if FULL:
        _run(sys.executable, "-m", "venv", str(venv))
        _run(*pip, str(wheels[0]))
    else:
        _run(sys.executable, "-m", "venv", "--without-pip", str(venv))
        _run(*pip, "--no-deps", str(wheels[0]))
        where = "import sysconfig; print(sysconfig.get_path('purelib'))"
        purelib = _run(str(venv / "bin" / "python"), "-c", where).stdout.strip()
        (Path(purelib) / "rentguy-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    print(f"server install: build {built - started:.1f} s, venv {time.monotonic() - built:.1f} s")
    return venv / "bin"


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


def _junk(_directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("__pycache__", ".pytest_cache") or n.endswith(".pyc")]


def test_installed_server_migrates_serves_and_is_ready(installed, fresh_database_url, tmp_path):
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("RENTGUY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }  # fmt: skip
    env.update(
        RENTGUY_DATABASE_URL=fresh_database_url,
        RENTGUY_SECRET_KEY=os.environ["RENTGUY_SECRET_KEY"],
        RENTGUY_ENVIRONMENT="test",
        RENTGUY_WORKERS="1",
    )
    server = installed / "rentguy-server"
    where = _run(str(installed / "python"), "-c", "import server; print(server.__file__)",
                 env=env, cwd=tmp_path).stdout  # fmt: skip
    assert str(installed.parent) in where and str(REPO) not in where  # the installed copy
    _run(str(server), "migrate", env=env, cwd=tmp_path, timeout=300)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(server), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, (tmp_path / "serve.log").read_text()
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
        assert health["version"] == __version__
    finally:
        process.terminate()
        process.wait(30)
