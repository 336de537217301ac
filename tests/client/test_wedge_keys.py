"""The wedge filter with real Qt key events: scans are caught, typing still works."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from client.scanners.wedge import WedgeParser, WedgeScanner

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
