"""Several real kiosks sync through a proxy that breaks connections, while the server is
SIGKILLed several times and one kiosk once, mid-burst.

The kiosks are ``tests.helpers.sync_kiosk`` processes: the client's own SQLite queue and
``SyncEngine``, one connection per request, 2 s timeout. The proxy (``FaultProxy``) drops,
resets before and after forwarding, cuts answers after the server committed and delays
requests past the client's timeout so late duplicates arrive.

Asserted: every scan that got feedback (committed to its kiosk's queue) is on the server
exactly once; the queues drain; a final resend of every scan answers ``duplicate``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from client.store import LocalStore
from server.warehouse.models import Scan
from shared.protocol import MAX_BATCH_SIZE, ScanBatch
from tests.helpers.fault_proxy import FAULTS, FaultProxy

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
KIOSKS = 4
# Scans (of the kiosks that are not killed) between two server kills, and after the last.
SCANS_BETWEEN_KILLS = int(os.environ.get("RENTGUY_FAULT_SCANS", "30"))
SERVER_KILLS = 3
FAULT_WEIGHTS = {
    "pass": 4,
    "drop": 1,
    "reset_before": 1,
    "reset_after": 1,
    "cut": 1,
    "delay": 1,
}


class Kiosk:
    """One sync_kiosk process and what it printed."""

    def __init__(self, data_dir: Path, token: str, url: str) -> None:
        self.data_dir = data_dir
        self.url = url
        self.token = token
        self.token_file = data_dir / "station-token"
        data_dir.mkdir(parents=True)
        self.token_file.write_text(token)
        self.acknowledged: list[str] = []
        self.lines: list[str] = []
        self.process: subprocess.Popen | None = None

    def run(self, mode: str, *extra: str) -> subprocess.Popen:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.sync_kiosk", mode, *self.args(), *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        return self.process

    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), "--server-url", self.url,
                "--token-file", str(self.token_file)]  # fmt: skip

    def read(self) -> None:
        """Collect output until the process ends (on a thread)."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())
            if line.startswith("FEEDBACK "):
                self.acknowledged.append(line.split()[1])

    def printed(self, word: str) -> bool:
        return any(line.startswith(word) for line in self.lines)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_every_acknowledged_scan_arrives_exactly_once_through_faults(live_site):
    server, demo = live_site.server, live_site.demo
    proxy = FaultProxy(server.port, weights={"pass": 1}, delay_s=3.0).start()
    kiosks = [
        Kiosk(live_site.tmp / f"kiosk{n}", token, proxy.url)
        for n, token in enumerate(live_site.station_tokens(KIOSKS))
    ]
    burst = ["--badge", demo["badge_code"], "--codes", ",".join(demo["unit_codes"]),
             "--scans", "0", "--rate", "10", "--timeout", "2"]  # fmt: skip
    readers = []
    victim, survivors = kiosks[0], kiosks[1:]

    def scanned() -> int:
        return sum(len(k.acknowledged) for k in survivors)

    try:
        for kiosk in kiosks:
            kiosk.run("burst", *burst)
            readers.append(threading.Thread(target=kiosk.read, daemon=True))
            readers[-1].start()
        wait_for(lambda: all(k.printed("READY") for k in kiosks), 120, "reference downloads")
        proxy.set_faults(FAULT_WEIGHTS)

        for _kill in range(SERVER_KILLS):
            target = scanned() + SCANS_BETWEEN_KILLS
            wait_for(lambda t=target: scanned() >= t, 120, "scans before a server kill")
            server.stop(signal.SIGKILL)  # mid-commit, mid-answer: whatever it was doing
            if victim.process.poll() is None:
                victim.process.send_signal(signal.SIGKILL)  # mid-burst, once
            time.sleep(0.3)
            server.start()
        target = scanned() + SCANS_BETWEEN_KILLS
        wait_for(lambda: scanned() >= target, 120, "scans after the last kill")
        assert victim.process.wait(10) == -signal.SIGKILL
    finally:
        for kiosk in kiosks:  # power off: what got feedback is committed already
            if kiosk.process.poll() is None:
                kiosk.process.kill()
            kiosk.process.wait(10)
        for reader in readers:
            reader.join(10)

    # The network heals: every kiosk (the killed one restarted) drains through the proxy.
    proxy.set_faults({"pass": 1})
    drains = [kiosk.run("drain", "--timeout", "10") for kiosk in kiosks]
    for kiosk, drain in zip(kiosks, drains, strict=True):
        out, _ = drain.communicate(timeout=180)
        assert drain.returncode == 0, f"{kiosk.data_dir.name}: {out}"
    proxy.stop()
    assert {fault for fault in FAULTS if proxy.counts[fault] == 0} == set(), proxy.counts

    on_server = server_scan_counts(server.database_url)
    assert set(on_server.values()) == {1}  # exactly once
    for kiosk in kiosks:
        with LocalStore(kiosk.store_path) as store:
            assert store.queue_depth() == 0
            local = [s for s in store.recent_scans(100_000) if s.seq is not None]
        assert set(kiosk.acknowledged) <= {s.scan_id for s in local}  # on disk before the beep
        assert {s.scan_id for s in local} <= set(on_server)  # and on the server
        statuses = resend(server.url, kiosk.token, local)
        assert statuses == Counter({"duplicate": len(local)}), kiosk.data_dir.name
    acknowledged = sum(len(k.acknowledged) for k in kiosks)
    assert len(on_server) >= acknowledged
    print(f"acknowledged {acknowledged}, on server {len(on_server)}, faults {dict(proxy.counts)}")


def server_scan_counts(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Scan.scan_id, func.count()).group_by(Scan.scan_id))
            return Counter({str(scan_id): count for scan_id, count in rows})
    finally:
        engine.dispose()


def resend(url: str, token: str, scans) -> Counter[str]:
    """Send every scan again, straight to the server: each must answer ``duplicate``."""
    statuses: Counter[str] = Counter()
    with httpx.Client(base_url=url, timeout=60) as client:
        for start in range(0, len(scans), MAX_BATCH_SIZE):
            chunk = [s.to_scan_in() for s in scans[start : start + MAX_BATCH_SIZE]]
            body = ScanBatch(scans=chunk).model_dump(mode="json")
            answer = client.post(
                "/api/v1/scans/batch", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200, answer.text
            statuses.update(result["status"] for result in answer.json()["results"])
    return statuses
