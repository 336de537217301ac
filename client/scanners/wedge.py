"""Keyboard-wedge scanners: a USB/Bluetooth scanner that "types" the code and hits Enter.

Rule (SPEC §3): a scan is a run of key presses whose gaps are each under ``gap_ms``,
ending in Enter/Return/Tab, at least ``min_length`` characters after stripping the
configured prefix/suffix. Gaps, not whole-burst time: a scanner sends a key every 1-8 ms,
so a long code takes longer than any burst limit a short one would suggest.

Hold and replay, not type-and-undo: the filter takes every key event out of normal
delivery, the parser holds a run while it could still be a scan (at most ``gap_ms``
after its last key, imperceptible to a typist), and keys that turn out to be typing are
replayed, in order, to the object that was to receive them. Undoing typed text instead
would mean knowing what every widget did with a key (validators, completers, buttons
that fire on Space, ``textEdited`` already emitted), which is not knowable in general.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QWidget

from client.scanners.base import Scanner, ScanRead

Clock = Callable[[], float]  # monotonic milliseconds
TERMINATOR_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab})
_MODIFIER_KEYS = frozenset(
    {
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_Meta,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_CapsLock,
    }
)
# Shift is how a scanner types capitals; anything else held down is a shortcut, not a scan.
_SCAN_MODIFIERS = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


def monotonic_ms() -> float:
    return time.monotonic_ns() / 1_000_000


class WedgeParser(QObject):
    """The timing rule alone: offered keys in, ``scanned`` or ``released`` out.

    Payloads are opaque to the parser (the filter passes the key events it holds). The
    clock is injectable so tests decide every gap exactly, without sleeping; the timer
    only asks ``poll()`` to look at that clock again.
    """

    scanned = Signal(object)  # ScanRead
    released = Signal(list)  # payloads that were not a scan, oldest first: deliver them
    discarded = Signal(list)  # payloads that formed a scan: never deliver them

    def __init__(
        self,
        *,
        gap_ms: float = 20,
        prefix: str = "",
        suffix: str = "",
        min_length: int = 3,
        clock: Clock = monotonic_ms,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.gap_ms = gap_ms
        self.prefix = prefix
        self.suffix = suffix
        self.min_length = min_length
        self._clock = clock
        self._held: list[object] = []
        self._text = ""
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.poll)

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def key(self, text: str, payload: object = None, *, terminator: bool = False) -> bool:
        """Offer one key press. True: the parser holds ``payload`` (do not deliver it now)."""
        now = self._clock()
        if self._held and now - self._last >= self.gap_ms:
            self._release()  # the previous run ended by a pause: it was typing
        if terminator:
            if not self._held:
                return False  # a lone Enter or Tab is just a key
            self._held.append(payload)
            code = self._code()
            if code is None:
                self._release()
            else:
                held, self._held, self._text = self._held, [], ""
                self._timer.stop()
                self.discarded.emit(held)
                self.scanned.emit(ScanRead(code=code, source="wedge"))
            return True
        self._held.append(payload)
        self._text += text
        self._last = now
        self._timer.start(max(1, round(self.gap_ms)))
        return True

    def attach(self, payload: object) -> bool:
        """Hold an event that does not count for timing (a key release, Shift) with the run."""
        if not self._held:
            return False
        self._held.append(payload)
        return True

    def poll(self) -> None:
        """Release the held run once its last key is ``gap_ms`` old."""
        if not self._held:
            return
        waited = self._clock() - self._last
        if waited >= self.gap_ms:
            self._release()
        else:  # timers may fire early; look again when the gap is really over
            self._timer.start(max(1, round(self.gap_ms - waited)))

    def flush(self) -> None:
        """Release everything held now (a shortcut key or shutdown interrupts the run)."""
        if self._held:
            self._release()

    def _code(self) -> str | None:
        text = self._text
        if self.prefix:
            if not text.startswith(self.prefix):
                return None
            text = text[len(self.prefix) :]
        if self.suffix:
            if not text.endswith(self.suffix):
                return None
            text = text[: -len(self.suffix)]
        return text if len(text) >= self.min_length else None

    def _release(self) -> None:
        held, self._held, self._text = self._held, [], ""
        self._timer.stop()
        self.released.emit(held)


class WedgeFilter(QObject):
    """Application-wide event filter that routes key events through a ``WedgeParser``.

    Installed on the QApplication it sees each key event first at the QWindow (real
    keyboards) or at the widget it was sent to (``QTest.keyClicks(widget, ...)``). It
    takes every such first sighting out of delivery and replays it itself, marked by
    identity, so a replayed event and its propagation to parent widgets are let through
    and never parsed twice.
    """

    def __init__(self, parser: WedgeParser, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.parser = parser
        self._replaying: list[QKeyEvent] = []
        self._swallow_releases: set[int] = set()
        parser.released.connect(self._replay)
        parser.discarded.connect(self._forget)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        etype = event.type()
        if etype not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        if any(event is ours for ours in self._replaying):
            return False
        if not isinstance(obj, QWindow | QWidget):
            return False
        assert isinstance(event, QKeyEvent)
        payload = (obj, QKeyEvent(event))  # the original dies when this dispatch returns
        if etype == QEvent.Type.KeyRelease:
            if event.key() in self._swallow_releases and not event.isAutoRepeat():
                self._swallow_releases.discard(event.key())
                return True
            if not self.parser.attach(payload):
                self._replay([payload])
            return True
        if not self._offer(event, payload):
            self._replay([payload])
        return True

    def _offer(self, event: QKeyEvent, payload: object) -> bool:
        key = event.key()
        if key in _MODIFIER_KEYS:
            return self.parser.attach(payload)
        if event.isAutoRepeat() or event.modifiers() & ~_SCAN_MODIFIERS:
            self.parser.flush()
            return False
        if key in TERMINATOR_KEYS:
            return self.parser.key("", payload, terminator=True)
        text = event.text()
        if text and text.isprintable():
            return self.parser.key(text, payload)
        self.parser.flush()  # arrows, Backspace, Escape...: typing, deliver in order
        return False

    def _forget(self, payloads: list) -> None:
        for _obj, event in payloads:
            if event.type() == QEvent.Type.KeyPress:
                self._swallow_releases.add(event.key())
            else:
                self._swallow_releases.discard(event.key())

    def _replay(self, payloads: list) -> None:
        for obj, event in payloads:
            if not shiboken6.isValid(obj):
                continue  # its window closed while the key was held
            self._replaying.append(event)
            try:
                QCoreApplication.sendEvent(obj, event)
            finally:
                self._replaying.pop()


class WedgeScanner(Scanner):
    """The keyboard wedge as a ``Scanner``: ``start()`` installs the filter on the app.

    The rules (gap, prefix, suffix, length, clock) are the parser's; the default parser
    has the defaults of SPEC §3.
    """

    source = "wedge"

    def __init__(self, parser: WedgeParser | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.parser = parser or WedgeParser()
        self.parser.setParent(self)
        self.filter = WedgeFilter(self.parser, parent=self)
        self.parser.scanned.connect(self.scanned)
        self._installed = False

    def start(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self.filter)
            self._installed = True

    def stop(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self.filter)
            self._installed = False
        self.parser.flush()
