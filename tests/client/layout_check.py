"""What a person sees on a kiosk screen, checked from the real widgets' geometry.

``layout_problems(window)`` walks the window's visible widgets and returns one line per
defect (empty: the screen is fine):

- two visible widgets overlap (neither inside the other);
- a button's or label's text does not fit it (font metrics, the style's padding);
- a button is cut off by its parent (a scroll area's viewport may hide part: scrolling
  reaches it);
- a touch target (button) is lower than ``MIN_TOUCH`` px, a scroll bar narrower than
  ``MIN_SCROLLBAR`` px, a list without kinetic (touch) scrolling;
- a table cuts its last visible row while nothing lets it scroll, makes a row much higher
  than its text, or elides a cell while another column has room to spare.

``save_screenshot`` keeps what was checked, for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollBar,
    QScroller,
    QTableWidget,
    QWidget,
)

MIN_TOUCH = 44  # px: the smallest finger-sized target (WCAG 2.5.5, Apple HIG)
MIN_SCROLLBAR = 16  # px: a scroll bar a thumb can grab
SPARE_PX = 24  # a column with this much room beyond its widest text could give it away
SIZES = ((1024, 768), (1280, 800), (1920, 1080))
LANGUAGES = ("nl", "en")

# Widgets a person reads or touches; what is inside them is their own business.
_CHECKED = (QPushButton, QLabel, QLineEdit, QAbstractSpinBox, QAbstractScrollArea)


def screenshot_dir() -> Path:
    """Where the layout check's pictures go (CI keeps it as an artifact)."""
    return Path(os.environ.get("RENTGUY_LAYOUT_DIR") or "test-output/layout")


def save_screenshot(window: QWidget, name: str) -> Path:
    """The window as the screen shows it. Not ``QWidget.grab()``: that polishes and lays
    out every hidden page too, which hides exactly the first-show defects looked for."""
    target = screenshot_dir()
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{name}.png"
    picture = window.screen().grabWindow(window.winId())
    assert not picture.isNull() and picture.save(str(path)), path
    return path


def layout_problems(window: QWidget) -> list[str]:
    widgets = _visible_widgets(window)
    problems: list[str] = []
    shown = {id(w): _shown_rect(w, window) for w in widgets}
    for i, first in enumerate(widgets):
        for second in widgets[i + 1 :]:
            if first.isAncestorOf(second) or second.isAncestorOf(first):
                continue
            overlap = shown[id(first)].intersected(shown[id(second)])
            if overlap.width() > 1 and overlap.height() > 1:
                problems.append(f"{_name(first)} overlaps {_name(second)} ({_rect(overlap)})")
    for widget in widgets:
        problems += _text_problems(widget)
        if isinstance(widget, QPushButton):
            problems += _button_problems(widget, window)
        if isinstance(widget, QAbstractScrollArea):
            problems += _scroll_problems(widget)
        if isinstance(widget, QTableWidget):
            problems += _table_problems(widget)
    return problems


# -- what is on the screen -----------------------------------------------------------------


def _visible_widgets(window: QWidget) -> list[QWidget]:
    found: list[QWidget] = []

    def walk(parent: QWidget) -> None:
        direct = Qt.FindChildOption.FindDirectChildrenOnly
        for child in parent.findChildren(QWidget, options=direct):
            if not child.isVisible() or child.isWindow():
                continue
            if isinstance(child, _CHECKED):
                if not _shown_rect(child, window).isEmpty():
                    found.append(child)
                if isinstance(child, QAbstractScrollArea) and not isinstance(
                    child, QAbstractItemView
                ):
                    walk(child.viewport())  # a scroll area's content is checked too
                continue  # a spin box's line edit, a table's cells: theirs
            walk(child)

    walk(window)
    return found


def _shown_rect(widget: QWidget, window: QWidget) -> QRect:
    """The part of ``widget`` not cut away by its ancestors, in window coordinates."""
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    parent = widget.parentWidget()
    while parent is not None:
        rect = rect.intersected(QRect(parent.mapTo(window, parent.rect().topLeft()), parent.size()))
        if parent is window:
            break
        parent = parent.parentWidget()
    return rect


def _in_scroll_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _name(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QPushButton | QLabel) else ""
    text = text if "<" not in text else "rich text"
    return f"{type(widget).__name__}({text[:30]!r})" if text else type(widget).__name__


