"""A kiosk in its own process, for the SIGKILL fault test and the drain bench.

python -m tests.client.kiosk_harness burst --data-dir D --server-url U --badge B
    logs in, picks the first project, then scans CODES forever through real key
    events (a wedge burst each), printing ``FEEDBACK <scan_id>`` the moment the
    operator would see/hear the feedback, until the process is killed.
python -m tests.client.kiosk_harness drain --data-dir D --server-url U
    starts the sync thread and exits 0 once the queue is empty (``DRAINED n``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import (
    Qt,  # noqa: E402
    QTimer,  # noqa: E402
)
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from client.app import build_app  # noqa: E402
from client.config import KioskConfig  # noqa: E402


def _config(args: argparse.Namespace) -> KioskConfig:
    return KioskConfig(
        server_url=args.server_url,
        data_dir=args.data_dir,
        sync_interval_s=0.2,
        wedge_gap_ms=300,  # real clock on a shared machine: keep a burst a burst
        language="en",
        sound=False,
    )


def _wait(app: QApplication, predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("harness: condition not met in time")
        app.processEvents()
        time.sleep(0.005)


def burst(args: argparse.Namespace) -> int:
    app = QApplication(sys.argv[:1])
    kiosk = build_app(_config(args), start_sync=False)
    updated = []
    kiosk.sync_events.reference_updated.connect(lambda: updated.append(1))
    kiosk.start_sync()
    kiosk.show()
    _wait(app, lambda: updated)
    logged_in = []
    kiosk.controller.logged_in.connect(logged_in.append)
    kiosk.controller.login_badge(args.badge)
    _wait(app, lambda: logged_in)
    kiosk.controller.choose_project(kiosk.controller.open_projects()[0].id)
    kiosk.controller.scan_recorded.connect(
        lambda verdict: print(f"FEEDBACK {verdict.scan.scan_id}", flush=True)
    )
    print("READY", flush=True)
    codes = itertools.cycle(args.codes.split(","))

    def scan_next() -> None:
        QTest.keyClicks(kiosk.window, next(codes))
        QTest.keyClick(kiosk.window, Qt.Key.Key_Return)
        QTimer.singleShot(0, scan_next)

    QTimer.singleShot(0, scan_next)
    return app.exec()


def drain(args: argparse.Namespace) -> int:
    app = QApplication(sys.argv[:1])
    kiosk = build_app(_config(args))
    _wait(app, lambda: kiosk.store.queue_depth() == 0, timeout=args.timeout)
    print(f"DRAINED {sum(kiosk.store.count_scans().values())}", flush=True)
    kiosk.shutdown()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["burst", "drain"])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--server-url", required=True)
    parser.add_argument("--badge", default="")
    parser.add_argument("--codes", default="")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    return burst(args) if args.command == "burst" else drain(args)


if __name__ == "__main__":
    raise SystemExit(main())
