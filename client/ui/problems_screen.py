"""Scans the server flagged (conflict) or refused (rejected), each with the reason."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from client.reasons import scan_reason
from client.store import QueuedScan, ScanState
from client.ui.scan_screen import cell, make_table
from client.ui.theme import STATE_COLOURS


class ProblemsScreen(QWidget):
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Conflicts and rejected scans"))
        self.title.setObjectName("title")
        self.back = QPushButton(self.tr("Back"))
        self.back.clicked.connect(self.back_requested)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.back)
        self.hint = QLabel(
            self.tr("A conflict was recorded but needs a look; a rejected scan did not count.")
        )
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.empty = QLabel(self.tr("No problems. Everything was accepted."))
        self.empty.setObjectName("subtitle")
        self.table = make_table(
            [self.tr("Time"), self.tr("Item"), self.tr("Code"), self.tr("State"), self.tr("Reason")]
        )
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.state_labels = {
            ScanState.CONFLICT: self.tr("conflict"),
            ScanState.REJECTED: self.tr("rejected"),
        }
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        # Rows are measured for the column widths they get once shown, not for the narrow
        # ones of a table filled while hidden (one line of reason was three lines high).
        self.table.resizeRowsToContents()

    def show_problems(self, scans: list[tuple[QueuedScan, str]]) -> None:
        table = self.table
        table.setRowCount(len(scans))
        for row, (scan, label) in enumerate(scans):
            state = cell(self.state_labels.get(scan.state, scan.state))
            background, foreground = STATE_COLOURS[scan.state]
            state.setBackground(QColor(background))
            state.setForeground(QColor(foreground))
            state.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            cells = [
                cell(scan.scanned_at.astimezone().strftime("%d-%m %H:%M")),
                cell(label),
                cell(scan.code),
                state,
                cell(scan_reason(scan)),
            ]
            for column, item in enumerate(cells):
                table.setItem(row, column, item)
        table.resizeRowsToContents()
        self.empty.setVisible(not scans)
