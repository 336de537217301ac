"""The kiosk window: one screen at a time (login → project → scan) over a status bar.

It wires the controller's signals to the screens and the screens' buttons back to the
controller; it holds no state of its own beyond which screen is showing.
"""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from client.controller import ScanController, ScanVerdict, Session
from client.mirror import ProjectInfo
from client.sync.worker import SyncStatus
from client.ui.login_screen import LoginScreen
from client.ui.project_screen import ProjectScreen
from client.ui.scan_screen import ScanScreen
from client.ui.status_bar import StatusBar
from client.ui.theme import apply_theme

RECENT_ROWS = 12


class MainWindow(QWidget):
    def __init__(self, controller: ScanController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle(self.tr("RentGuy Kiosk"))
        self.resize(1280, 800)
        apply_theme(self)
        self.login = LoginScreen()
        self.projects = ProjectScreen()
        self.scan = ScanScreen()
        self.stack = QStackedWidget()
        for screen in (self.login, self.projects, self.scan):
            self.stack.addWidget(screen)
        self.status_bar = StatusBar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status_bar)

        controller.logged_in.connect(self._on_logged_in)
        controller.logged_out.connect(self._on_logged_out)
        controller.login_failed.connect(self.login.show_error)
        controller.project_changed.connect(self._on_project_changed)
        controller.mode_changed.connect(self.scan.show_mode)
        controller.scan_recorded.connect(self._on_scan_recorded)
        controller.scan_refused.connect(self._on_scan_refused)
        self.login.badge_entered.connect(controller.login_badge)
        self.projects.project_chosen.connect(controller.choose_project)
        self.projects.logout_requested.connect(controller.logout)
        self.scan.logout_requested.connect(controller.logout)
        self.scan.change_project_requested.connect(lambda: controller.choose_project(None))
        self.scan.mode_selected.connect(controller.set_mode)
        self.scan.show_mode(controller.mode)

    # -- slots for the app's wiring ------------------------------------------------------

    def show_sync_status(self, status: SyncStatus) -> None:
        self.status_bar.show_status(status)

    def refresh_scans(self) -> None:
        """Outbox rows changed (new scan or server answers): redraw counts and the list."""
        if self.controller.project is not None:
            self.scan.show_pick_list(self.controller.pick_list())
            self.scan.show_recent(self.controller.recent(RECENT_ROWS))
        self.status_bar.show_queue_depth(self.controller.queue_depth())

    def refresh_reference(self) -> None:
        """A new reference snapshot arrived: project list and counts may have changed."""
        if self.stack.currentWidget() is self.projects:
            self.projects.show_projects(self.controller.open_projects())
        self.refresh_scans()

    # -- controller signals ----------------------------------------------------------------

    def _on_logged_in(self, session: Session) -> None:
        self.projects.show_user(session.name)
        self.projects.show_projects(self.controller.open_projects())
        self.stack.setCurrentWidget(self.projects)

    def _on_logged_out(self) -> None:
        self.login.reset()
        self.scan.show_idle()
        self.stack.setCurrentWidget(self.login)

    def _on_project_changed(self, project: ProjectInfo | None) -> None:
        if project is None:
            self.projects.show_projects(self.controller.open_projects())
            self.stack.setCurrentWidget(self.projects)
            return
        session = self.controller.session
        self.scan.show_project(project, session.name if session else "")
        self.scan.show_mode(self.controller.mode)
        self.scan.show_idle()
        self.refresh_scans()
        self.stack.setCurrentWidget(self.scan)

    def _on_scan_refused(self, text: str) -> None:
        if self.stack.currentWidget() is self.projects:
            self.projects.show_message(text)
        else:
            self.scan.show_message("warning", text)

    def _on_scan_recorded(self, verdict: ScanVerdict) -> None:
        self.scan.show_verdict(verdict)
        self.refresh_scans()
