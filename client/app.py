"""Wiring: store + controller + wedge scanner + sync thread + window, and ``main()``.

``build_app(config)`` builds a running kiosk without entering the event loop, so tests
(pytest-qt's ``qapp``) and ``main()`` share the same wiring::

    kiosk = build_app(config, http_client=client)   # needs a QApplication
    kiosk.show()
    ...                                              # drive it with qtbot
    kiosk.shutdown()                                 # stops the sync thread, closes the store
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from PySide6.QtCore import QCoreApplication, QThread, QTimer
from PySide6.QtWidgets import QApplication

from client.config import ConfigError, KioskConfig, load_config
from client.controller import ScanController
from client.scanners.wedge import Clock, WedgeParser, WedgeScanner, monotonic_ms
from client.store import LocalStore
from client.sync.engine import SyncEngine
from client.sync.worker import SyncEvents, SyncWorker, start_sync_thread, stop_sync_thread
from client.ui.main_window import MainWindow

log = logging.getLogger(__name__)


@dataclass(eq=False)
class KioskApp:
    """A built kiosk. Every part is reachable for tests; ``shutdown()`` is idempotent."""

    config: KioskConfig
    store: LocalStore
    controller: ScanController
    scanner: WedgeScanner
    window: MainWindow
    worker: SyncWorker  # lives in the sync thread: wait on sync_events, not on it
    sync_events: SyncEvents  # the worker's signals, from the GUI thread
    thread: QThread | None = None
    _closed: bool = field(default=False, repr=False)

    def show(self) -> None:
        if self.config.fullscreen:
            self.window.showFullScreen()
        else:
            self.window.show()

    def start_sync(self) -> None:
        """Start the sync thread (build_app does this unless ``start_sync=False``)."""
        if self.thread is None:
            self.thread = start_sync_thread(self.worker)

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.scanner.stop()
        if self.thread is not None and not stop_sync_thread(self.worker, self.thread):
            log.error("sync thread did not stop in time")
        # Signals the worker queued before it stopped must not reach a closed store.
        self.sync_events.blockSignals(True)
        self.window.close()
        self.store.close()


def build_app(
    config: KioskConfig,
    *,
    http_client: httpx.Client | None = None,
    start_sync: bool = True,
    wedge_clock: Clock = monotonic_ms,
) -> KioskApp:
    """Build the kiosk for ``config``. A QApplication must exist; the event loop is yours."""
    qapp = QCoreApplication.instance()
    if not isinstance(qapp, QApplication):
        raise RuntimeError("build_app() needs a QApplication")
    store = LocalStore(config.store_path)
    controller = ScanController(store)
    scanner = WedgeScanner(
        WedgeParser(
            gap_ms=config.wedge_gap_ms,
            prefix=config.wedge_prefix,
            suffix=config.wedge_suffix,
            min_length=config.wedge_min_length,
            clock=wedge_clock,
        )
    )
    window = MainWindow(controller)

    def engine() -> SyncEngine:  # called in the sync thread, which owns the engine's store
        return SyncEngine(
            config.store_path,
            config.server_url,
            config.read_station_token,
            http_client,
            batch_size=config.batch_size,
        )

    worker = SyncWorker(engine, interval_s=config.sync_interval_s)
    sync_events = SyncEvents(worker)
    scanner.scanned.connect(controller.submit)
    controller.scan_recorded.connect(worker.poke)
    sync_events.status_changed.connect(window.show_sync_status)
    sync_events.scans_updated.connect(window.refresh_scans)
    sync_events.reference_updated.connect(window.refresh_reference)

    kiosk = KioskApp(config, store, controller, scanner, window, worker, sync_events)
    scanner.start()
    if start_sync:
        kiosk.start_sync()
    qapp.aboutToQuit.connect(kiosk.shutdown)
    return kiosk


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="rentguy-kiosk", description="RentGuy warehouse scanning kiosk."
    )
    parser.add_argument("--config", help="config file (default: the XDG config file)")
    parser.add_argument("--server-url", help="server base URL, e.g. https://rentguy.example")
    parser.add_argument("--data-dir", help="where the local database lives")
    parser.add_argument("--station-token-file", help="file holding this station's token")
    screen = parser.add_mutually_exclusive_group()
    screen.add_argument("--fullscreen", dest="fullscreen", action="store_const", const=True)
    screen.add_argument("--windowed", dest="fullscreen", action="store_const", const=False)
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> KioskConfig:
    """The config file (``--config`` or the default one) with the CLI's options on top."""
    overrides = {
        "server_url": args.server_url,
        "data_dir": args.data_dir,
        "station_token_file": args.station_token_file,
        "fullscreen": args.fullscreen,
    }
    return load_config(args.config, {k: v for k, v in overrides.items() if v is not None})


def main(argv: Sequence[str] | None = None) -> int:
    """The ``rentguy-kiosk`` console script."""
    try:
        config = config_from_args(parse_args(argv))
    except ConfigError as exc:
        print(f"rentguy-kiosk: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    app = QApplication.instance() or QApplication(sys.argv[:1])
    kiosk = build_app(config)
    kiosk.show()
    # Ctrl+C in a terminal: Python only sees the signal when the interpreter runs, so
    # wake it up now and then.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    try:
        return app.exec()
    finally:
        kiosk.shutdown()
