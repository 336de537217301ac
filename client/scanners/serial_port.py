"""Serial scanners (RS-232 or USB CDC-ACM) read with pyserial in a worker thread.

The scanner sends each code followed by a terminator (CR by default). The worker splits
the byte stream into frames and emits one ``ScanRead`` per frame. Unplugging the scanner
makes the read fail: frames already complete are emitted first, a half frame is dropped
(the rest of it went with the cable), and the worker tries the port again every
``reconnect_s`` until it is back. pyserial flushes the OS input buffer when it opens a
port, so whatever the scanner sent while the port was closed is gone; ``status`` says
``connected`` only once the port is open and reading.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import serial
from PySide6.QtCore import QObject, Signal

from client.scanners.base import ScanRead, WorkerScanner
from shared.protocol import ScanSource

log = logging.getLogger(__name__)

CONNECTED, ABSENT, DISCONNECTED, STOPPED = "connected", "absent", "disconnected", "stopped"
MAX_FRAME = 4096  # a "frame" longer than this is line noise, not a barcode


def parse_terminator(text: str) -> bytes:
    """``"\\r"``, ``"\\n"``, ``"\\r\\n"`` or the names CR / LF / CRLF, as config allows."""
    named = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}
    if text.upper() in named:
        return named[text.upper()]
    value = text.encode().decode("unicode_escape").encode("latin-1")
    if not value:
        raise ValueError("the serial terminator must not be empty")
    return value


class FrameSplitter:
    """Bytes in, complete frames out. A CR/LF pair is one end when the terminator is CR or LF
    (scanners often send both even when set to one)."""

    def __init__(self, terminator: bytes = b"\r") -> None:
        self.terminator = terminator
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        frames = []
        while True:
            index = self._buffer.find(self.terminator)
            if index < 0:
                break
            raw = bytes(self._buffer[:index])
            del self._buffer[: index + len(self.terminator)]
            text = raw.strip(b"\r\n\x00").decode("utf-8", errors="replace")
            if text:
                frames.append(text)
        if len(self._buffer) > MAX_FRAME:
            log.warning("serial: dropping %d bytes without a terminator", len(self._buffer))
            self._buffer.clear()
        return frames

    def drop_partial(self) -> bytes:
        partial, self._buffer = bytes(self._buffer), bytearray()
        return partial


class SerialScanner(WorkerScanner):
    """A serial barcode scanner; ``status_changed(state, message)`` tells the UI how it is."""

    source = ScanSource.SERIAL
    thread_name = "rentguy-serial"
    status_changed = Signal(str, str)

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        terminator: bytes = b"\r",
        *,
        reconnect_s: float = 0.5,
        opener: Callable[..., serial.Serial] = serial.Serial,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.port = port
        self.baud = baud
        self.terminator = terminator
        self.reconnect_s = reconnect_s
        self._opener = opener
        self.state = STOPPED
        self.frames_read = 0

    def stop(self) -> None:
        super().stop()
        self._set_state(STOPPED, "")

    # -- worker thread -------------------------------------------------------------------

    def _set_state(self, state: str, message: str) -> None:
        if state != self.state:
            self.state = state
            self.status_changed.emit(state, message)

    def _run(self) -> None:
        splitter = FrameSplitter(self.terminator)
        while not self._stop.is_set():
            try:
                port = self._opener(self.port, self.baud, timeout=0.1)
            except (serial.SerialException, OSError) as exc:
                self._set_state(ABSENT, f"{self.port}: {_reason(exc)}")
                self._stop.wait(self.reconnect_s)
                continue
            self._set_state(CONNECTED, f"{self.port} @ {self.baud}")
            try:
                self._read(port, splitter)
            except (serial.SerialException, OSError) as exc:
                self._set_state(DISCONNECTED, f"{self.port}: {_reason(exc)}")
            finally:
                try:
                    port.close()
                except (serial.SerialException, OSError):
                    pass
            partial = splitter.drop_partial()
            if partial:
                log.warning("serial: dropped a half frame at disconnect: %r", partial[:40])
            self._stop.wait(self.reconnect_s)

    def _read(self, port: serial.Serial, splitter: FrameSplitter) -> None:
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            if not data:
                continue
            for text in splitter.feed(data):
                # Every complete frame is emitted before a later read can fail.
                self.frames_read += 1
                self.scanned.emit(ScanRead(code=text, source=self.source))


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "No such file" in text or "could not open port" in text and "No such" in text:
        return "not connected"
    return text or type(exc).__name__
