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
import dataclasses
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QCoreApplication, QThread, QTimer, QTranslator
from PySide6.QtWidgets import QApplication

from client.api import DEFAULT_TIMEOUT_S, ServerApi
from client.auth import AuthError, BadgeAuthenticator, enroll
from client.config import ConfigError, KioskConfig, load_config
from client.controller import ScanController, ScanVerdict
from client.feedback import SoundFeedback
from client.scanners.base import Scanner
from client.scanners.camera import CameraScanner, ReadConfirmer
from client.scanners.decoders import make_decoder
from client.scanners.serial_port import SerialScanner, parse_terminator
from client.scanners.wedge import Clock, WedgeParser, WedgeScanner, monotonic_ms
from client.store import LocalStore
from client.sync.engine import SyncEngine
from client.sync.worker import SyncEvents, SyncWorker, start_sync_thread, stop_sync_thread
from client.ui.main_window import MainWindow
from client.ui.settings_screen import EDITABLE
from client.ui.theme import settle_layouts

log = logging.getLogger(__name__)


SETTING_PREFIX = "kiosk."  # store settings written by the settings screen
I18N_DIR = Path(__file__).parent / "i18n"


def effective_config(config: KioskConfig, store: LocalStore) -> KioskConfig:
    """The config file's values with the settings screen's choices on top."""
    changes: dict[str, Any] = {}
    for key in (*EDITABLE, "server_url"):
        value = store.get_setting(SETTING_PREFIX + key)
        if value is None:
            continue
        current = getattr(config, key)
        changes[key] = int(value) if isinstance(current, int) else value
    try:
        return dataclasses.replace(config, **changes)
    except ConfigError as exc:  # a bad stored value must not keep the kiosk from starting
        log.error("ignoring stored settings: %s", exc)
        return config


def install_translator(language: str, old: QTranslator | None = None) -> QTranslator | None:
    """Load ``rentguy_<language>.qm`` (English is the source language: no file)."""
    app = QCoreApplication.instance()
    if old is not None and app is not None:
        app.removeTranslator(old)
    if language == "en" or app is None:
        return None
    translator = QTranslator(app)
    if not translator.load(f"rentguy_{language}", str(I18N_DIR)):
        log.error("no translation for %r in %s", language, I18N_DIR)
        return None
    app.installTranslator(translator)
    return translator


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
    api: ServerApi  # the one door to the server: login, enrolment and sync
    sound: SoundFeedback
    scanners: list[Scanner] = field(default_factory=list)  # serial, camera (besides wedge)
    thread: QThread | None = None
    translator: QTranslator | None = None
    server_url: str = ""
    _closed: bool = field(default=False, repr=False)

    def show(self) -> None:
        if self.config.fullscreen:
            self.window.kiosk_mode = True
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
        for scanner in self.scanners:
            scanner.stop()
        if self.thread is not None and not stop_sync_thread(self.worker, self.thread):
            log.error("sync thread did not stop in time")
        # Signals the worker queued before it stopped must not reach a closed store.
        self.sync_events.blockSignals(True)
        self.window.allow_close = True
        self.window.detach()
        self.window.close()
        install_translator("en", self.translator)  # the QApplication outlives this kiosk
        self.translator = None
        self.store.close()
        self.api.close()  # closes the HTTP client only if the api made it

    # -- what the window hands up ------------------------------------------------------

    def settings_values(self) -> dict[str, str]:
        config = effective_config(self.config, self.store)
        return {key: str(getattr(config, key)) for key in EDITABLE}

    def save_settings(self, values: dict[str, str]) -> None:
        with self.store.atomic():
            for key, value in values.items():
                if key in EDITABLE:
                    self.store.set_setting(SETTING_PREFIX + key, value)
        self.window.set_idle_logout(int(values.get("idle_logout_s", self.config.idle_logout_s)))

    def load_settings_screen(self) -> None:
        # A literal context: lupdate filed ``self.window.tr`` under "self.window", so the
        # running kiosk never found these texts' Dutch.
        station = self.store.station_id() or QCoreApplication.translate("KioskApp", "not enrolled")
        self.window.settings.load(self.settings_values(), self.server_url, station)

    def set_language(self, language: str) -> None:
        """Switch language now: new translator, and the window is rebuilt in it."""
        self.store.set_setting(SETTING_PREFIX + "language", language)
        self.translator = install_translator(language, self.translator)
        old = self.window
        self.window = _make_window(self, effective_config(self.config, self.store))
        self.window.setGeometry(old.geometry())
        old.allow_close = True
        old.detach()
        old.close()
        old.deleteLater()
        self.show()
        self.window.restore()
        self.load_settings_screen()
        self.window.stack.setCurrentWidget(self.window.settings)

    def enroll(self, server_url: str, code: str, name: str) -> bool:
        url = (server_url or self.server_url).rstrip("/")
        try:
            if not url.startswith(("http://", "https://")):
                raise AuthError(
                    QCoreApplication.translate(
                        "KioskApp", "The server URL must start with http(s)://"
                    )
                )
            answer = enroll(self.api.at(url), code, name or None)
        except AuthError as exc:
            self.window.settings.show_enroll_result(False, str(exc))
            self.window.revoked.show_enroll_result(False, str(exc))
            return False
        self.config.write_station_token(answer.token)
        self.store.set_setting(SETTING_PREFIX + "server_url", url)
        self.server_url = url
        done = QCoreApplication.translate("KioskApp", "Enrolled as %1.").replace("%1", answer.name)
        self.window.settings.show_enroll_result(True, done)
        if self.store.station_revoked() is not None:
            # A new station now: what the revoked one exported stays in its file.
            self.store.clear_revoked()
            self.window.leave_revoked()
        self.worker.poke()
        return True

    def on_scan_feedback(self, verdict: ScanVerdict) -> None:
        self.sound.play(verdict.level)


