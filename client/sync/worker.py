"""Runs the ``SyncEngine`` on its own QThread: on an interval, after failures with
back-off, and at once when ``poke()``d after a new scan.

It never touches widgets: it only emits signals, which Qt queues to the GUI thread.
Life cycle (as in Mu's ``app.py``): ``start_sync_thread()`` moves the worker to a QThread
with started→run, finished→quit/deleteLater; ``stop_sync_thread()`` asks it to finish
and waits, so quitting never destroys a running QThread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from client.sync.backoff import backoff_delay
from client.sync.engine import SyncEngine, SyncReport, SyncState

MIN_RETRY_S = 0.25  # full jitter may draw ~0: never spin on a dead server
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows."""

    state: str  # a SyncState value, or "starting"
    online: bool
    queue_depth: int
    last_sync_at: datetime | None  # last fully successful round
    last_error: str | None


class SyncWorker(QObject):
    status_changed = Signal(object)  # SyncStatus
    scans_updated = Signal()  # results were applied to the outbox
    reference_updated = Signal()  # a new reference snapshot is in the mirror
    finished = Signal()
    _poke_requested = Signal()
    _stop_requested = Signal()

    def __init__(
        self,
        engine_factory: Callable[[], SyncEngine],
        interval_s: float = 2.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine_factory = engine_factory
        self.interval_s = interval_s
        self._engine: SyncEngine | None = None
        self._timer: QTimer | None = None
        self._failures = 0
        self._last_report: SyncReport | None = None
        self._last_ok_at: datetime | None = None
        # Emitted from any thread; delivered (queued) in the worker's own thread.
        self._poke_requested.connect(self._on_poke)
        self._stop_requested.connect(self._on_stop)

    def poke(self) -> None:
        """Thread-safe: sync soon (a new scan is waiting)."""
        self._poke_requested.emit()

    def request_stop(self) -> None:
        """Thread-safe: finish after the current round, then emit ``finished``."""
        self._stop_requested.emit()

    @Slot()
    def run(self) -> None:
        """Connected to ``QThread.started``: everything below lives in the sync thread."""
        self._engine = self._engine_factory()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self._emit_status()
        self.sync_now()

    @Slot()
    def sync_now(self) -> None:
        if self._engine is None or self._timer is None:
            return
        try:
            report = self._engine.sync_once()
        except Exception as exc:  # a bug or a full disk must not end syncing for good
            log.exception("sync round crashed")
            report = SyncReport(SyncState.LOCAL_ERROR, error=f"local error: {exc}")
        self._last_report = report
        if report.ok:
            self._failures = 0
            self._last_ok_at = report.finished_at
        else:
            self._failures += 1
        if report.changed:
            self.scans_updated.emit()
        if report.reference_updated:
            self.reference_updated.emit()
        self._emit_status()
        self._timer.start(round(self._next_delay(report) * 1000))

    def _next_delay(self, report: SyncReport) -> float:
        # No token or a rejected one: the engine answers without the network, so the
        # normal interval just notices a re-enrolment quickly.
        if report.ok or report.state in (
            SyncState.NO_TOKEN,
            SyncState.AUTH_FAILED,
            SyncState.STATION_REVOKED,
        ):
            return self.interval_s
        return max(MIN_RETRY_S, backoff_delay(self._failures))

    @Slot()
    def _on_poke(self) -> None:
        if self._timer is None:
            return
        if self._failures:  # backing off: show the new depth, keep the retry schedule
            self._emit_status()
        else:
            self._timer.start(0)

    @Slot()
    def _on_stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self.finished.emit()

    def _emit_status(self) -> None:
        report = self._last_report
        depth = self._engine.store.queue_depth() if self._engine is not None else 0
        self.status_changed.emit(
            SyncStatus(
                state=str(report.state) if report else "starting",
                online=report.online if report else False,
                queue_depth=depth,
                last_sync_at=self._last_ok_at,
                last_error=report.error if report else None,
            )
        )


class SyncEvents(QObject):
    """The worker's signals re-emitted from the GUI thread.

    Connect widgets, and wait in tests (``qtbot.waitSignal``), on these: a receiver that
    is not a QObject (a lambda, pytest-qt's blocker) would otherwise run in the sync
    thread. Create it in the GUI thread.
    """

    status_changed = Signal(object)  # SyncStatus
    scans_updated = Signal()
    reference_updated = Signal()

    def __init__(self, worker: SyncWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_status: SyncStatus | None = None
        # Bound slots of a GUI-thread QObject: Qt queues these across the threads.
        worker.status_changed.connect(self._on_status)
        worker.scans_updated.connect(self._on_scans)
        worker.reference_updated.connect(self._on_reference)

    @Slot(object)
    def _on_status(self, status: SyncStatus) -> None:
        self.last_status = status
        self.status_changed.emit(status)

    @Slot()
    def _on_scans(self) -> None:
        self.scans_updated.emit()

    @Slot()
    def _on_reference(self) -> None:
        self.reference_updated.emit()


def start_sync_thread(worker: SyncWorker) -> QThread:
    """Move ``worker`` to a new QThread and start it."""
    thread = QThread()
    thread.setObjectName("rentguy-sync")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: quit() is thread-safe, and a queued call would wait for the GUI thread,
    # which may be the one blocked in stop_sync_thread()'s wait().
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    worker.finished.connect(worker.deleteLater)
    # The QThread itself stays owned by its Python caller: deleting it from C++ while the
    # caller still holds it would leave a dangling wrapper behind.
    thread.start()
    return thread


def stop_sync_thread(worker: SyncWorker, thread: QThread, timeout_ms: int = 30_000) -> bool:
    """Ask the worker to stop and wait for its thread; True when it ended in time."""
    if not thread.isRunning():
        return True
    worker.request_stop()
    return thread.wait(timeout_ms)
