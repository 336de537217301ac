"""Badge login: "scan your badge", with a secondary field to type the code by hand.

Two small buttons at the bottom: settings (admin badge, or open on a fresh kiosk so it
can be enrolled) and leaving the kiosk (admin badge).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class LoginScreen(QWidget):
    badge_entered = Signal(str)
    settings_requested = Signal()
    exit_requested = Signal()

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
        self.settings = QPushButton(self.tr("Settings"))
        self.settings.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.settings.clicked.connect(self.settings_requested)
        self.exit = QPushButton(self.tr("Leave kiosk"))
        self.exit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.exit.clicked.connect(self.exit_requested)
        # The admin's buttons on a row of their own: beside the badge field they made the
        # screen wider than a 1024 px kiosk in Dutch.
        admin_row = QHBoxLayout()
        admin_row.addWidget(self.settings)
        admin_row.addStretch(1)
        admin_row.addWidget(self.exit)
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
        layout.addSpacing(24)
        layout.addLayout(admin_row)

    def show_error(self, message: str) -> None:
        self.message.setObjectName("error")
        self.message.setStyleSheet("")
        self.message.setText(message)

    def show_checking(self) -> None:
        self.message.setText(self.tr("Checking your badge…"))

    def show_enrolled(self, enrolled: bool) -> None:
        self.settings.setText(self.tr("Settings") if enrolled else self.tr("Enrol station"))

    def reset(self) -> None:
        self.message.clear()
        self.manual.clear()

    def _submit(self) -> None:
        code = self.manual.text().strip()
        self.manual.clear()
        if code:
            self.badge_entered.emit(code)
