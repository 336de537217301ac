"""Serial scanner sustained load: N scans/s from a pty for S seconds, all the way to disk.

    .venv/bin/python bench/kiosk_serial.py [--rate 50] [--seconds 60]

A writer thread plays the scanner on a pseudo-terminal's master side at a steady rate;
the kiosk (real SerialScanner worker thread, controller, store with synchronous=FULL,
widgets offscreen) reads the slave side. At the end every code sent must be a scan in the
store: "lost" counts the difference.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import tty
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from client.app import build_app  # noqa: E402
from client.config import KioskConfig  # noqa: E402
from client.scanners.serial_port import CONNECTED, SerialScanner  # noqa: E402
from tests.client.conftest import Demo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    demo = Demo()
    master, slave = os.openpty()
    tty.setraw(slave)
    tmp = Path(tempfile.mkdtemp(prefix="rg-serial-"))
    config = KioskConfig(
        data_dir=tmp,
        server_url="http://bench.invalid",
        serial_port=os.ttyname(slave),
        serial_baud=115200,
        language="en",
        sound=False,
        idle_logout_s=0,
    )

    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("bench: no server", request=request)

    kiosk = build_app(
        config, http_client=httpx.Client(transport=httpx.MockTransport(offline)), start_sync=False
    )
    kiosk.store.replace_reference(demo.snapshot())
    kiosk.show()
    serial = next(s for s in kiosk.scanners if isinstance(s, SerialScanner))
    kiosk.controller.login_badge(demo.badge_code)
    deadline = time.monotonic() + 10
    while (kiosk.controller.session is None or serial.state != CONNECTED) and (
        time.monotonic() < deadline
    ):
        app.processEvents()
        time.sleep(0.001)
    kiosk.controller.choose_project(str(demo.project_id))
    total = int(args.rate * args.seconds)
    codes = [demo.unit_code(n) for n in range(1, 14)]
    lateness: list[float] = []

    def play() -> None:
        start = time.perf_counter()
        for i in range(total):
            due = start + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            lateness.append(max(0.0, time.perf_counter() - due))
            os.write(master, codes[i % len(codes)].encode() + b"\r")

    writer = threading.Thread(target=play)
    t0 = time.perf_counter()
    writer.start()
    while writer.is_alive() or sum(kiosk.store.count_scans().values()) < total:
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - t0 > args.seconds + 30:
            break
    elapsed = time.perf_counter() - t0
    stored = sum(kiosk.store.count_scans().values())
    print(f"serial pty: {total} scans at {args.rate:g}/s for {args.seconds:g} s")
    print(f"  frames read by the worker: {serial.frames_read}")
    print(f"  scans committed:           {stored}")
    print(f"  lost:                      {total - stored}")
    print(
        f"  wall time:                 {elapsed:.1f} s (writer max lateness "
        f"{max(lateness) * 1000:.1f} ms)"
    )
    kiosk.shutdown()
    os.close(master)
    os.close(slave)


if __name__ == "__main__":
    main()
