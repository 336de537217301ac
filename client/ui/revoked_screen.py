"""“This station has been revoked”: the dead end a revoked kiosk shows (issue 15).

Nobody logs in here any more: the mirror and the badge cache are wiped and the server
refuses the token. The screen says where the scans the server did not accept were saved,
and offers the one way back: a new one-time enrolment code from an administrator (the
code is the credential, as on a fresh kiosk).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class RevokedScreen(QWidget):
    enroll_requested = Signal(str)  # the one-time code

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("This station has been revoked"))
        self.title.setObjectName("title")
        self.explanation = QLabel(
            self.tr(
                "An administrator revoked this station. Its offline data and badge list "
                "were erased; nobody can log in here."
            )
        )
        self.explanation.setObjectName("subtitle")
        self.export = QLabel()
        self.export.setWordWrap(True)
        self.export.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel(
            self.tr("To use this kiosk again, enter a new enrolment code from an administrator.")
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        for label in (self.title, self.explanation, self.export, self.hint, self.message):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("Enrolment code"))
        self.code.setFixedWidth(360)
        self.code.returnPressed.connect(self._enroll)
        self.enroll = QPushButton(self.tr("Enrol this station"))
        self.enroll.setObjectName("primary")
        self.enroll.clicked.connect(self._enroll)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.code)
        row.addWidget(self.enroll)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.explanation)
        layout.addSpacing(24)
        layout.addWidget(self.export)
        layout.addStretch(3)
        layout.addWidget(self.hint)
        layout.addLayout(row)
        layout.addWidget(self.message)

    def show_export(self, path: str | None) -> None:
        self.message.clear()
        if path:
            self.export.setText(
                self.tr("Scans the server had not accepted were saved to: %1").replace("%1", path)
            )
        else:
            self.export.clear()

    def show_enroll_result(self, ok: bool, text: str) -> None:
        self.message.setText(text)
        self.message.setObjectName("ok" if ok else "error")
        self.message.setStyleSheet(  # as the settings screen shows its enrolment result
            "font-size: 22px; font-weight: bold; color: %s;" % ("#1e7d32" if ok else "#c62828")
        )

    def _enroll(self) -> None:
        code = self.code.text().strip()
        if code:
            self.code.clear()
            self.enroll_requested.emit(code)
