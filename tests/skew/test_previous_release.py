"""Version skew: the previous release's kiosk syncs against this server.

Kiosks are upgraded after the server, one station at a time (docs/operations.md), so the
server must take the kiosks of the release before it. The previous release is the newest
entry of ``releases.toml``; its client is taken from the repository's own history
(``git archive <commit>``: a clean clone carries the history but maybe not the tags) and
run as its own process: the old tree's ``client`` and ``shared`` packages (and its own
headless kiosk, ``tests/helpers/sync_kiosk.py``) first on ``sys.path``, this virtualenv's
third-party packages under them. Not a virtualenv of its own: the old and the current
release pin the same client dependencies (checked below), and a fresh venv would cost a
minute of CI per run for the same packages.

Asserted, on SQLite and PostgreSQL: every scan the old kiosk recorded is on the server
exactly once and applied, its queue drains, and it downloaded the reference data.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from server.warehouse.models import Scan
from shared.version import __version__
from tests.helpers.live_server import LiveServer

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
SCANS = 24
# What the old client needs from its tree: its packages and its own headless kiosk.
OLD_PATHS = ["client", "shared", "tests/__init__.py", "tests/helpers"]
# Third-party packages the kiosk imports: the old release must pin the same versions, or
# running it on this venv's packages would not be the kiosk that was shipped.
CLIENT_DEPS = ("httpx", "pydantic", "pydantic_core", "biip", "uuid-utils", "PySide6_Essentials")


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, timeout=60)


def previous_release() -> dict:
    releases = tomllib.loads((REPO / "releases.toml").read_text())["releases"]
    older = [r for r in releases if r["version"] != __version__]
    assert older, "releases.toml lists no release before this one"
    return older[-1]


def release_commit(release: dict) -> str:
    """The release's commit, by its sha (history) or else its tag; missing: a CI failure."""
    sha, tag = release["commit"], f"v{release['version']}"
    if _git("cat-file", "-e", f"{sha}^{{commit}}").returncode == 0:
        tagged = _git("rev-parse", "-q", "--verify", f"{tag}^{{commit}}")
        if tagged.returncode == 0:  # a tag, where there is one, must name the same commit
            assert tagged.stdout.decode().strip() == sha, f"tag {tag} is not {sha}"
        return sha
    tagged = _git("rev-parse", "-q", "--verify", f"{tag}^{{commit}}")
    if tagged.returncode == 0:
        return tagged.stdout.decode().strip()
    message = (
        f"previous release {release['version']} not found: neither commit {sha} "
        f"(releases.toml) nor tag {tag} is in the git repository at {REPO}. "
        "Clone with full history (no --depth) or fetch the tag."
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def extract(commit: str, dest: Path) -> Path:
    done = _git("archive", "--format=tar", commit, *OLD_PATHS)
    assert done.returncode == 0, done.stderr.decode()
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and not name.startswith("#"):
            pins[name.lower().replace("_", "-")] = version
    return pins


def old_client_run(tree: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, *args], cwd=tree, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def server_scans(database_url: str) -> tuple[Counter[str], Counter[str]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            per_id = Counter(
                {str(i): n for i, n in conn.execute(
                    select(Scan.scan_id, func.count()).group_by(Scan.scan_id))}
            )  # fmt: skip
            statuses = Counter(conn.scalars(select(Scan.status)).all())
    finally:
        engine.dispose()
    return per_id, statuses


_OLD_STATE = """
import json, sys
import client, client.sync.engine
from client.store import LocalStore
with LocalStore(sys.argv[1]) as store:
    print(json.dumps({
        "client_from": client.__file__,
        "queue_depth": store.queue_depth(),
        "scan_ids": [s.scan_id for s in store.recent_scans(100_000) if s.seq is not None],
        "states": sorted({s.state for s in store.recent_scans(100_000)}),
        "has_reference": store.has_reference(),
        "projects": len(store.open_projects()),
    }))
"""


def test_previous_release_client_syncs_against_this_server(fresh_database_url, tmp_path):
    release = previous_release()
    commit = release_commit(release)
    tree = extract(commit, tmp_path / f"rentguy-{release['version']}")
    old_constraints = _git("show", f"{commit}:constraints.txt").stdout.decode()
    old, new = _pins(old_constraints), _pins((REPO / "constraints.txt").read_text())
    for dep in CLIENT_DEPS:
        key = dep.lower().replace("_", "-")
        assert old.get(key) == new.get(key), (
            f"{dep}: release {release['version']} pins {old.get(key)}, this tree "
            f"{new.get(key)}: give the old client a virtualenv of its own"
        )

    server = LiveServer(fresh_database_url, tmp_path / "server.log")
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    server.start()
    data = tmp_path / "old-kiosk"
    data.mkdir()
    (data / "station-token").write_text(demo["station_token"])
    # Four units of one product the pick list wants four of: out, in, out, ... all apply.
    codes = [code for code in demo["unit_codes"] if code.startswith("RG-LGT-MAC")][:4]
    assert len(codes) == 4, demo["unit_codes"]
    common = ["--data-dir", str(data), "--server-url", server.url,
              "--token-file", str(data / "station-token")]  # fmt: skip
    try:
        burst = old_client_run(
            tree, "-m", "tests.helpers.sync_kiosk", "burst", *common,
            "--badge", demo["badge_code"], "--codes", ",".join(codes),
            "--scans", str(SCANS), "--rate", "100", "--exit-when-done",
        )  # fmt: skip
        assert burst.returncode == 0, burst.stdout + burst.stderr
        assert "BURST-DONE" in burst.stdout, burst.stdout + burst.stderr
        recorded = [ln.split()[1] for ln in burst.stdout.splitlines() if ln.startswith("FEEDBACK")]
        assert len(recorded) == SCANS
        drain = old_client_run(tree, "-m", "tests.helpers.sync_kiosk", "drain", *common)
        assert drain.returncode == 0 and "DRAINED" in drain.stdout, drain.stdout + drain.stderr
    finally:
        server.stop()

    state = old_client_run(tree, "-c", _OLD_STATE, str(data / "kiosk.sqlite3"))
    assert state.returncode == 0, state.stderr
    local = json.loads(state.stdout)
    assert Path(local["client_from"]).is_relative_to(tree)  # the old client ran, not ours
    assert local["queue_depth"] == 0
    assert local["has_reference"] and local["projects"] >= 1  # reference data downloaded
    assert set(recorded) <= set(local["scan_ids"])

    per_id, statuses = server_scans(fresh_database_url)
    assert set(recorded) == set(per_id)  # every scan arrived ...
    assert set(per_id.values()) == {1}  # ... exactly once
    # Out and in of the same units alternate: each is applied, none refused.
    assert statuses == Counter({"applied": SCANS}), statuses
