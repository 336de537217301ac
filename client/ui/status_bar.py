"""The always-visible strip (SPEC §3): online/offline, queue depth, last successful sync."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from client.sync.engine import SyncState
from client.sync.worker import SyncStatus
from client.ui.theme import AMBER, GREEN, INK, NEUTRAL, RED, paint

_PILL = "border-radius: 8px; padding: 4px 16px; font-weight: bold; font-size: 20px;"


class StatusBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setFixedHeight(56)
        self.connection = QLabel()
        self.queue = QLabel()
        self.last_sync = QLabel()
        self.scanner = QLabel()
        self.scanner_states: dict[str, tuple[str, str]] = {}
        self.error = QLabel()
        self.error.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error.setMinimumWidth(0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        layout.setSpacing(28)
        layout.addWidget(self.connection)
        layout.addWidget(self.queue)
        layout.addWidget(self.last_sync)
        layout.addWidget(self.scanner)
        layout.addWidget(self.error, 1)
        self.show_status(SyncStatus("starting", False, 0, None, None))

    def show_status(self, status: SyncStatus) -> None:
        if status.state == "starting":
            text, colour = self.tr("Connecting…"), NEUTRAL
        elif status.state == SyncState.AUTH_FAILED:
            text, colour = self.tr("Station token rejected"), RED
        elif status.state == SyncState.STATION_REVOKED:
            text, colour = self.tr("Station revoked"), RED
        elif status.state == SyncState.NO_TOKEN:
            text, colour = self.tr("Not enrolled"), RED
        elif status.state == SyncState.UPDATE_NEEDED:  # the queue is kept; the message says who
            text, colour = self.tr("Update needed"), RED
        elif status.state == SyncState.LOCAL_ERROR:
            text, colour = self.tr("Kiosk problem"), RED
        elif not status.online:
            text, colour = self.tr("Offline"), RED
        elif status.state == SyncState.OK:
            text, colour = self.tr("Online"), GREEN
        else:
            text, colour = self.tr("Server problem"), AMBER
        self.connection.setText(text)
        paint(self.connection, colour, INK if colour == AMBER else "#ffffff", _PILL)
        self.show_queue_depth(status.queue_depth)
        self.last_sync.setText(self.tr("Last sync: %1").replace("%1", _clock(status.last_sync_at)))
        self.error.setText(status.last_error or "")
        self.error.setToolTip(status.last_error or "")

    def show_scanner(self, state: str, message: str) -> None:
        """A serial or camera scanner's state (connected, absent, ...), by its sender."""
        sender = self.sender()
        kind = self.tr("Camera") if type(sender).__name__ == "CameraScanner" else self.tr("Serial")
        self.scanner_states[kind] = (state, message)
        labels = {
            "connected": self.tr("ready"),
            "running": self.tr("ready"),
            "absent": self.tr("not connected"),
            "disconnected": self.tr("disconnected"),
            "ended": self.tr("stopped"),
            "stopped": self.tr("stopped"),
        }
        parts = [f"{k}: {labels.get(s, s)}" for k, (s, _m) in sorted(self.scanner_states.items())]
        self.scanner.setText("  ·  ".join(parts))
        self.scanner.setToolTip("\n".join(m for _s, m in self.scanner_states.values()))

    def show_queue_depth(self, depth: int) -> None:
        self.queue.setText(self.tr("Queue: %1").replace("%1", str(depth)))


def _clock(moment: datetime | None) -> str:
    # Local wall-clock time for people; storage stays UTC.
    return "—" if moment is None else moment.astimezone().strftime("%H:%M:%S")
