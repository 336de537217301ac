"""Scan path: wedge burst → validate → durable commit → UI updated, p50/p99 over N scans.

    .venv/bin/python bench/kiosk_scan_path.py [--scans 2000]

Real widgets (offscreen), the real wedge filter fed with key events, the real store on
disk (WAL, synchronous=FULL). Two numbers per scan: from the terminating Enter key to the
end of the UI update (the kiosk's own latency), and from the first key of the burst
(adds the synthetic typing of the code itself). Target: p99 < 15 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from client.app import build_app  # noqa: E402
from client.config import KioskConfig  # noqa: E402
from tests.client.conftest import Demo  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=2000)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    demo = Demo()
    tmp = Path(tempfile.mkdtemp(prefix="rg-bench-"))
    config = KioskConfig(
        data_dir=tmp, server_url="http://bench.invalid", language="en", sound=False, idle_logout_s=0
    )

    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("bench: no server", request=request)

    kiosk = build_app(
        config, http_client=httpx.Client(transport=httpx.MockTransport(offline)), start_sync=False
    )
    kiosk.store.replace_reference(demo.snapshot())
    kiosk.window.resize(1280, 800)
    kiosk.show()
    kiosk.controller.login_badge(demo.badge_code)
    deadline = time.monotonic() + 10
    while kiosk.controller.session is None and time.monotonic() < deadline:
        app.processEvents()
    kiosk.controller.choose_project(str(demo.project_id))
    commit_ms: list[float] = []
    enqueue = kiosk.store.enqueue_scan

    def timed_enqueue(**kwargs):
        t = time.perf_counter()
        try:
            return enqueue(**kwargs)
        finally:
            commit_ms.append((time.perf_counter() - t) * 1000)

    kiosk.store.enqueue_scan = timed_enqueue  # the durable commit's share (fsync)
    codes = [demo.unit_code(n) for n in range(1, 14)] + ["RG-C-0001", "RG-B-PC5"]
    from_enter, from_burst = [], []
    window = kiosk.window
    for i in range(args.scans):
        code = codes[i % len(codes)]
        t0 = time.perf_counter()
        QTest.keyClicks(window, code)
        t1 = time.perf_counter()
        QTest.keyClick(window, Qt.Key.Key_Return)  # commit + feedback + redraw run in here
        t2 = time.perf_counter()
        from_enter.append((t2 - t1) * 1000)
        from_burst.append((t2 - t0) * 1000)
        if i % 100 == 0:
            app.processEvents()
    count = kiosk.store.count_scans()
    assert sum(count.values()) == args.scans, count
    assert window.scan.recent.rowCount() > 0
    print(f"scan path over {args.scans} wedge scans (store on disk, synchronous=FULL)")
    rows = (
        ("enter→UI updated", from_enter),
        ("burst→UI updated", from_burst),
        ("  of which commit", commit_ms),
    )
    for name, values in rows:
        p50, p99 = statistics.median(values), pct(values, 0.99)
        print(f"  {name:18s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(values):6.2f} ms")
    kiosk.shutdown()


if __name__ == "__main__":
    main()
