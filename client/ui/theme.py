"""Look of the kiosk: big type, high contrast, one meaning per colour.

Read at arm's length on a warehouse touch screen, often with gloves: body text ~20 px,
headlines 34-44 px, touch targets at least 72 px tall. Green means done / OK, amber means
look at this, red means not recorded as you expect; nothing else uses those colours.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QAbstractScrollArea, QLayout, QScroller, QWidget

from client.controller import VerdictLevel
from client.store import ScanState

FONT_FAMILY = "DejaVu Sans"
INK = "#16181d"
MUTED = "#5b6270"
PAPER = "#f2f3f5"
CARD = "#ffffff"
LINE = "#d5d8de"
GREEN = "#1e7d32"
AMBER = "#f2a900"
RED = "#c62828"
BLUE = "#1f4e9c"
NEUTRAL = "#3a4150"

# Feedback banner: background, text colour, headline per verdict level.
BANNER = {
    VerdictLevel.OK: (GREEN, "#ffffff"),
    VerdictLevel.WARNING: (AMBER, INK),
    VerdictLevel.UNKNOWN: (RED, "#ffffff"),
    VerdictLevel.INVALID: (RED, "#ffffff"),
    "idle": (NEUTRAL, "#ffffff"),
}
# Chip colours for the state of a scan in the "last scans" list.
STATE_COLOURS = {
    ScanState.QUEUED: ("#e3e6eb", INK),
    ScanState.SYNCED: (GREEN, "#ffffff"),
    ScanState.CONFLICT: (AMBER, INK),
    ScanState.REJECTED: (RED, "#ffffff"),
    "undone": ("#c9ccd3", MUTED),  # annulled by an undo: counts for nothing
}
TOUCH_PX = 48  # a gloved fingertip; the layout check's floor is 44
SCROLLBAR_PX = 22  # a scroll bar a thumb can drag (the layout check's floor is 16)
LINE_DONE = QColor("#d7f0dc")
LINE_OVER = QColor("#fde8b0")

STYLESHEET = f"""
QWidget {{ background: {PAPER}; color: {INK}; font-family: "{FONT_FAMILY}"; font-size: 20px; }}
QLabel#title {{ font-size: 40px; font-weight: bold; }}
QLabel#subtitle {{ font-size: 26px; color: {MUTED}; }}
QLabel#hint {{ font-size: 20px; color: {MUTED}; }}
QLabel#error {{ font-size: 24px; color: {RED}; font-weight: bold; }}
QLabel#sectionTitle {{ font-size: 22px; font-weight: bold; color: {MUTED}; padding: 4px 2px; }}
QPushButton {{
    background: {CARD}; border: 2px solid {LINE}; border-radius: 10px;
    min-height: 64px; padding: 0 24px; font-size: 24px; font-weight: bold;
}}
QPushButton:pressed {{ background: {LINE}; }}
QPushButton#mode {{ min-height: 76px; min-width: 120px; padding: 0 14px; font-size: 28px; }}
QPushButton#mode:checked {{ background: {BLUE}; color: #ffffff; border-color: {BLUE}; }}
QPushButton#logout {{ color: {RED}; border-color: {RED}; }}
QPushButton#tool {{ min-height: 76px; padding: 0 16px; font-size: 24px; }}
QPushButton#problems[active="true"] {{ background: {AMBER}; border-color: {AMBER}; color: {INK}; }}
QPushButton#tool[active="true"] {{ background: {AMBER}; border-color: {AMBER}; color: {INK}; }}
QPushButton#condition {{ min-height: 76px; min-width: 130px; font-size: 24px; }}
QPushButton#condition:checked {{ background: {AMBER}; border-color: {AMBER}; color: {INK}; }}
QPushButton#primary {{
    background: {BLUE}; color: #ffffff; border-color: {BLUE}; min-height: 76px;
}}
QPushButton#key {{ min-height: 80px; min-width: 120px; font-size: 40px; }}
QLabel#qtyDisplay {{
    background: {CARD}; border: 2px solid {LINE}; border-radius: 10px;
    font-size: 64px; font-weight: bold; padding: 8px 24px;
}}
QFrame#header QLabel#offlineSession {{
    background: {AMBER}; color: {INK}; border-radius: 8px; padding: 4px 14px;
    font-size: 20px; font-weight: bold;
}}
QSpinBox {{
    background: {CARD}; border: 2px solid {LINE}; border-radius: 8px;
    min-height: 52px; padding: 0 12px; font-size: 22px;
}}
QSpinBox::up-button, QSpinBox::down-button {{ width: 48px; }}
QFormLayout QLabel, QLabel#formLabel {{ font-size: 22px; }}
QLineEdit {{
    background: {CARD}; border: 2px solid {LINE}; border-radius: 8px;
    min-height: 52px; padding: 0 12px; font-size: 22px;
}}
QTableWidget, QListWidget {{
    background: {CARD}; border: 2px solid {LINE}; border-radius: 8px;
    gridline-color: {LINE}; font-size: 21px;
}}
QListWidget::item {{ border-bottom: 1px solid {LINE}; }}
QListWidget::item:selected, QListWidget::item:hover {{ background: #e3ebf7; }}
QHeaderView::section {{
    background: {PAPER}; color: {MUTED}; border: none; border-bottom: 2px solid {LINE};
    padding: 8px; font-size: 18px; font-weight: bold;
}}
QScrollBar:vertical {{ background: {PAPER}; width: {SCROLLBAR_PX}px; margin: 0; }}
QScrollBar:horizontal {{ background: {PAPER}; height: {SCROLLBAR_PX}px; margin: 0; }}
QScrollBar::handle {{ background: #9aa1ad; border-radius: 8px; margin: 3px; }}
QScrollBar::handle:vertical {{ min-height: {TOUCH_PX}px; }}
QScrollBar::handle:horizontal {{ min-width: {TOUCH_PX}px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}
QFrame#statusBar {{ background: {INK}; }}
QFrame#statusBar QLabel {{ background: {INK}; color: #ffffff; font-size: 20px; }}
QFrame#header {{ background: {CARD}; border-bottom: 2px solid {LINE}; }}
QFrame#header QLabel {{ background: {CARD}; }}
"""


def apply_theme(window: QWidget) -> None:
    """Style one window (not the whole QApplication, which tests share with others)."""
    window.setFont(QFont(FONT_FAMILY, 14))
    window.setStyleSheet(STYLESHEET)


def paint(widget: QWidget, background: str, foreground: str, extra: str = "") -> None:
    """Give one widget a solid colour (used by the banner and the status pill)."""
    widget.setStyleSheet(f"background: {background}; color: {foreground}; {extra}")


def settle_layouts(window: QWidget) -> None:
    """Polish every widget of a freshly built window, then forget the sizes its layouts
    measured before that.

    Qt polishes a widget (applies the style sheet: fonts, min-heights, paddings) only when
    it is first shown, and a hidden stacked page is laid out earlier, e.g. when a scroll
    area sizes its content. A page's first show then polished its widgets in the middle of
    a layout pass; the size changes were lost for nested layouts (a form in a scroll area),
    so the settings screen drew rows of the unstyled size over each other until something
    (a language switch) rebuilt it. Polishing up front makes the first layout the real one.
    """
    window.ensurePolished()  # the window and all its children
    for layout in window.findChildren(QLayout):
        layout.invalidate()


def touch_scrolling(window: QWidget) -> None:
    """Every list, table and scroll area of ``window`` follows a finger (kinetic
    scrolling) and moves by pixels, not by whole rows."""
    for area in window.findChildren(QAbstractScrollArea):
        if isinstance(area, QAbstractItemView):
            area.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            area.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.TouchGesture)
