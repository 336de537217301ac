"""The BUILT kiosk bundle runs: its self-test, and install-kiosk.sh into a throw-away root.

The bundle is built once per run (``conftest.kiosk_bundle``; CI always, locally with
``RENTGUY_BUNDLE_TESTS=1``). Nothing here imports the kiosk: the frozen executable runs.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from server.audit.service import Actor
from server.db import make_engine, make_session_factory, transaction
from server.identity import stations
from tests.helpers.live_server import LiveServer

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "installers" / "kiosk" / "install-kiosk.sh"
CHECKS = ("qt", "translation", "store", "config", "decoder zxing-cpp", "decoder pyzbar",
          "serial")  # fmt: skip


def headless_env(home: Path) -> dict[str, str]:
    """No screen, and a home of its own (the kiosk's default config path is under it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must pick offscreen by itself
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env.pop(name, None)
    return {**env, "HOME": str(home)}


def lines_by_check(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        match = re.match(r"^(ok  |FAIL|skip) ([^:]+): ", line)
        if match:
            found[match.group(2)] = match.group(1).strip()
    return found


@pytest.mark.bundle
def test_the_built_bundle_passes_its_self_test(kiosk_bundle, tmp_path):
    started = time.monotonic()
    done = subprocess.run(
        [str(kiosk_bundle / "rentguy-kiosk"), "--self-test"],
        env=headless_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines_by_check(done.stdout) == {check: "ok" for check in CHECKS}, done.stdout
    assert f"self-test passed ({len(CHECKS)} checks)" in done.stdout
    assert str(kiosk_bundle) in done.stdout  # the translation came from inside the bundle
    print(f"bundle self-test: {elapsed:.2f} s")


@pytest.mark.bundle
def test_a_failing_check_exits_non_zero_with_a_precise_message(kiosk_bundle, tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text('server_url = "http://127.0.0.1:8765"\nwedge_gap_msec = 20\n')
    done = subprocess.run(
        [str(kiosk_bundle / "rentguy-kiosk"), "--self-test", "--config", str(bad)],
        env=headless_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    checks = lines_by_check(done.stdout)
    assert checks.pop("config") == "FAIL"
    assert set(checks.values()) == {"ok"}  # one failure does not hide the other checks
    config_line = next(ln for ln in done.stdout.splitlines() if ln.startswith("FAIL config"))
    assert "wedge_gap_msec" in config_line, config_line  # names the unknown key
    assert "self-test FAILED: 1 of" in done.stdout


@pytest.fixture
def live(fresh_database_url, tmp_path):
    server = LiveServer(fresh_database_url, tmp_path / "server.log")
    server.cli("migrate")
    server.start()
    yield server
    server.stop()


def enrolment_code(database_url: str, name: str) -> str:
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            _, code = stations.create_enrollment(
                session=session, name=name, ttl=timedelta(minutes=10), actor=Actor()
            )
    finally:
        engine.dispose()
    return code


def install(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**headless_env(home.parent), "KIOSK_HOME": str(home)}
    return subprocess.run(
        ["bash", str(INSTALL), *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.bundle
def test_install_kiosk_into_a_throwaway_root_and_enrol(kiosk_bundle, live, tmp_path):
    home = tmp_path / "home"
    code = enrolment_code(live.database_url, "Install test")
    done = install(
        home, "--autostart", "--server-url", live.url, "--enrol-code", code,
        "--station-name", "Install test", str(kiosk_bundle),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "self-test passed" in done.stdout
    assert "enrolled as 'Install test'" in done.stdout

    dest = home / ".local/opt/rentguy-kiosk"
    assert os.access(dest / "rentguy-kiosk", os.X_OK)
    config_dir = home / ".config/rentguy-kiosk"
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    config = (config_dir / "config.toml").read_text()
    assert f"server_url = '{live.url}'" in config
    token_file = home / ".local/share/rentguy-kiosk/station-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    answer = httpx.get(
        f"{live.url}/api/v1/sync/reference", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200  # the token the install stored is a working one

    desktop = home / ".config/autostart/rentguy-kiosk.desktop"
    entry = desktop.read_text()
    assert f"Exec={dest}/rentguy-kiosk" in entry and "@BUNDLE_DIR@" not in entry
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr

    # The code was for one station: enrolling again with it is refused, the token stays.
    reuse = subprocess.run(
        [str(dest / "rentguy-kiosk"), "--config", str(config_dir / "config.toml"),
         "--enrol", code],
        env=headless_env(home), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert reuse.returncode == 1, reuse.stdout + reuse.stderr
    assert f"enrolment at {live.url} failed" in reuse.stderr, reuse.stderr
    assert token_file.read_text().strip() == token

    # Reinstalled as a systemd user unit: the autostart entry goes, config and token stay.
    again = install(home, str(kiosk_bundle))
    assert again.returncode == 0, again.stdout + again.stderr
    assert not desktop.exists()
    assert (home / ".config/systemd/user/rentguy-kiosk.service").exists()
    assert (config_dir / "config.toml").read_text() == config
    assert token_file.read_text().strip() == token


def test_install_as_root_without_a_staging_root_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("checks the root refusal: run as root (CI is)")
    env = {**headless_env(tmp_path)}
    env.pop("KIOSK_HOME", None)
    done = subprocess.run(["bash", str(INSTALL), str(tmp_path)], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1 and "not as root" in done.stderr
    assert done.stdout == ""