def _rect(rect: QRect) -> str:
    return f"{rect.width()}x{rect.height()} at {rect.x()},{rect.y()}"


# -- the checks ----------------------------------------------------------------------------


def _text_problems(widget: QWidget) -> list[str]:
    if isinstance(widget, QPushButton) and widget.text():
        need = widget.sizeHint()  # the style's own measure: text, padding, border
        if widget.width() < need.width() or widget.height() < need.height():
            return [f"{_name(widget)} is {widget.width()}x{widget.height()}, its text needs "
                    f"{need.width()}x{need.height()}"]
    if isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
        room = widget.contentsRect()
        if widget.wordWrap() or widget.textFormat() == Qt.TextFormat.RichText:
            need_height = widget.heightForWidth(widget.width())
            if need_height > widget.height():
                return [f"{_name(widget)} is {widget.height()} px high, its text needs "
                        f"{need_height}"]
            if not widget.wordWrap() and widget.sizeHint().width() > widget.width():
                return [f"{_name(widget)} is {widget.width()} px wide, its text needs "
                        f"{widget.sizeHint().width()}"]
            return []
        metrics = widget.fontMetrics()
        width = max(metrics.horizontalAdvance(line) for line in widget.text().split("\n"))
        height = metrics.height() * (widget.text().count("\n") + 1)
        if width > room.width() or height > room.height():
            return [f"{_name(widget)} has {room.width()}x{room.height()} px for text of "
                    f"{width}x{height}"]
    return []


def _button_problems(button: QPushButton, window: QWidget) -> list[str]:
    problems = []
    if button.height() < MIN_TOUCH:
        problems.append(f"{_name(button)} is {button.height()} px high (< {MIN_TOUCH})")
    shown = _shown_rect(button, window)
    if shown.size() != button.size() and not _in_scroll_area(button):
        problems.append(f"{_name(button)} is cut to {_rect(shown)}")
    return problems


def _scroll_problems(area: QAbstractScrollArea) -> list[str]:
    problems = []
    for bar in (area.verticalScrollBar(), area.horizontalScrollBar()):
        size = bar.size() if bar.isVisible() else bar.sizeHint()  # hidden: as it would show
        vertical = bar.orientation() == Qt.Orientation.Vertical
        thickness = size.width() if vertical else size.height()
        if thickness < MIN_SCROLLBAR:
            problems.append(f"{_name(area)}'s scroll bar is {thickness} px (< {MIN_SCROLLBAR})")
    if not isinstance(area.verticalScrollBar(), QScrollBar) or not QScroller.hasScroller(
        area.viewport()
    ):
        problems.append(f"{_name(area)} has no kinetic scrolling")
    return problems


def _table_problems(table: QTableWidget) -> list[str]:
    problems = []
    viewport = table.viewport().height()
    rows = [r for r in range(table.rowCount()) if not table.isRowHidden(r)]
    if rows and not table.verticalScrollBar().isVisible():
        last = rows[-1]
        bottom = table.rowViewportPosition(last) + table.rowHeight(last)
        if bottom > viewport:
            problems.append(f"{_name(table)} cuts row {last + 1} and cannot scroll to it")
    for row in rows:  # a row as high as its text, or as the table's rows are
        need = max(table.sizeHintForRow(row), table.verticalHeader().defaultSectionSize())
        if table.rowHeight(row) > need + 8:
            problems.append(
                f"{_name(table)} row {row + 1} is {table.rowHeight(row)} px for {need} px of text"
            )
    elided, spare = [], []
    for column in range(table.columnCount()):
        width = table.columnWidth(column)
        widest = _widest_text(table, column)
        needed = max(widest, table.horizontalHeader().sectionSizeHint(column))
        if widest > width:
            elided.append(column)
        elif width - needed > SPARE_PX:
            spare.append(column)
    if elided and spare:
        headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        problems.append(
            f"{_name(table)} elides {[headers[c] for c in elided]} while "
            f"{[headers[c] for c in spare]} have room"
        )
    return problems


def _widest_text(table: QTableWidget, column: int) -> int:
    """The width a column needs for its widest cell, as the view measures it."""
    widest = 0
    for row in range(table.rowCount()):
        item = table.item(row, column)
        if item is not None and item.text():
            widest = max(widest, table.sizeHintForIndex(table.indexFromItem(item)).width())
    return widest
