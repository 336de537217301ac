"""Settings (admin only): language, idle logout, scanners, server URL, station enrolment.

Values are kept in the local store's settings table and override the config file; the
scanner settings take effect at the next start of the kiosk.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

# Keys the settings screen writes (client.app reads them over the config file's values).
EDITABLE = ("language", "idle_logout_s", "serial_port", "serial_baud", "camera_source")


class SettingsScreen(QWidget):
    back_requested = Signal()
    exit_requested = Signal()
    language_chosen = Signal(str)
    saved = Signal(dict)  # key -> str value (EDITABLE keys)
    enroll_requested = Signal(str, str, str)  # server URL, one-time code, station name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        top = self._build_top_bar()
        form = self._build_kiosk_form()
        enrol = self._build_enrolment_form()

        body = QWidget()
        column = QVBoxLayout(body)
        column.setSpacing(18)
        column.addWidget(_heading(self.tr("This kiosk")))
        column.addLayout(form)
        column.addWidget(_rule())
        column.addWidget(_heading(self.tr("Station enrolment")))
        column.addLayout(enrol)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)

    def _build_top_bar(self) -> QHBoxLayout:
        """Title, leave the kiosk, back."""
        self.title = QLabel(self.tr("Settings"))
        self.title.setObjectName("title")
        self.back = QPushButton(self.tr("Back"))
        self.back.clicked.connect(self.back_requested)
        self.exit_button = QPushButton(self.tr("Leave kiosk"))
        self.exit_button.setObjectName("logout")
        self.exit_button.clicked.connect(self.exit_requested)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.exit_button)
        top.addWidget(self.back)
        return top

    def _build_language_buttons(self) -> QHBoxLayout:
        """One button per language: a tap switches at once."""
        self.language_group = QButtonGroup(self)
        self.language_buttons: dict[str, QPushButton] = {}
        languages = QHBoxLayout()
        for code, label in (("nl", "Nederlands"), ("en", "English")):
            button = QPushButton(label)
            button.setObjectName("mode")
            button.setCheckable(True)
            button.clicked.connect(lambda _c=False, c=code: self.language_chosen.emit(c))
            self.language_group.addButton(button)
            self.language_buttons[code] = button
            languages.addWidget(button)
        languages.addStretch(1)
        return languages

    def _build_kiosk_form(self) -> QFormLayout:
        """This kiosk's own settings: language, idle logout, scanners; saved together."""
        languages = self._build_language_buttons()
        self.idle = QSpinBox()
        self.idle.setRange(0, 240)
        self.idle.setSuffix(self.tr(" min"))
        self.idle.setSpecialValueText(self.tr("never"))
        self.serial_port = QLineEdit()
        self.serial_port.setPlaceholderText("/dev/serial/by-id/…")
        self.serial_baud = QSpinBox()
        self.serial_baud.setRange(1200, 921_600)
        self.camera = QLineEdit()
        self.camera.setPlaceholderText(self.tr("0 = first camera; empty = none"))
        self.save = QPushButton(self.tr("Save"))
        self.save.setObjectName("primary")
        self.save.clicked.connect(self._save)
        self.saved_note = QLabel()
        self.saved_note.setObjectName("hint")
        form = QFormLayout()
        form.setVerticalSpacing(14)
        form.addRow(self.tr("Language"), languages)
        form.addRow(self.tr("Log out when idle after"), self.idle)
        form.addRow(self.tr("Serial scanner port"), self.serial_port)
        form.addRow(self.tr("Serial speed (baud)"), self.serial_baud)
        form.addRow(self.tr("Camera"), self.camera)
        form.addRow("", self.save)
        form.addRow("", self.saved_note)
        return form

    def _build_enrolment_form(self) -> QFormLayout:
        """The station's enrolment: server URL, one-time code, name."""
        self.station = QLabel()
        self.station.setObjectName("subtitle")
        self.server_url = QLineEdit()
        self.server_url.setPlaceholderText("https://rentguy.example.nl")
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("One-time code from the admin screen"))
        self.station_name = QLineEdit()
        self.station_name.setPlaceholderText(self.tr("e.g. Loading dock 1"))
        self.enroll = QPushButton(self.tr("Enrol this station"))
        self.enroll.setObjectName("primary")
        self.enroll.clicked.connect(self._enroll)
        self.enroll_message = QLabel()
        self.enroll_message.setWordWrap(True)
        enrol = QFormLayout()
        enrol.setVerticalSpacing(14)
        enrol.addRow(self.tr("Station"), self.station)
        enrol.addRow(self.tr("Server URL"), self.server_url)
        enrol.addRow(self.tr("Enrolment code"), self.code)
        enrol.addRow(self.tr("Station name"), self.station_name)
        enrol.addRow("", self.enroll)
        enrol.addRow("", self.enroll_message)
        return enrol

    def load(self, values: dict[str, str], server_url: str, station: str) -> None:
        self.language_buttons.get(
            values.get("language", "nl"), self.language_buttons["nl"]
        ).setChecked(True)
        self.idle.setValue(int(values.get("idle_logout_s", "300")) // 60)
        self.serial_port.setText(values.get("serial_port", ""))
        self.serial_baud.setValue(int(values.get("serial_baud", "9600")))
        self.camera.setText(values.get("camera_source", ""))
        self.server_url.setText(server_url)
        self.station.setText(station)
        self.code.clear()
        self.saved_note.clear()
        self.enroll_message.clear()

    def show_enroll_result(self, ok: bool, text: str) -> None:
        self.enroll_message.setText(text)
        self.enroll_message.setObjectName("ok" if ok else "error")
        self.enroll_message.setStyleSheet(
            "font-size: 22px; font-weight: bold; color: %s;" % ("#1e7d32" if ok else "#c62828")
        )
        if ok:
            self.code.clear()

    def _save(self) -> None:
        self.saved.emit(
            {
                "idle_logout_s": str(self.idle.value() * 60),
                "serial_port": self.serial_port.text().strip(),
                "serial_baud": str(self.serial_baud.value()),
                "camera_source": self.camera.text().strip(),
            }
        )
        self.saved_note.setText(self.tr("Saved. Scanner changes apply at the next start."))

    def _enroll(self) -> None:
        self.enroll_requested.emit(
            self.server_url.text().strip(),
            self.code.text().strip(),
            self.station_name.text().strip(),
        )


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    label.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return label


def _rule() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    return line
