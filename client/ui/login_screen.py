"""Badge login: "scan your badge", with a secondary field to type the code by hand."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class LoginScreen(QWidget):
    badge_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Scan your badge"))
        self.title.setObjectName("title")
        self.hint = QLabel(self.tr("Hold your badge under the scanner to start."))
        self.hint.setObjectName("subtitle")
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        for label in (self.title, self.hint, self.message):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.manual = QLineEdit()
        self.manual.setEchoMode(QLineEdit.EchoMode.Password)  # badge codes are credentials
        self.manual.setPlaceholderText(self.tr("Badge code"))
        self.manual.setFixedWidth(360)
        self.manual.returnPressed.connect(self._submit)
        self.submit = QPushButton(self.tr("Log in"))
        self.submit.clicked.connect(self._submit)
        manual_row = QHBoxLayout()
        manual_row.addStretch(1)
        manual_row.addWidget(self.manual)
        manual_row.addWidget(self.submit)
        manual_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addSpacing(24)
        layout.addWidget(self.message)
        layout.addStretch(3)
        layout.addLayout(manual_row)

    def show_error(self, message: str) -> None:
        self.message.setText(message)

    def reset(self) -> None:
        self.message.clear()
        self.manual.clear()

    def _submit(self) -> None:
        code = self.manual.text().strip()
        self.manual.clear()
        if code:
            self.badge_entered.emit(code)
