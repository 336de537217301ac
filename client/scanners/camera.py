"""Camera scanning: OpenCV capture and decoding in a worker thread, a preview in the UI.

The worker grabs a frame, decodes it (``client.scanners.decoders``) and passes the codes
through a ``ReadConfirmer``: a code is accepted only when two consecutive frames read the
same text (one frame can misread a smudged label), and the same code is not accepted
again within ``hold_off_s`` (a label held under the camera would otherwise be scanned
thirty times a second). The UI thread only ever receives finished results: the newest
frame for the preview (dropped, not queued, when the UI is behind) and accepted reads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from client.scanners.base import ScanRead, WorkerScanner
from client.scanners.decoders import Decoded, Decoder, make_decoder
from shared.protocol import ScanSource

log = logging.getLogger(__name__)
PREVIEW_WIDTH = 640  # pixels of the frame handed to the preview widget


class ReadConfirmer:
    """Two identical consecutive reads accept a code; a hold-off stops re-reads."""

    def __init__(
        self,
        confirmations: int = 2,
        hold_off_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.confirmations = confirmations
        self.hold_off_s = hold_off_s
        self._clock = clock
        self._streak: dict[str, int] = {}
        self._accepted_at: dict[str, float] = {}

    def feed(self, codes: list[Decoded]) -> list[Decoded]:
        """One frame's decodes in; the codes accepted on this frame out."""
        now = self._clock()
        seen: dict[str, Decoded] = {}
        for code in codes:
            seen.setdefault(code.text, code)
        # A frame without the code breaks its streak: "consecutive" means it.
        self._streak = {text: self._streak.get(text, 0) + 1 for text in seen}
        accepted = []
        for text, code in seen.items():
            if self._streak[text] < self.confirmations:
                continue
            last = self._accepted_at.get(text)
            if last is not None and now - last < self.hold_off_s:
                continue
            self._accepted_at[text] = now
            accepted.append(code)
        return accepted


@dataclass
class CameraStats:
    frames: int = 0
    decode_s: float = 0.0
    started: float = 0.0
    ended: float = 0.0

    @property
    def decode_fps(self) -> float:
        return self.frames / self.decode_s if self.decode_s else 0.0


class CameraScanner(WorkerScanner):
    """Reads ``source`` (a device index, a file path or a URL) until stopped or the end."""

    source = ScanSource.CAMERA
    thread_name = "rentguy-camera"
    status_changed = Signal(str, str)  # "running" | "absent" | "ended" | "stopped", message
    frame_ready = Signal()  # a new preview frame waits in ``latest_frame()``

    def __init__(
        self,
        source: int | str,
        *,
        decoder: Decoder | None = None,
        confirmer: ReadConfirmer | None = None,
        loop: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.capture_source = source
        self.decoder = decoder or make_decoder("auto")
        self.confirmer = confirmer or ReadConfirmer()
        self.loop = loop
        self.stats = CameraStats()
        self._latest: tuple[np.ndarray, list[Decoded]] | None = None
        self._lock = threading.Lock()
        self._frame_pending = False
        self.state = "stopped"

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker ends (a file source reached its end); True if it did."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def latest_frame(self) -> tuple[np.ndarray, list[Decoded]] | None:
        """The newest frame (BGR, at most PREVIEW_WIDTH wide) and what was found in it, in
        that frame's pixels; GUI thread."""
        with self._lock:
            self._frame_pending = False
            return self._latest

    def _set_state(self, state: str, message: str = "") -> None:
        self.state = state
        self.status_changed.emit(state, message)

    def _run(self) -> None:
        capture = cv2.VideoCapture(self.capture_source)
        if not capture.isOpened():
            self._set_state("absent", f"camera {self.capture_source!r} cannot be opened")
            return
        self._set_state("running", str(self.capture_source))
        self.stats = CameraStats(started=time.perf_counter())
        try:
            while not self._stop.is_set():
                ok, frame = capture.read()
                if not ok:
                    if self.loop and isinstance(self.capture_source, str):
                        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                        continue
                    break
                self._process(frame)
        finally:
            capture.release()
            self.stats.ended = time.perf_counter()
        self._set_state("stopped" if self._stop.is_set() else "ended")

    def _process(self, frame: np.ndarray) -> None:
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        t0 = time.perf_counter()
        codes = self.decoder.decode(gray)
        self.stats.decode_s += time.perf_counter() - t0
        self.stats.frames += 1
        for code in self.confirmer.feed(codes):
            self.scanned.emit(
                ScanRead(code=code.text, symbology=code.symbology, source=ScanSource.CAMERA)
            )
        # The preview gets a small copy made here, off the GUI thread: scaling a 1280×720
        # frame in paintEvent would cost the UI more than a frame's time.
        scale = min(1.0, PREVIEW_WIDTH / frame.shape[1])
        if scale < 1.0:
            size = (round(frame.shape[1] * scale), round(frame.shape[0] * scale))
            small = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
            shown = [
                Decoded(
                    c.text,
                    c.symbology,
                    tuple((round(x * scale), round(y * scale)) for x, y in c.points),
                )
                for c in codes
            ]
        else:
            small, shown = frame, codes
        with self._lock:
            self._latest = (small, shown)
            notify = not self._frame_pending
            self._frame_pending = True
        if notify:  # at most one preview signal in flight: a slow UI skips frames
            self.frame_ready.emit()


class CameraPreview(QWidget):
    """The live picture with every code found in it outlined in green."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None
        self._outlines: list[tuple[tuple[int, int], ...]] = []
        self._scanner: CameraScanner | None = None

    def attach(self, scanner: CameraScanner) -> None:
        self._scanner = scanner
        scanner.frame_ready.connect(self._pull)

    def _pull(self) -> None:
        if self._scanner is None:
            return
        latest = self._scanner.latest_frame()
        if latest is not None:
            self.show_frame(*latest)

    def show_frame(self, frame: np.ndarray, codes: list[Decoded]) -> None:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) if frame.ndim == 3 else frame
        fmt = QImage.Format.Format_RGB888 if rgb.ndim == 3 else QImage.Format.Format_Grayscale8
        height, width = rgb.shape[:2]
        self._image = QImage(rgb.data, width, height, rgb.strides[0], fmt).copy()
        self._outlines = [code.points for code in codes]
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self._image is None:
            return
        target = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - target.width()) / 2
        y = (self.height() - target.height()) / 2
        scale = target.width() / self._image.width()
        painter.drawImage(QRectF(x, y, target.width(), target.height()), self._image)
        painter.setPen(QPen(QColor("#2ee05a"), 5))
        for points in self._outlines:
            polygon = QPolygonF([QPointF(x + px * scale, y + py * scale) for px, py in points])
            painter.drawPolygon(polygon)
