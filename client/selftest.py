"""``rentguy-kiosk --self-test``: check that this installation can work, headless.

Run by the built bundle in CI, by ``install-kiosk.sh`` at install and by a technician on a
station. Each check prints one line (``ok   name: detail`` or ``FAIL name: why``); the
exit code is 0 when every check passed, else 1. Nothing is sent to the server and nothing
of the station's own data is touched: the store check uses a fresh file in a temp dir.

Checks: the local store (a fresh file, every migration run); the configuration (the file
the kiosk would read, validated); a barcode image shipped with the kiosk decoded by each
decoder backend (zxing-cpp, pyzbar); a scan read from a pseudo-terminal by the serial
scanner; Qt's platform plugin and a font; the Dutch translation.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

BARCODE_IMAGE = Path(__file__).with_name("selftest_barcode.png")
BARCODE_TEXT = "RG-SELFTEST-0001"  # what BARCODE_IMAGE holds (Code 128)
SERIAL_CODE = "RG-SERIAL-0001"
SERIAL_TIMEOUT_S = 5.0
QT_TIMEOUT_S = 30.0
QT_CHILD_FLAG = "--self-test-qt"
DECODER_BACKENDS = ("zxing-cpp", "pyzbar")


_core_app = None  # made for the serial check; kept alive while the process lives


class Skip(Exception):
    """The check does not apply on this platform (reported, not a failure)."""


def check_store() -> str:
    from client.store import MIGRATIONS, LocalStore

    with tempfile.TemporaryDirectory(prefix="rentguy-selftest-") as tmp:
        store = LocalStore(Path(tmp) / "kiosk.sqlite3")
        try:
            version = store.schema_version()
            status = store.db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            store.close()
    latest = MIGRATIONS[-1].number
    if version != latest:
        raise RuntimeError(f"fresh store at schema version {version}, expected {latest}")
    if status != "ok":
        raise RuntimeError(f"integrity check of a fresh store: {status}")
    return f"fresh store migrated to version {version}"


def check_config(config_path: str | None, overrides: Mapping[str, Any]) -> str:
    from client.config import default_config_path, load_config

    config = load_config(config_path, overrides)
    source = Path(config_path) if config_path else default_config_path()
    origin = str(source) if source.exists() else f"defaults ({source} not present)"
    return f"{origin}: server {config.server_url}, data in {config.data_dir}"


def _barcode_gray():
    import cv2
    import numpy as np

    data = np.frombuffer(BARCODE_IMAGE.read_bytes(), dtype=np.uint8)
    gray = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise RuntimeError(f"cannot read the test image {BARCODE_IMAGE}")
    return gray


def check_decoder(backend: str) -> str:
    from client.scanners.decoders import make_decoder

    found = [d.text for d in make_decoder(backend).decode(_barcode_gray())]
    if found != [BARCODE_TEXT]:
        raise RuntimeError(f"read {found} from the test image, expected [{BARCODE_TEXT!r}]")
    return f"read {BARCODE_TEXT} from {BARCODE_IMAGE.name}"


def check_serial() -> str:
    """A scan typed into a pseudo-terminal, read by the kiosk's own serial scanner."""
    if not hasattr(os, "openpty"):
        raise Skip("no pseudo-terminals on this platform")
    from client.scanners.serial_port import SerialScanner

    controller, terminal = os.openpty()
    name = os.ttyname(terminal)
    scanner = SerialScanner(name, 9600, b"\r", reconnect_s=0.05)
    got: list[str] = []
    arrived = threading.Event()

    def on_scan(read) -> None:
        got.append(read.code)
        arrived.set()

    scanner.scanned.connect(on_scan)
    scanner.start()
    try:
        deadline = time.monotonic() + SERIAL_TIMEOUT_S
        while scanner.state != "connected" and time.monotonic() < deadline:
            time.sleep(0.01)
        if scanner.state != "connected":
            raise RuntimeError(f"the serial scanner did not open {name} ({scanner.state})")
        os.write(controller, SERIAL_CODE.encode() + b"\r")
        _wait(arrived, deadline)
    finally:
        scanner.stop()
        os.close(controller)
        os.close(terminal)
    if got != [SERIAL_CODE]:
        raise RuntimeError(f"read {got} from {name}, expected [{SERIAL_CODE!r}]")
    return f"read {SERIAL_CODE} from {name}"


