"""Fault test: SIGKILL the kiosk in the middle of a scan burst, then start it again.

Every scan that got feedback before the kill must be in the local queue (committed
before feedback) and must reach the real server exactly once after the restart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from client.config import KioskConfig
from client.store import LocalStore
from server.warehouse.models import Scan
from tests.helpers.live_server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.gui]
ROOT = Path(__file__).resolve().parents[2]
FEEDBACK_BEFORE_KILL = 40


@pytest.fixture
def live(tmp_path):
    server = LiveServer(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path / "server.log")
    server.cli("migrate")
    demo = json.loads(server.cli("seed-demo"))
    server.start()
    yield server, demo
    server.stop()


def harness(*args: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.client.kiosk_harness", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_sigkill_mid_burst_loses_no_acknowledged_scan(live, tmp_path):
    server, demo = live
    data_dir = tmp_path / "kiosk"
    config = KioskConfig(server_url=server.url, data_dir=data_dir)
    config.write_station_token(demo["station_token"])
    common = ["--data-dir", str(data_dir), "--server-url", server.url]

    kiosk = harness(
        "burst", *common, "--badge", demo["badge_code"], "--codes", ",".join(demo["unit_codes"])
    )
    acknowledged: list[str] = []
    try:
        assert kiosk.stdout is not None
        for line in kiosk.stdout:
            if line.startswith("FEEDBACK "):
                acknowledged.append(line.split()[1])
                if len(acknowledged) == FEEDBACK_BEFORE_KILL // 2:
                    server.stop()  # the Wi-Fi drops too: the rest of the burst stays queued
                if len(acknowledged) == FEEDBACK_BEFORE_KILL:
                    kiosk.send_signal(signal.SIGKILL)  # mid-burst: it keeps scanning until now
                    break
    finally:
        kiosk.kill()
        kiosk.wait(30)
    assert kiosk.returncode == -signal.SIGKILL
    assert len(acknowledged) == FEEDBACK_BEFORE_KILL

    # Everything acknowledged is on disk, whatever the kill interrupted.
    with LocalStore(config.store_path) as store:
        for scan_id in acknowledged:
            assert store.get_scan(scan_id).seq is not None
        pending = store.queue_depth()

    assert pending > 0  # the kill hit a kiosk with an outbox to lose
    server.start()
    restarted = harness("drain", *common, "--timeout", "60")
    out, _ = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, out
    assert "DRAINED" in out

    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            on_server = Counter(str(s) for s in conn.scalars(select(Scan.scan_id)).all())
    finally:
        engine.dispose()
    assert set(acknowledged) <= set(on_server)  # every acknowledged scan arrived...
    assert set(on_server.values()) == {1}  # ...exactly once
    with LocalStore(config.store_path) as store:
        assert store.queue_depth() == 0
        local = {s.scan_id for s in store.recent_scans(100_000) if s.seq is not None}
    assert set(on_server) == local  # nothing the kiosk never recorded, nothing left behind
    print(f"acknowledged {len(acknowledged)}, queued at kill {pending}, server {len(on_server)}")
