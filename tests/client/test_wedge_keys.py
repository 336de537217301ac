"""The wedge filter with real Qt key events: scans are caught, typing still works."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QPushButton, QVBoxLayout, QWidget

from client.scanners.wedge import LINE_PAUSE_MS, WedgeParser, WedgeScanner
from tests.helpers.kiosk import post, pressed

pytestmark = pytest.mark.gui


class KeyLog(QWidget):
    """A focusable widget that records every key event it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.events: list[tuple[str, str]] = []

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.events.append(("press", event.text()))

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.events.append(("release", event.text()))


class Bystander(QWidget):
    """Has the focus but no use for text, like the scan screen's buttons and tables:
    records the key events it is given and ignores them."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.events: list[tuple[str, str]] = []

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.events.append(("press", event.text()))
        event.ignore()

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.events.append(("release", event.text()))
        event.ignore()


def stall(ms: float) -> None:
    """The UI thread busy with something else (a first paint, a slow query)."""
    time.sleep(ms / 1000)


@pytest.fixture
def form(qtbot):
    window = QWidget()
    layout = QVBoxLayout(window)
    field = QLineEdit()
    layout.addWidget(field)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    field.setFocus()
    return window, field


@pytest.fixture
def scanner_factory(qtbot):
    made: list[WedgeScanner] = []

    def make(clock) -> tuple[WedgeScanner, list]:
        scanner = WedgeScanner(WedgeParser(gap_ms=20, min_length=3, clock=clock))
        reads: list = []
        scanner.scanned.connect(reads.append)
        scanner.start()
        made.append(scanner)
        return scanner, reads

    yield make
    for scanner in made:
        scanner.stop()


def test_slow_typing_reaches_the_line_edit(form, scanner_factory, make_clock, qtbot):
    _window, field = form
    clock = make_clock(step=120.0)  # every reading is 120 ms later: a human's pace
    scanner, reads = scanner_factory(clock)
    entered: list[str] = []
    field.returnPressed.connect(lambda: entered.append(field.text()))
    qtbot.keyClicks(field, "Hallo, wereld")
    scanner.parser.poll()  # the last key is released once its gap is over
    assert field.text() == "Hallo, wereld"
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert entered == ["Hallo, wereld"]
    assert reads == []


def test_a_fast_burst_is_a_scan_and_types_nothing(form, scanner_factory, make_clock, qtbot):
    _window, field = form
    scanner, reads = scanner_factory(make_clock(step=3.0))
    entered: list[str] = []
    field.returnPressed.connect(lambda: entered.append(field.text()))
    with qtbot.waitSignal(scanner.scanned, timeout=1000) as signal:
        qtbot.keyClicks(field, "RG-U-0001")
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert signal.args[0].code == "RG-U-0001"
    assert [read.code for read in reads] == ["RG-U-0001"]
    assert field.text() == "" and entered == []


def test_editing_keys_keep_their_order(form, scanner_factory, make_clock, qtbot):
    _window, field = form
    scanner_factory(make_clock(step=120.0))
    qtbot.keyClicks(field, "abc")  # "c" is still held when Backspace arrives
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert field.text() == "ab"


def test_shortcuts_pass_at_once(form, scanner_factory, make_clock, qtbot):
    _window, field = form
    scanner, _reads = scanner_factory(make_clock(step=120.0))
    qtbot.keyClicks(field, "abc")
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # select all
    qtbot.keyClicks(field, "x")
    scanner.parser.poll()
    assert field.text() == "x"


def test_no_stray_key_release_after_a_scan(qtbot, scanner_factory, make_clock):
    log = KeyLog()
    qtbot.addWidget(log)
    log.show()
    qtbot.waitExposed(log)
    _scanner, reads = scanner_factory(make_clock(step=2.0))
    qtbot.keyClicks(log, "RG-C-0001")
    qtbot.keyClick(log, Qt.Key.Key_Tab)
    assert [read.code for read in reads] == ["RG-C-0001"]
    assert log.events == []


def test_system_key_path_through_the_window(form, scanner_factory, make_clock, qtbot):
    # QTest.keyClick(QWindow, ...) goes through Qt's platform event path, as a USB scanner
    # does: the filter sees the event at the QWindow, before any widget.
    window, field = form
    _scanner, reads = scanner_factory(make_clock(step=2.0))
    handle = window.windowHandle()
    for key in (Qt.Key.Key_8, Qt.Key.Key_7, Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3):
        QTest.keyClick(handle, key)
    QTest.keyClick(handle, Qt.Key.Key_Return)
    assert [read.code for read in reads] == ["87123"]
    assert field.text() == ""


def test_system_key_path_still_types_slowly(form, scanner_factory, make_clock):
    window, field = form
    scanner, reads = scanner_factory(make_clock(step=150.0))
    for key in (Qt.Key.Key_4, Qt.Key.Key_2):
        QTest.keyClick(window.windowHandle(), key)
    scanner.parser.poll()
    assert field.text() == "42" and reads == []


def test_stopping_the_scanner_gives_the_keyboard_back(form, scanner_factory, make_clock, qtbot):
    _window, field = form
    scanner, reads = scanner_factory(make_clock(step=2.0))
    scanner.stop()
    qtbot.keyClicks(field, "RG-U-0001")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert field.text() == "RG-U-0001" and reads == []


def test_events_for_other_objects_are_left_alone(qapp, scanner_factory, make_clock):
    scanner, _reads = scanner_factory(make_clock(step=2.0))
    event = QEvent(QEvent.Type.User)
    assert scanner.filter.eventFilter(scanner, event) is False


# -- a busy UI thread: keys pressed fast but handled late ---------------------------------


@pytest.fixture
def real_clock_scanner(qtbot):
    scanner = WedgeScanner(WedgeParser(gap_ms=20, min_length=3))  # the real clock
    reads: list = []
    scanner.scanned.connect(reads.append)
    scanner.start()
    yield scanner, reads
    scanner.stop()


def test_a_burst_held_up_by_a_stall_is_one_scan(form, real_clock_scanner, qtbot):
    window, field = form
    scanner, reads = real_clock_scanner
    events = pressed("RG-U-0001", at=50_000, step=2)
    post(window, events[:6])  # "RG-" is handled at once...
    QCoreApplication.sendPostedEvents()
    assert scanner.parser.holding
    post(window, events[6:])  # ...the rest was pressed 2 ms later, but waits in the queue
    stall(3 * 20)  # longer than the gap: the release timer is due when the thread is back
    with qtbot.waitSignal(scanner.scanned, timeout=2000) as signal:
        pass
    assert signal.args[0].code == "RG-U-0001"
    qtbot.wait(3 * 20)  # nothing is released afterwards either
    assert [read.code for read in reads] == ["RG-U-0001"]
    assert field.text() == "" and not scanner.parser.holding


def test_the_release_timer_waits_for_keys_queued_behind_a_stall(form, real_clock_scanner, qtbot):
    window, field = form
    scanner, reads = real_clock_scanner
    events = pressed("RG-U-0001", at=50_000, step=2)
    post(window, events[:6])
    QCoreApplication.sendPostedEvents()
    stall(3 * 20)
    QCoreApplication.processEvents()  # one turn: the overdue release timer runs first...
    assert scanner.parser.holding and field.text() == ""
    post(window, events[6:])  # ...and only then are the queued keys delivered
    with qtbot.waitSignal(scanner.scanned, timeout=2000):
        pass
    assert [read.code for read in reads] == ["RG-U-0001"]
    assert field.text() == ""


def test_repeated_characters_flagged_auto_repeat_stay_in_the_scan(form, real_clock_scanner, qtbot):
    window, field = form
    scanner, reads = real_clock_scanner
    post(window, pressed("RG-U-0001", at=50_000, step=2, repeats=True))
    with qtbot.waitSignal(scanner.scanned, timeout=2000) as signal:
        pass
    assert signal.args[0].code == "RG-U-0001"
    assert [read.code for read in reads] == ["RG-U-0001"] and field.text() == ""


# -- keys that no widget takes: a slow scan is read, never lost ----------------------------


@pytest.fixture
def bystander(qtbot) -> tuple[QWidget, Bystander]:
    window = QWidget()
    layout = QVBoxLayout(window)
    widget = Bystander()
    layout.addWidget(widget)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    widget.setFocus()
    return window, widget


def test_a_slow_scan_where_no_widget_takes_text_is_read(bystander, scanner_factory, make_clock):
    window, widget = bystander
    scanner, reads = scanner_factory(make_clock(step=1.0))
    # 60 ms a key: too slow for the 20 ms rule, and the focus has no use for the text.
    post(window, pressed("RG-U-0001", at=50_000, step=60))
    QCoreApplication.sendPostedEvents()
    assert [read.code for read in reads] == ["RG-U-0001"]
    assert reads[0].source == "wedge"
    # The code's keys were delivered (and ignored); the Enter is the scan's.
    assert ("press", "R") in widget.events
    assert ("press", "\r") not in widget.events
    assert ("release", "\r") not in widget.events
    assert not scanner.parser.holding


def test_a_scanner_that_pauses_after_its_first_key_is_read_whole(bystander, scanner_factory):
    window, widget = bystander
    _scanner, reads = scanner_factory(lambda: 0.0)  # stamps decide every gap here
    first = pressed("R", at=50_000, step=2)[:2]  # "R", then 30 ms of nothing
    post(window, first + pressed("G-LGT-MAC-003", at=50_030, step=2))
    QCoreApplication.sendPostedEvents()
    assert [read.code for read in reads] == ["RG-LGT-MAC-003"]
    assert ("press", "R") in widget.events  # released (a pause), and nobody took it


def test_a_code_typed_into_a_text_field_is_not_read_as_a_scan(form, scanner_factory, make_clock):
    window, field = form
    _scanner, reads = scanner_factory(make_clock(step=1.0))
    entered: list[str] = []
    field.returnPressed.connect(lambda: entered.append(field.text()))
    post(window, pressed("RG-U-0001", at=50_000, step=60))
    QCoreApplication.sendPostedEvents()
    assert reads == [] and entered == ["RG-U-0001"]


def test_too_short_a_line_stays_keys(bystander, scanner_factory, make_clock):
    window, widget = bystander
    _scanner, reads = scanner_factory(make_clock(step=1.0))
    post(window, pressed("ab", at=50_000, step=60))
    QCoreApplication.sendPostedEvents()
    assert reads == []
    assert ("press", "\r") in widget.events  # an ordinary Enter, delivered


def test_a_button_that_takes_a_key_breaks_the_line(qtbot, scanner_factory, make_clock):
    window = QWidget()
    button = QPushButton("Projects")
    QVBoxLayout(window).addWidget(button)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    button.setFocus()
    _scanner, reads = scanner_factory(make_clock(step=1.0))
    post(window, pressed("RG U-0001", at=50_000, step=60))  # Space presses the button
    QCoreApplication.sendPostedEvents()
    assert [read.code for read in reads] == ["U-0001"]


def test_a_long_pause_starts_a_new_line(bystander, scanner_factory, make_clock):
    window, _widget = bystander
    clock = make_clock()
    _scanner, reads = scanner_factory(clock)
    post(window, pressed("xyz", at=50_000, step=60)[:-2])  # no Enter: someone leaned on it
    QCoreApplication.sendPostedEvents()
    clock.advance(LINE_PAUSE_MS + 1_000)
    post(window, pressed("RG-U-0001", at=50_120 + LINE_PAUSE_MS + 1_000, step=60))
    QCoreApplication.sendPostedEvents()
    assert [read.code for read in reads] == ["RG-U-0001"]
