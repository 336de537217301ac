"""Quantity entry for bulk items: a big numeric keypad (gloves, no keyboard needed)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shared.protocol import MAX_SCAN_QTY


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
        grid = QGridLayout()
        grid.setSpacing(14)
        self.keys: dict[str, QPushButton] = {}
        layout_keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3", "C", "0", "⌫"]
        for index, key in enumerate(layout_keys):
            button = QPushButton(key)
            button.setObjectName("key")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, k=key: self.press(k))
            grid.addWidget(button, index // 3, index % 3)
            self.keys[key] = button
        self.ok = QPushButton(self.tr("OK"))
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self._accept)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.clicked.connect(self.cancelled)
        actions = QHBoxLayout()
        actions.addWidget(self.cancel)
        actions.addWidget(self.ok)
        pad = QVBoxLayout()
        pad.addWidget(self.display)
        pad.addLayout(grid, 1)
        pad.addLayout(actions)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addLayout(pad, 2)
        centre.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addWidget(self.title)
        layout.addLayout(centre, 1)

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
