"""A big numeric keypad (gloves, no keyboard needed): quantity entry for bulk items, and
the PIN asked after a badge (``PinScreen``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shared.protocol import MAX_SCAN_QTY

KEYS = ["7", "8", "9", "4", "5", "6", "1", "2", "3", "C", "0", "⌫"]


def key_grid(press: Callable[[str], None]) -> tuple[QGridLayout, dict[str, QPushButton]]:
    """The 4x3 grid of keys; each click calls ``press(key)``."""
    grid = QGridLayout()
    grid.setSpacing(14)
    keys: dict[str, QPushButton] = {}
    for index, key in enumerate(KEYS):
        button = QPushButton(key)
        button.setObjectName("key")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _c=False, k=key: press(k))
        grid.addWidget(button, index // 3, index % 3)
        keys[key] = button
    return grid, keys


def _lay_out_pad(screen: QWidget, display, grid, cancel, ok, *above: QWidget) -> None:
    """A keypad screen: ``above`` (title, message) on top, the display, keys and
    Cancel / OK in a centred column."""
    actions = QHBoxLayout()
    actions.addWidget(cancel)
    actions.addWidget(ok)
    pad = QVBoxLayout()
    pad.addWidget(display)
    pad.addLayout(grid, 1)
    pad.addLayout(actions)
    centre = QHBoxLayout()
    centre.addStretch(1)
    centre.addLayout(pad, 2)
    centre.addStretch(1)
    layout = QVBoxLayout(screen)
    layout.setContentsMargins(32, 24, 32, 24)
    for widget in above:
        layout.addWidget(widget)
    layout.addLayout(centre, 1)


class QuantityScreen(QWidget):
    quantity_chosen = Signal(int)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Quantity for the next bulk scan"))
        self.title.setObjectName("title")
        self.display = QLabel("1")
        self.display.setObjectName("qtyDisplay")
        self.display.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._text = ""
        grid, self.keys = key_grid(self.press)
        self.ok = QPushButton(self.tr("OK"))
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self._accept)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.clicked.connect(self.cancelled)
        _lay_out_pad(self, self.display, grid, self.cancel, self.ok, self.title)

    def start(self, current: int = 1) -> None:
        self._text = ""
        self.display.setText(str(current))

    def press(self, key: str) -> None:
        if key == "C":
            self._text = ""
        elif key == "⌫":
            self._text = self._text[:-1]
        elif len(self._text) < len(str(MAX_SCAN_QTY)) and not (key == "0" and not self._text):
            self._text += key
        self.display.setText(self._text or "0")

    def value(self) -> int:
        return int(self._text or "0")

    def _accept(self) -> None:
        value = self.value()
        if 1 <= value <= MAX_SCAN_QTY:
            self.quantity_chosen.emit(value)


PIN_MIN, PIN_MAX = 4, 12  # shared.auth.BadgeLoginRequest.pin


class PinScreen(QWidget):
    """ "Enter your PIN" after a badge that has (or may have) one. The digits are shown as
    dots; typed digits work too (a USB keypad)."""

    pin_entered = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Enter your PIN"))
        self.title.setObjectName("title")
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.display = QLabel("")
        self.display.setObjectName("qtyDisplay")
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._pin = ""
        grid, self.keys = key_grid(self.press)
        self.ok = QPushButton(self.tr("OK"))
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self._accept)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.clicked.connect(self.cancelled)
        _lay_out_pad(self, self.display, grid, self.cancel, self.ok, self.title, self.message)

    def start(self, message: str = "") -> None:
        self._pin = ""
        self.display.setText("")
        self.message.setText(message)
        self._update()

    def press(self, key: str) -> None:
        if key == "C":
            self._pin = ""
        elif key == "⌫":
            self._pin = self._pin[:-1]
        elif key.isdigit() and len(self._pin) < PIN_MAX:
            self._pin += key
        self.display.setText("•" * len(self._pin))
        self._update()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        text = event.text()
        if text.isdigit():
            self.press(text)
        elif event.key() == Qt.Key.Key_Backspace:
            self.press("⌫")
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._accept()
        else:
            super().keyPressEvent(event)

    def _update(self) -> None:
        self.ok.setEnabled(len(self._pin) >= PIN_MIN)

    def _accept(self) -> None:
        if len(self._pin) >= PIN_MIN:
            pin, self._pin = self._pin, ""
            self.display.setText("")
            self._update()
            self.pin_entered.emit(pin)