def _make_window(kiosk: KioskApp, config: KioskConfig) -> MainWindow:
    window = MainWindow(kiosk.controller, idle_logout_s=config.idle_logout_s)
    events = kiosk.sync_events
    events.status_changed.connect(window.show_sync_status)
    events.scans_updated.connect(window.refresh_scans)
    events.reference_updated.connect(window.refresh_reference)
    if events.last_status is not None:
        window.show_sync_status(events.last_status)
    window.settings_opened.connect(kiosk.load_settings_screen)
    window.settings_saved.connect(kiosk.save_settings)
    window.language_chosen.connect(kiosk.set_language)
    window.enroll_requested.connect(kiosk.enroll)
    window.exit_confirmed.connect(QCoreApplication.quit)
    window.login.show_enrolled(kiosk.store.has_reference())
    for scanner in kiosk.scanners:
        if isinstance(scanner, SerialScanner | CameraScanner):
            scanner.status_changed.connect(window.status_bar.show_scanner)
    camera = next((s for s in kiosk.scanners if isinstance(s, CameraScanner)), None)
    if camera is not None:
        window.scan.attach_camera(camera)
        settle_layouts(window)  # the preview was added after the window settled
    return window


def _extra_scanners(config: KioskConfig) -> list[Scanner]:
    scanners: list[Scanner] = []
    if config.serial_port:
        scanners.append(
            SerialScanner(
                config.serial_port, config.serial_baud, parse_terminator(config.serial_terminator)
            )
        )
    source = config.camera_capture_source
    if source is not None:
        scanners.append(
            CameraScanner(
                source,
                decoder=make_decoder(config.camera_backend),
                confirmer=ReadConfirmer(hold_off_s=config.camera_hold_off_s),
                loop=False,
            )
        )
    return scanners


