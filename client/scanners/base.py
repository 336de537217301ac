"""The one event every scan input ends in, and the interface every scanner implements.

Keyboard wedge, serial and camera scanners all emit ``scanned(ScanRead)``
from the GUI thread's point of view: a scanner that reads in a worker thread emits from
there and Qt queues the signal to the receivers' thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from client.timeutil import utc_now
from shared.protocol import ScanSource


@dataclass(frozen=True, slots=True)
class ScanRead:
    """One code as a scanner read it, before any interpretation."""

    code: str
    symbology: str = ""  # "" when the input cannot tell (a keyboard wedge usually cannot)
    source: ScanSource = ScanSource.WEDGE
    read_at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        if self.read_at.tzinfo is None:
            raise ValueError("ScanRead.read_at must be timezone-aware (UTC)")


class Scanner(QObject):
    """Base class of scan inputs.

    Subclasses emit ``scanned`` with a ``ScanRead`` for every accepted read and ``error``
    with a human-readable message when the device fails (unplugged, no permission);
    ``start()``/``stop()`` acquire and release the device and must be idempotent.
    """

    scanned = Signal(object)  # ScanRead
    error = Signal(str)

    source: ScanSource = ScanSource.MANUAL  # what its reads carry

    def start(self) -> None:
        """Begin reading."""

    def stop(self) -> None:
        """Stop reading and release the device."""


class WorkerScanner(Scanner):
    """A scanner that reads its device in a daemon worker thread (serial, camera).

    Subclasses implement ``_run``, which loops until ``self._stop`` is set.
    """

    thread_name = "rentguy-scanner"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
