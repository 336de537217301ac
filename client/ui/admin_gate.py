"""“Scan an admin badge”: the door to settings and out of the kiosk."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class AdminGateScreen(QWidget):
    badge_entered = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Admin badge needed"))
        self.title.setObjectName("title")
        self.purpose = QLabel()
        self.purpose.setObjectName("subtitle")
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        for label in (self.title, self.purpose, self.message):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.manual = QLineEdit()
        self.manual.setEchoMode(QLineEdit.EchoMode.Password)
        self.manual.setPlaceholderText(self.tr("Badge code"))
        self.manual.setFixedWidth(360)
        self.manual.returnPressed.connect(self._submit)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.clicked.connect(self.cancelled)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.manual)
        row.addWidget(self.cancel)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.purpose)
        layout.addSpacing(24)
        layout.addWidget(self.message)
        layout.addStretch(3)
        layout.addLayout(row)

    def open_for(self, purpose: str) -> None:
        texts = {
            "settings": self.tr("Scan an admin badge to open the settings."),
            "exit": self.tr("Scan an admin badge to leave the kiosk."),
        }
        self.purpose.setText(texts.get(purpose, ""))
        self.message.clear()
        self.manual.clear()

    def show_error(self, text: str) -> None:
        self.message.setText(text)

    def _submit(self) -> None:
        code = self.manual.text().strip()
        self.manual.clear()
        if code:
            self.badge_entered.emit(code)
