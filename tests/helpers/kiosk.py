"""Drive a built kiosk (``client.app.build_app``) the way a warehouse operator does."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

# Qt's offscreen platform reports this for every shown window; it says nothing about us.
QT_LOG_IGNORE = (r"This plugin does not support propagateSizeHints\(\)",)


def fail_on_qt_warnings(items: list[pytest.Item], directory: Path) -> None:
    """Any Qt warning fails a GUI test under ``directory``: a "timers cannot be stopped
    from another thread" is a real bug."""
    for item in items:
        if directory in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*QT_LOG_IGNORE))


def wedge_scan(qtbot, kiosk, code: str) -> None:
    """What a USB scanner does: a burst of keys and Enter, into the focused window."""
    qtbot.keyClicks(kiosk.window, code)
    qtbot.keyClick(kiosk.window, Qt.Key.Key_Return)


def pressed(text: str, *, at: int, step: int, repeats: bool = False) -> list[QKeyEvent]:
    """``text`` and Enter as the platform hands them over: a press and a release per key,
    stamped with the time it was pressed, ``step`` ms apart. ``repeats``: a release and
    the next press of the same key are flagged auto-repeat, as Qt's xcb backend flags
    them when both were already queued (a scanner typing "00" behind a busy thread)."""
    press, release = QEvent.Type.KeyPress, QEvent.Type.KeyRelease
    keys = []
    for n, char in enumerate([*text, "\r"]):
        key = Qt.Key.Key_Return if char == "\r" else Qt.Key(ord(char.upper()))
        keys += [(press, key, char, at + n * step), (release, key, char, at + n * step)]
    events = []
    for i, (etype, key, char, stamp) in enumerate(keys):
        neighbour = i + 1 if etype == release else i - 1  # xcb looks at the next event
        repeat = repeats and 0 <= neighbour < len(keys) and keys[neighbour][1] == key
        event = QKeyEvent(etype, key, Qt.KeyboardModifier.NoModifier, char, repeat)
        event.setTimestamp(stamp)
        events.append(event)
    return events


def post(window: QWidget, events: list[QKeyEvent]) -> None:
    """Queue key events at the QWindow, where real keyboards deliver them."""
    for event in events:
        QCoreApplication.postEvent(window.windowHandle(), event)


def log_in(qtbot, kiosk, badge_code: str) -> None:
    with qtbot.waitSignal(kiosk.controller.logged_in, timeout=5000):
        wedge_scan(qtbot, kiosk, badge_code)
    assert kiosk.window.stack.currentWidget() is kiosk.window.projects


def enter_pin(qtbot, kiosk, pin: str) -> None:
    """Tap the PIN on the PIN screen's keypad and OK (the screen must be showing)."""
    screen = kiosk.window.pin
    qtbot.waitUntil(lambda: kiosk.window.stack.currentWidget() is screen, timeout=5000)
    for digit in pin:
        qtbot.mouseClick(screen.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.ok, Qt.MouseButton.LeftButton)


def choose_project(qtbot, kiosk, row: int = 0) -> None:
    """Tap a project in the list, as on the touch screen."""
    projects = kiosk.window.projects.projects
    item = projects.item(row)
    with qtbot.waitSignal(kiosk.controller.project_changed, timeout=5000):
        qtbot.mouseClick(
            projects.viewport(),
            Qt.MouseButton.LeftButton,
            pos=projects.visualItemRect(item).center(),
        )
    assert kiosk.window.stack.currentWidget() is kiosk.window.scan


def recent_states(kiosk) -> list[str]:
    """The state column of the "last scans" table, newest first."""
    table = kiosk.window.scan.recent
    return [table.item(row, 3).text() for row in range(table.rowCount())]
