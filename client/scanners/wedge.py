"""Keyboard-wedge scanners: a USB/Bluetooth scanner that "types" the code and hits Enter.

Rule (SPEC §3): a scan is a run of key presses whose gaps are each under ``gap_ms``,
ending in Enter/Return/Tab, at least ``min_length`` characters after stripping the
configured prefix/suffix. Gaps, not whole-burst time: a scanner sends a key every 1-8 ms,
so a long code takes longer than any burst limit a short one would suggest.

Hold and replay, not type-and-undo: the filter takes every key event out of normal
delivery, the parser holds a run while it could still be a scan (``gap_ms`` and a turn
or two of the event loop after its last key, imperceptible to a typist), and keys that
turn out to be typing are replayed, in order, to the object that was to receive them.
Undoing typed text instead would mean knowing what every widget did with a key
(validators, completers, buttons that fire on Space, ``textEdited`` already emitted),
which is not knowable in general.

Time: gaps are measured between the key events' own timestamps (the windowing system's,
taken when the key was pressed) whenever the platform gives them. The UI thread's clock
only says when a key was *handled*: a stall mid-burst (first paint of a screen, a slow
query) makes that late and bunched, and a burst judged by it falls apart into "typing".
For the same reason a run is released only after the event loop has turned a few more
times without a new key: keys pressed before the gap ran out may still be queued behind
the stall.

A scan never vanishes: keys released as typing that no widget took (the scan screen
has no text field) make a line, and that line is read, through the same rules: ended by
Enter/Tab it is a scan (a slow scanner, a code typed by hand), and a fast run ending a
scan right after it is read with it (a scanner that paused after its first key).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QWindow
from PySide6.QtWidgets import QWidget

from client.scanners.base import Scanner, ScanRead
from shared.protocol import ScanSource

Clock = Callable[[], float]  # monotonic milliseconds
# Event-loop turns that must pass without a key, after the gap is over, before a held run
# is released: what was queued while the thread was busy is delivered in those turns.
SETTLE_TURNS = 2
# Keys that no widget took belong to one line unless this long apart (a fresh start after
# someone leaned on the keyboard, not a prefix glued to the next code).
LINE_PAUSE_MS = 3_000
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


def elapsed(now: float, at: int, since_now: float, since_at: int) -> float:
    """Milliseconds between two keys, each known by the clock when it was handled (``now``)
    and its event's stamp (``at``, 0 if none). Stamps say when the keys were pressed, the
    clock only when this thread got to them, so stamps win when both keys have one; an
    older stamp than the other (a 32-bit server time wrapping) is no measure."""
    if at and since_at and at >= since_at:
        return at - since_at
    return now - since_now


class WedgeParser(QObject):
    """The timing rule alone: offered keys in, ``scanned`` or ``released`` out.

    Payloads are opaque to the parser (the filter passes the key events it holds). A key
    may carry its event's timestamp (``at``, ms, 0 when unknown): gaps between two stamped
    keys are measured with those, other gaps with the clock. The clock is injectable so
    tests decide every gap exactly, without sleeping; the timer only asks the parser to
    look at that clock again. The filter reports what became of released keys
    (``unclaimed`` / ``claimed``): the unclaimed ones make the line that is read too.
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
        self.clock = clock
        self._held: list[object] = []
        self._text = ""
        self._last = 0.0  # the clock when the run's last key was offered
        self._last_at = 0  # that key's own timestamp (0: none)
        self._settled = 0  # loop turns without a key since the gap ran out
        self._line = ""  # released keys that no widget took, since the last line break
        self._line_last = (0.0, 0)  # the last of them: clock and stamp
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer)

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def key(
        self, text: str, payload: object = None, *, terminator: bool = False, at: int = 0
    ) -> bool:
        """Offer one key press, ``at`` its event's timestamp (ms, 0 if unknown).
        True: the parser holds ``payload`` (do not deliver it now)."""
        now = self.clock()
        if self._held and elapsed(now, at, self._last, self._last_at) >= self.gap_ms:
            self._release()  # the previous run ended by a pause: it was typing
        if terminator:
            if not self._held:
                return False  # a lone Enter or Tab is just a key
            self._held.append(payload)
            # Keys before a pause that went nowhere are this scan's start, if they fit.
            joined = self._code(self._line + self._text) if self._line else None
            code = joined or self._code(self._text)
            if code is None:
                self._release()
            else:
                held, self._held, self._text, self._line = self._held, [], "", ""
                self._timer.stop()
                self.discarded.emit(held)
                self.scanned.emit(ScanRead(code=code, source=ScanSource.WEDGE))
            return True
        if not self._held and self._line and self._pause(now, at):
            self._line = ""  # a run after a long pause: the line before it is no prefix
        self._held.append(payload)
        self._text += text
        self._last, self._last_at, self._settled = now, at, 0
        self._timer.start(max(1, round(self.gap_ms)))
        return True

    def attach(self, payload: object) -> bool:
        """Hold an event that does not count for timing (a key release, Shift) with the run."""
        if not self._held:
            return False
        self._held.append(payload)
        return True

    def poll(self) -> None:
        """Release the held run now if its last key is ``gap_ms`` old by the clock.

        For a caller that knows no key is still queued (a test); the timer does the same,
        but only once the event loop has settled (``SETTLE_TURNS``)."""
        if self._held and self.clock() - self._last >= self.gap_ms:
            self._release()

    def _on_timer(self) -> None:
        if not self._held:
            return
        waited = self.clock() - self._last
        if waited < self.gap_ms:  # timers may fire early; look again when the gap is over
            self._timer.start(max(1, round(self.gap_ms - waited)))
        elif self._settled < SETTLE_TURNS:
            # The gap is over by the clock, but keys pressed before it ran out may still
            # wait in the queue behind a stall (their stamps would keep them in the run).
            # Input already queued is dispatched within the next turns of the loop: wait
            # that long without a key (a key resets the count) before calling it typing.
            self._settled += 1
            self._timer.start(0)
        else:
            self._release()

    def unclaimed(self, text: str, at: int = 0) -> None:
        """A released key that no widget took: it joins the line."""
        now = self.clock()
        if self._pause(now, at):
            self._line = ""
        self._line += text
        self._line_last = (now, at)

    def claimed(self) -> None:
        """A released key that a widget took (or an editing key): the line is broken."""
        self._line = ""

    def end_line(self) -> bool:
        """Enter/Tab that was not held ends the line: emit the line as a scan if it passes
        the rules (prefix, suffix, length). True if it did: the key is the scan's."""
        line, self._line = self._line, ""
        code = self._code(line) if line else None
        if code is None:
            return False
        self.scanned.emit(ScanRead(code=code, source=ScanSource.WEDGE))
        return True

    def flush(self) -> None:
        """Release everything held now (a shortcut key or shutdown interrupts the run)."""
        if self._held:
            self._release()

    def _pause(self, now: float, at: int) -> bool:
        return elapsed(now, at, *self._line_last) > LINE_PAUSE_MS

    def _code(self, text: str) -> str | None:
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
        # No test of isAutoRepeat(): Qt's xcb backend flags a release and the next press
        # of the same key under 10 ms apart as auto-repeat when both are already queued,
        # which is a scanner typing "00" behind a stalled thread. A key really held down
        # repeats 25-40 times a second: the gap rule calls that typing by itself.
        if event.modifiers() & ~_SCAN_MODIFIERS:
            self.parser.flush()
            return False
        at = event.timestamp()
        if key in TERMINATOR_KEYS:
            return self.parser.key("", payload, terminator=True, at=at)
        text = event.text()
        if text and text.isprintable():
            return self.parser.key(text, payload, at=at)
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
            if self._ends_a_read(event):
                continue  # this Enter ended a read: it is the scan's, not a key
            if not shiboken6.isValid(obj):
                continue  # its window closed while the key was held
            self._replaying.append(event)
            try:
                QCoreApplication.sendEvent(obj, event)
            finally:
                self._replaying.pop()
            self._report(event)

    def _report(self, event: QKeyEvent) -> None:
        """Tell the parser whether a widget took a delivered key: on a screen without a
        text field, printable keys are left unaccepted and would vanish."""
        if event.type() != QEvent.Type.KeyPress or event.key() in _MODIFIER_KEYS:
            return
        text = event.text()
        if (
            text
            and text.isprintable()
            and not event.isAccepted()
            and not event.modifiers() & ~_SCAN_MODIFIERS
        ):
            self.parser.unclaimed(text, event.timestamp())
        else:
            self.parser.claimed()

    def _ends_a_read(self, event: QKeyEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or event.key() not in TERMINATOR_KEYS:
            return False
        if not self.parser.end_line():
            return False
        self._swallow_releases.add(event.key())
        return True


class WedgeScanner(Scanner):
    """The keyboard wedge as a ``Scanner``: ``start()`` installs the filter on the app.

    The rules (gap, prefix, suffix, length, clock) are the parser's; the default parser
    has the defaults of SPEC §3.
    """

    source = ScanSource.WEDGE

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
