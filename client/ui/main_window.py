"""The kiosk window: one screen at a time over an always-visible status bar.

It wires the controller's signals to the screens and the screens' buttons back to the
controller. What it cannot decide alone (saving settings, enrolling, switching language,
leaving the kiosk) it hands to ``client.app`` through its own signals. Kiosk mode (full
screen): the window refuses to close unless an admin badge let it (``allow_close``);
windowed, "Leave kiosk" and the window's close button need no badge. An idle timer logs
the operator out.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QStackedWidget, QVBoxLayout, QWidget

from client.controller import ScanController, ScanVerdict, Session, VerdictLevel
from client.store import ProjectInfo, ScanState
from client.sync.engine import SyncState
from client.sync.worker import SyncStatus
from client.ui.admin_gate import AdminGateScreen
from client.ui.keypad import PinScreen, QuantityScreen
from client.ui.login_screen import LoginScreen
from client.ui.problems_screen import ProblemsScreen
from client.ui.project_screen import ProjectScreen
from client.ui.revoked_screen import RevokedScreen
from client.ui.scan_screen import ScanScreen
from client.ui.settings_screen import SettingsScreen
from client.ui.status_bar import StatusBar
from client.ui.theme import apply_theme, settle_layouts, touch_scrolling

RECENT_ROWS = 12
_ACTIVITY = frozenset({QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin})


class _ActivityFilter(QObject):
    """Restarts the idle timer on any touch, click or key anywhere in the app."""

    def __init__(self, timer: QTimer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = timer

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in _ACTIVITY and self.timer.interval() > 0:
            self.timer.start()
        return False


class MainWindow(QWidget):
    settings_opened = Signal()  # the app loads the settings screen's values
    settings_saved = Signal(dict)
    language_chosen = Signal(str)
    enroll_requested = Signal(str, str, str)
    exit_confirmed = Signal()

    def __init__(
        self, controller: ScanController, parent: QWidget | None = None, *, idle_logout_s: int = 0
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.allow_close = False
        self.kiosk_mode = False  # set by the app in full-screen mode: closing needs an admin
        self.setWindowTitle(self.tr("RentGuy Kiosk"))
        self.resize(1280, 800)
        apply_theme(self)
        self._build_screens()
        self._start_idle_timer(idle_logout_s)
        self._connect_controller()
        self._connect_screens()
        self.scan.show_mode(controller.mode)
        touch_scrolling(self)
        settle_layouts(self)
        if controller.store.station_revoked() is not None:
            self.show_revoked()

    def _build_screens(self) -> None:
        """Every screen, stacked, over the status bar."""
        self.login = LoginScreen()
        self.projects = ProjectScreen()
        self.scan = ScanScreen()
        self.problems = ProblemsScreen()
        self.quantity = QuantityScreen()
        self.settings = SettingsScreen()
        self.admin_gate = AdminGateScreen()
        self.pin = PinScreen()
        self.revoked = RevokedScreen()
        self.stack = QStackedWidget()
        for screen in (
            self.login,
            self.projects,
            self.scan,
            self.problems,
            self.quantity,
            self.settings,
            self.admin_gate,
            self.pin,
            self.revoked,
        ):
            self.stack.addWidget(screen)
        self.status_bar = StatusBar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status_bar)

    def _start_idle_timer(self, idle_logout_s: int) -> None:
        """Log out after ``idle_logout_s`` without a touch, key or scan (0: never)."""
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self._on_idle)
        self.set_idle_logout(idle_logout_s)
        self._activity = _ActivityFilter(self.idle_timer, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._activity)

    def _connect_controller(self) -> None:
        """What the controller says, shown by the screens."""
        c = self.controller
        c.logged_in.connect(self._on_logged_in)
        c.logged_out.connect(self._on_logged_out)
        c.login_failed.connect(self._on_login_failed)
        c.login_started.connect(self.login.show_checking)
        c.project_changed.connect(self._on_project_changed)
        c.mode_changed.connect(self.scan.show_mode)
        c.scan_recorded.connect(self._on_scan_recorded)
        c.scan_refused.connect(self._on_scan_refused)
        c.quantity_changed.connect(self.scan.show_quantity)
        c.condition_changed.connect(self.scan.show_condition)
        c.admin_badge.connect(self._on_admin_badge)
        c.admin_refused.connect(self._on_admin_refused)
        c.pin_needed.connect(self._on_pin_needed)

    def _connect_screens(self) -> None:
        """What the operator does on the screens, handed to the controller or the app."""
        c = self.controller
        self.pin.pin_entered.connect(c.enter_pin)
        self.pin.cancelled.connect(self._cancel_pin)
        self.login.badge_entered.connect(c.login_badge)
        self.login.settings_requested.connect(lambda: self.open_admin_gate("settings"))
        self.login.exit_requested.connect(self._leave)
        self.projects.project_chosen.connect(c.choose_project)
        self.projects.logout_requested.connect(c.logout)
        self.scan.logout_requested.connect(c.logout)
        self.scan.change_project_requested.connect(lambda: c.choose_project(None))
        self.scan.mode_selected.connect(c.set_mode)
        self.scan.undo_requested.connect(c.undo_last)
        self.scan.quantity_requested.connect(self._open_quantity)
        self.scan.condition_selected.connect(c.set_condition)
        self.scan.problems_requested.connect(self.open_problems)
        self.scan.settings_requested.connect(self.open_settings)
        self.problems.back_requested.connect(self._back)
        self.quantity.quantity_chosen.connect(self._quantity_chosen)
        self.quantity.cancelled.connect(self._back)
        self.settings.back_requested.connect(self._back)
        self.settings.exit_requested.connect(self._exit)
        self.settings.saved.connect(self.settings_saved)
        self.settings.language_chosen.connect(self.language_chosen)
        self.settings.enroll_requested.connect(self.enroll_requested)
        self.admin_gate.badge_entered.connect(c.check_admin_badge)
        self.admin_gate.cancelled.connect(self._close_admin_gate)
        self.revoked.enroll_requested.connect(lambda code: self.enroll_requested.emit("", code, ""))

    # -- slots for the app's wiring ------------------------------------------------------

    def show_sync_status(self, status: SyncStatus) -> None:
        self.status_bar.show_status(status)
        if (
            status.state == SyncState.STATION_REVOKED
            and self.stack.currentWidget() is not self.revoked
        ):
            self.show_revoked()
        # The worker counted the queue a moment ago, in its thread; a scan committed since
        # would make that number stale. The GUI's own store answers in microseconds.
        self.status_bar.show_queue_depth(self.controller.queue_depth())

    def refresh_scans(self, pick_list: list | None = None) -> None:
        """Outbox rows changed (new scan or server answers): redraw counts and the list."""
        if self.controller.project is not None:
            self.scan.show_pick_list(pick_list or self.controller.pick_list())
            recent = self.controller.recent(RECENT_ROWS)
            self.scan.show_recent(recent, self.controller.undone(s for s, _ in recent))
        self.scan.show_problem_count(
            self.controller.store.count_scans_in(ScanState.CONFLICT, ScanState.REJECTED)
        )
        if self.stack.currentWidget() is self.problems:
            self.problems.show_problems(self.controller.problems())
        self.status_bar.show_queue_depth(self.controller.queue_depth())

    def refresh_reference(self) -> None:
        """A new reference snapshot arrived: project list and counts may have changed."""
        if self.stack.currentWidget() is self.projects:
            self.projects.show_projects(self.controller.open_projects())
        self.login.show_enrolled(self.controller.store.has_reference())
        self.refresh_scans()

    def set_idle_logout(self, seconds: int) -> None:
        self.idle_timer.setInterval(max(0, seconds) * 1000)
        if seconds > 0:
            self.idle_timer.start()
        else:
            self.idle_timer.stop()

    # -- navigation ------------------------------------------------------------------------

    def restore(self) -> None:
        """Show what the controller's state says (after the window was rebuilt)."""
        c = self.controller
        self.scan.show_quantity(c.quantity)
        self.scan.show_condition(c.condition)
        if c.session is not None:
            self.projects.show_user(c.session.name)
            self.projects.show_projects(c.open_projects())
            self.scan.show_session(c.session.offline, c.session.is_admin)
        if c.project is not None:
            self.scan.show_project(c.project, c.session.name if c.session else "")
            self.scan.show_mode(c.mode)
        self.refresh_scans()
        self._back()

    def show_revoked(self) -> None:
        """The server revoked this station (the sync thread has wiped it): whoever is
        logged in is logged out, and the kiosk stays on the revoked screen."""
        if self.controller.session is not None:
            self.controller.logout()
        self.controller.admin_gate = None
        self.revoked.show_export(self.controller.store.station_revoked())
        self.status_bar.show_queue_depth(self.controller.queue_depth())  # exported: none left
        self.stack.setCurrentWidget(self.revoked)

    def leave_revoked(self) -> None:
        """Enrolled again: back to the login screen."""
        self.login.show_enrolled(self.controller.store.has_reference())
        self.stack.setCurrentWidget(self.login)

    def _back(self) -> None:
        """Back to where the operator works: scan, projects or login."""
        c = self.controller
        if c.store.station_revoked() is not None:
            self.stack.setCurrentWidget(self.revoked)
        elif c.session is None:
            self.stack.setCurrentWidget(self.login)
        elif c.project is None:
            self.stack.setCurrentWidget(self.projects)
        else:
            self.stack.setCurrentWidget(self.scan)

    def open_problems(self) -> None:
        self.problems.show_problems(self.controller.problems())
        self.stack.setCurrentWidget(self.problems)

    def open_settings(self) -> None:
        session = self.controller.session
        if session is not None and session.is_admin:
            self._show_settings()
        else:
            self.open_admin_gate("settings")

    def open_admin_gate(self, purpose: str) -> None:
        if purpose == "settings" and not self.controller.store.has_reference():
            # A fresh kiosk has no badges to check yet: enrolment is open until it is
            # enrolled, as it is on the server (the one-time code is the credential).
            self._show_settings()
            return
        self.controller.admin_gate = purpose
        self.admin_gate.open_for(purpose)
        self.stack.setCurrentWidget(self.admin_gate)

    def _close_admin_gate(self) -> None:
        self.controller.admin_gate = None
        self._back()

    def _on_admin_badge(self, _session: Session) -> None:
        purpose, self.controller.admin_gate = self.controller.admin_gate, None
        if purpose == "exit":
            self._exit()
        else:
            self._show_settings()

    def _on_pin_needed(self, _purpose: str) -> None:
        self.pin.start()
        self.stack.setCurrentWidget(self.pin)
        self.pin.setFocus()

    def _cancel_pin(self) -> None:
        self.controller.cancel_pin()
        if self.controller.admin_gate is not None:
            self.stack.setCurrentWidget(self.admin_gate)
        else:
            self.login.reset()
            self._back()

    def _on_login_failed(self, message: str) -> None:
        self.login.show_error(message)
        if self.stack.currentWidget() is self.pin:
            self.stack.setCurrentWidget(self.login)

    def _on_admin_refused(self, message: str) -> None:
        self.admin_gate.show_error(message)
        if self.stack.currentWidget() is self.pin:
            self.stack.setCurrentWidget(self.admin_gate)

    def _show_settings(self) -> None:
        self.settings_opened.emit()
        self.stack.setCurrentWidget(self.settings)

    def _leave(self) -> None:
        """ "Leave kiosk": in kiosk mode (full screen) only with an admin badge; a window
        on a desktop can be closed by anyone anyway, so it just closes."""
        if self.kiosk_mode:
            self.open_admin_gate("exit")
        else:
            self._exit()

    def _exit(self) -> None:
        self.allow_close = True
        self.exit_confirmed.emit()

    def _open_quantity(self) -> None:
        self.quantity.start(self.controller.quantity)
        self.stack.setCurrentWidget(self.quantity)

    def _quantity_chosen(self, qty: int) -> None:
        self.controller.set_quantity(qty)
        self._back()

    def _on_idle(self) -> None:
        self.controller.admin_gate = None
        self.controller.cancel_pin()
        if self.controller.session is not None:
            self.controller.logout()
        elif self.stack.currentWidget() is not self.login:
            self._back()

    def detach(self) -> None:
        """Stop watching the app for activity (the window is going away)."""
        self.idle_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._activity)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        # Kiosk mode: Alt+F4 and friends do nothing; "Leave kiosk" needs an admin badge.
        if self.allow_close or not self.kiosk_mode:
            event.accept()
        else:
            event.ignore()

    # -- controller signals ----------------------------------------------------------------

    def _on_logged_in(self, session: Session) -> None:
        self.projects.show_user(session.name)
        self.projects.show_projects(self.controller.open_projects())
        self.scan.show_session(session.offline, session.is_admin)
        self.stack.setCurrentWidget(self.projects)

    def _on_logged_out(self) -> None:
        self.login.reset()
        self.scan.show_idle()
        self.scan.show_quantity(1)
        self.scan.show_condition(None)
        self._back()

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
            self.scan.show_message(VerdictLevel.WARNING, text)

    def _on_scan_recorded(self, verdict: ScanVerdict) -> None:
        if self.idle_timer.interval() > 0:
            self.idle_timer.start()
        self.scan.show_verdict(verdict)
        self.refresh_scans(verdict.pick_list)