def build_app(
    config: KioskConfig,
    *,
    http_client: httpx.Client | None = None,
    start_sync: bool = True,
    wedge_clock: Clock = monotonic_ms,
    start_scanners: bool = True,
) -> KioskApp:
    """Build the kiosk for ``config``. A QApplication must exist; the event loop is yours."""
    qapp = QCoreApplication.instance()
    if not isinstance(qapp, QApplication):
        raise RuntimeError("build_app() needs a QApplication")
    store = LocalStore(config.store_path)
    settings = effective_config(config, store)
    translator = install_translator(settings.language)
    kiosk_ref: list[KioskApp] = []

    def server_url() -> str:
        return kiosk_ref[0].server_url if kiosk_ref else settings.server_url

    # One client for sync and login (SPEC §8).
    api = ServerApi(server_url, config.read_station_token, http_client)
    authenticator = BadgeAuthenticator(api)
    controller = ScanController(
        store, authenticator=authenticator, undo_window_s=settings.undo_window_s
    )
    scanner = WedgeScanner(
        WedgeParser(
            gap_ms=config.wedge_gap_ms,
            prefix=config.wedge_prefix,
            suffix=config.wedge_suffix,
            min_length=config.wedge_min_length,
            clock=wedge_clock,
        )
    )

    def engine() -> SyncEngine:  # called in the sync thread, which owns the engine's store
        return SyncEngine(config.store_path, api, batch_size=config.batch_size)

    worker = SyncWorker(engine, interval_s=config.sync_interval_s)
    sync_events = SyncEvents(worker)
    sound = SoundFeedback(config.data_dir / "sounds", enabled=settings.sound)
    kiosk = KioskApp(
        config,
        store,
        controller,
        scanner,
        None,  # type: ignore[arg-type]  # the window needs the kiosk: made just below
        worker,
        sync_events,
        api,
        sound,
        scanners=_extra_scanners(settings),
        translator=translator,
        server_url=settings.server_url,
    )
    kiosk_ref.append(kiosk)
    kiosk.window = _make_window(kiosk, settings)
    scanner.scanned.connect(controller.submit)
    for extra in kiosk.scanners:
        extra.scanned.connect(controller.submit)
    controller.scan_recorded.connect(worker.poke)
    controller.scan_recorded.connect(kiosk.on_scan_feedback)
    scanner.start()
    if start_scanners:
        for extra in kiosk.scanners:
            extra.start()
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
    parser.add_argument(
        "--self-test",
        "--selftest",  # the older bundles' spelling (installers/kiosk/build.sh)
        dest="self_test",
        action="store_true",
        help="check this installation (store, config, decoders, serial, Qt) and exit",
    )
    parser.add_argument(
        "--enrol",
        metavar="CODE",
        help="enrol this station with a one-time code from the server's admin, store the "
        "token (mode 0600) and exit",
    )
    parser.add_argument("--station-name", help="with --enrol: the name to register")
    screen = parser.add_mutually_exclusive_group()
    screen.add_argument("--fullscreen", dest="fullscreen", action="store_const", const=True)
    screen.add_argument("--windowed", dest="fullscreen", action="store_const", const=False)
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> KioskConfig:
    """The config file (``--config`` or the default one) with the CLI's options on top."""
    return load_config(args.config, _overrides(args))


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    overrides = {
        "server_url": args.server_url,
        "data_dir": args.data_dir,
        "station_token_file": args.station_token_file,
        "fullscreen": args.fullscreen,
    }
    return {k: v for k, v in overrides.items() if v is not None}


def enrol_from_cli(config: KioskConfig, code: str, name: str | None) -> int:
    """``--enrol CODE`` (install-kiosk.sh): exchange the code for the station token."""
    api = ServerApi(config.server_url, timeout_s=DEFAULT_TIMEOUT_S)
    try:
        answer = enroll(api, code, name)
    except AuthError as exc:
        print(f"rentguy-kiosk: enrolment at {config.server_url} failed: {exc}", file=sys.stderr)
        return 1
    finally:
        api.close()
    config.write_station_token(answer.token)
    where = config.station_token_file
    print(f"enrolled as {answer.name!r} at {config.server_url}; token in {where}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The ``rentguy-kiosk`` console script."""
    if argv is None and sys.argv[1:] == ["--self-test-qt"] or argv == ["--self-test-qt"]:
        from client.selftest import qt_child  # the self-test's Qt check, in its own process

        return qt_child()
    args = parse_args(argv)
    if args.self_test:
        from client.selftest import run

        return run(args.config, _overrides(args))
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"rentguy-kiosk: {exc}", file=sys.stderr)
        return 2
    if args.enrol:
        return enrol_from_cli(config, args.enrol, args.station_name)
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