def _wait(event: threading.Event, deadline: float) -> None:
    # The scanner's signal crosses threads: delivered by a turning event loop. A core
    # application is enough (no platform plugin: Qt itself is checked in a child).
    from PySide6.QtCore import QCoreApplication

    global _core_app
    _core_app = QCoreApplication.instance() or QCoreApplication([sys.argv[0]])
    while not event.is_set() and time.monotonic() < deadline:
        _core_app.processEvents()
        event.wait(0.02)


def check_qt() -> str:
    """In a child process: a platform plugin Qt cannot load aborts the process (qFatal),
    which must become a FAIL line with Qt's own words, not the self-test dying."""
    frozen = getattr(sys, "frozen", False)
    command = [sys.executable] if frozen else [sys.executable, "-m", "client"]
    try:
        done = subprocess.run(
            [*command, QT_CHILD_FLAG], capture_output=True, text=True, timeout=QT_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"Qt did not start within {QT_TIMEOUT_S:g} s") from exc
    if done.returncode != 0:
        said = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        raise RuntimeError(f"Qt failed ({how}): " + " | ".join(said[-4:]))
    return done.stdout.strip()


def qt_child() -> int:
    """``--self-test-qt``: start Qt's platform plugin and draw text with a font."""
    from PySide6.QtGui import QFontDatabase, QFontMetrics, QGuiApplication
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication([sys.argv[0]])
    platform = QGuiApplication.platformName()
    families = QFontDatabase.families()
    if not families:
        print(f"platform {platform} loaded, but Qt found no font (install fonts-dejavu-core)")
        return 1
    label = QLabel("RentGuy 0123456789")
    width = QFontMetrics(label.font()).horizontalAdvance(label.text())
    if width <= 0:
        print(f"the font {label.font().family()!r} draws nothing")
        return 1
    print(f"platform plugin {platform}, font {label.font().family()} ({len(families)} families)")
    del label, app
    return 0


def check_translation() -> str:
    from PySide6.QtCore import QTranslator

    from client.app import I18N_DIR

    translator = QTranslator()
    if not translator.load("rentguy_nl", str(I18N_DIR)):
        raise RuntimeError(f"no Dutch translation (rentguy_nl.qm) in {I18N_DIR}")
    dutch = translator.translate("StatusBar", "Server problem")
    if not dutch or dutch == "Server problem":
        raise RuntimeError("the Dutch translation has no text for the status bar")
    return f"Dutch loaded from {I18N_DIR} ({dutch!r})"


def run(config_path: str | None = None, overrides: Mapping[str, Any] | None = None) -> int:
    """Every check, one line each; 0 when all passed."""
    # Headless where there is no screen (CI, an SSH session at install); the Qt child
    # inherits this.
    screen = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if not screen and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    checks: list[tuple[str, Callable[[], str]]] = [
        ("qt", check_qt),
        ("translation", check_translation),
        ("store", check_store),
        ("config", lambda: check_config(config_path, overrides or {})),
        *[(f"decoder {b}", lambda b=b: check_decoder(b)) for b in DECODER_BACKENDS],
        ("serial", check_serial),
    ]
    failed = 0
    for name, check in checks:
        try:
            detail = check()
        except Skip as skip:
            print(f"skip {name}: {skip}", flush=True)
            continue
        except Exception as exc:  # every check reports; one failure does not hide others
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
            continue
        print(f"ok   {name}: {detail}", flush=True)
    if failed:
        print(f"self-test FAILED: {failed} of {len(checks)} checks", flush=True)
        return 1
    print(f"self-test passed ({len(checks)} checks)", flush=True)
    return 0
