"""The scan screen: project, mode, feedback banner, pick list and the last scans.

Only rendering: ``MainWindow`` feeds it the controller's data and forwards its buttons.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.controller import MODES, ScanVerdict
from client.reasons import scan_reason
from client.scanners.camera import CameraPreview, CameraScanner
from client.store import PickLineCount, ProjectInfo, QueuedScan, ScanState
from client.ui.theme import BANNER, LINE_DONE, LINE_OVER, STATE_COLOURS, TOUCH_PX, paint
from shared.protocol import ReturnCondition, ScanMode

_BANNER_STYLE = "border-radius: 12px; padding: 12px 28px; font-size: 38px; font-weight: bold;"
_DETAIL_STYLE = "font-size: 26px; font-weight: normal;"
_ROW_HEIGHT = TOUCH_PX  # a row is a touch target too


def make_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(_ROW_HEIGHT)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.setShowGrid(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setHighlightSections(False)
    return table


@contextmanager
def filling(table: QTableWidget) -> Iterator[QTableWidget]:
    """Refill a table fast: columns sized to contents would be re-measured over every row
    on every ``setItem`` (~0.15 ms each); freeze them, fill, then measure once."""
    header = table.horizontalHeader()
    modes = [header.sectionResizeMode(i) for i in range(header.count())]
    table.setUpdatesEnabled(False)
    for i, mode in enumerate(modes):
        if mode == QHeaderView.ResizeMode.ResizeToContents:
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.Fixed)
    try:
        yield table
    finally:
        for i, mode in enumerate(modes):
            if mode == QHeaderView.ResizeMode.ResizeToContents:
                header.setSectionResizeMode(i, mode)
        table.setUpdatesEnabled(True)


def cell(text: str, *, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)  # columns elide long names and reasons
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class ScanScreen(QWidget):
    mode_selected = Signal(str)
    logout_requested = Signal()
    change_project_requested = Signal()
    undo_requested = Signal()
    quantity_requested = Signal()
    condition_selected = Signal(object)  # a ReturnCondition (damaged, missing) or None
    problems_requested = Signal()
    settings_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name_things()
        header = self._build_header()
        modes = self._build_mode_bar()
        self.show_quantity(1)
        self.show_problem_count(0)
        self._build_banner()
        lists = self._build_lists()

        body = QVBoxLayout()
        body.setContentsMargins(20, 16, 20, 16)
        body.setSpacing(12)
        body.addLayout(modes)
        body.addWidget(self.condition_row)
        body.addWidget(self.banner)
        body.addLayout(lists, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addLayout(body, 1)
        self.show_idle()

    def _name_things(self) -> None:
        """The operator's words for modes, return marks and scan states."""
        # Keyed by the enums; looked up with the stored text (a StrEnum equals its text).
        self.mode_labels: dict[str, str] = {
            ScanMode.OUT: self.tr("Out"),
            ScanMode.IN: self.tr("In"),
            ScanMode.AUDIT: self.tr("Audit"),
            ScanMode.ANNUL: self.tr("Undone"),
        }
        self.condition_labels: dict[str, str] = {
            ReturnCondition.DAMAGED: self.tr("damaged"),
            ReturnCondition.MISSING: self.tr("missing"),
        }
        self.state_labels: dict[str, str] = {
            ScanState.QUEUED: self.tr("queued"),
            ScanState.SYNCED: self.tr("synced"),
            ScanState.CONFLICT: self.tr("conflict"),
            ScanState.REJECTED: self.tr("rejected"),
            "undone": self.tr("undone"),
        }

    def _build_header(self) -> QFrame:
        """Project, customer and operator; settings, problems, projects, log out."""
        self.project_name = QLabel()
        self.project_name.setObjectName("title")
        self.customer = QLabel()
        self.customer.setObjectName("subtitle")
        for label in (self.project_name, self.customer):
            # Long names wrap onto a second line, they never widen the screen or get cut.
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setWordWrap(True)
        self.user = QLabel()
        self.user.setObjectName("subtitle")
        self.offline_session = QLabel(self.tr("offline login"))
        self.offline_session.setObjectName("offlineSession")
        self.offline_session.setVisible(False)
        self.problems_button = QPushButton()
        self.problems_button.setObjectName("problems")
        self.problems_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.problems_button.clicked.connect(self.problems_requested)
        self.settings_button = QPushButton(self.tr("Settings"))
        self.settings_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.settings_button.clicked.connect(self.settings_requested)
        self.settings_button.setVisible(False)
        self.projects_button = QPushButton(self.tr("Projects"))
        self.projects_button.clicked.connect(self.change_project_requested)
        self.logout_button = QPushButton(self.tr("Log out"))
        self.logout_button.setObjectName("logout")
        self.logout_button.clicked.connect(self.logout_requested)
        for button in (self.projects_button, self.logout_button):
            # Keys belong to the scanner: a Space in a slowly typed code must not press
            # "Projects" (the focus lands here when the project list goes away).
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        header = QFrame()
        header.setObjectName("header")
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.project_name)
        names.addWidget(self.customer)
        head = QHBoxLayout(header)
        head.setContentsMargins(20, 12, 20, 12)
        head.addLayout(names, 1)
        self.user.setVisible(False)
        head.addWidget(self.offline_session)
        head.addSpacing(12)
        head.addWidget(self.settings_button)
        head.addWidget(self.problems_button)
        head.addWidget(self.projects_button)
        head.addWidget(self.logout_button)
        return header

    def _build_mode_bar(self) -> QHBoxLayout:
        """The mode buttons, the return marks' row (built here, shown under the bar),
        quantity and undo."""
        self.mode_group = QButtonGroup(self)
        self.mode_group.setExclusive(True)
        self.mode_buttons: dict[str, QPushButton] = {}
        modes = QHBoxLayout()
        for mode in MODES:
            button = QPushButton(self.mode_labels[mode])
            button.setObjectName("mode")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the scanner
            button.clicked.connect(lambda _checked=False, m=mode: self.mode_selected.emit(m))
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            modes.addWidget(button)
        self.condition_row = self._build_condition_row()
        modes.addStretch(1)
        self.quantity_button = QPushButton()
        self.quantity_button.setObjectName("tool")
        self.quantity_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.quantity_button.clicked.connect(self.quantity_requested)
        self.undo_button = QPushButton(self.tr("Undo scan"))
        self.undo_button.setObjectName("tool")
        self.undo_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.undo_button.clicked.connect(self.undo_requested)
        for button in (self.quantity_button, self.undo_button):
            modes.addWidget(button)
        return modes

    def _build_condition_row(self) -> QWidget:
        """Returns only: the next return is marked damaged or missing (a row of its own)."""
        row = QWidget()
        conditions = QHBoxLayout(row)
        conditions.setContentsMargins(0, 0, 0, 0)
        self.condition_label = QLabel(self.tr("Mark the next return as:"))
        self.condition_label.setObjectName("subtitle")
        conditions.addWidget(self.condition_label)
        self.condition_buttons: dict[str, QPushButton] = {}
        for condition, label in (
            (ReturnCondition.DAMAGED, self.tr("Damaged")),
            (ReturnCondition.MISSING, self.tr("Missing")),
        ):
            button = QPushButton(label)
            button.setObjectName("condition")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(
                lambda checked, c=condition: self.condition_selected.emit(c if checked else None)
            )
            self.condition_buttons[condition] = button
            conditions.addWidget(button)
        conditions.addStretch(1)
        return row

    def _build_banner(self) -> None:
        """The feedback banner: the verdict of the last scan, in its colour."""
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setMinimumHeight(104)  # a headline and a detail line
        self.banner.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)

    def _build_lists(self) -> QHBoxLayout:
        """The pick list and the last scans, side by side (the camera's picture joins them)."""
        # "Out" and "In" match the mode buttons: the columns count those scans.
        self.pick_list = make_table(
            [self.tr("Item"), self.tr("Need"), self.tr("Out"), self.tr("In")]
        )
        self.pick_list.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.recent = make_table(
            [self.tr("Time"), self.tr("Item"), self.tr("Mode"), self.tr("State"), self.tr("Note")]
        )
        # Columns as wide as their contents; the note takes what is left (names first).
        self.recent.horizontalHeader().setStretchLastSection(True)
        # A long reason may not fit its column: a tap on the row shows it whole (wrapped)
        # in the banner.
        self._recent_rows: list[tuple[str, str]] = []  # (item as shown, full note)
        self.recent.cellClicked.connect(self._show_recent_row)

        lists = QHBoxLayout()
        lists.setSpacing(20)
        lists.addLayout(self._section(self.tr("Pick list"), self.pick_list), 9)
        lists.addLayout(self._section(self.tr("Last scans"), self.recent), 13)
        self.lists = lists
        self.camera_preview: CameraPreview | None = None
        return lists

    def attach_camera(self, scanner: CameraScanner) -> None:
        """Show the camera's live picture next to the lists."""
        self.camera_preview = CameraPreview()
        self.camera_preview.setMinimumWidth(360)
        self.camera_preview.attach(scanner)
        box = QVBoxLayout()
        label = QLabel(self.tr("Camera"))
        label.setObjectName("sectionTitle")
        box.addWidget(label)
        box.addWidget(self.camera_preview, 1)
        self.lists.addLayout(box, 7)

    def _section(self, title: str, table: QTableWidget) -> QVBoxLayout:
        label = QLabel(title)
        label.setObjectName("sectionTitle")
        box = QVBoxLayout()
        box.setSpacing(4)
        box.addWidget(label)
        box.addWidget(table, 1)
        return box

    # -- rendering ---------------------------------------------------------------------

    def show_project(self, project: ProjectInfo | None, user_name: str) -> None:
        self.project_name.setText(project.name if project else "")
        customer = project.customer if project else ""
        # Who is scanning goes on the customer line (the header's width is the project's),
        # first: a long customer name is what gets cut, never the operator's own name.
        self.customer.setText(f"{user_name}  ·  {customer}" if user_name else customer)
        self.user.setText(user_name)

    def show_mode(self, mode: str) -> None:
        self.mode_buttons[mode].setChecked(True)
        self.condition_row.setVisible(mode == ScanMode.IN)

    def show_session(self, offline: bool, admin: bool) -> None:
        self.offline_session.setVisible(offline)
        self.settings_button.setVisible(admin)

    def show_quantity(self, qty: int) -> None:
        self.quantity_button.setText(self.tr("Qty: %1").replace("%1", str(qty)))
        self.quantity_button.setProperty("active", qty != 1)
        self.quantity_button.style().unpolish(self.quantity_button)
        self.quantity_button.style().polish(self.quantity_button)

    def show_condition(self, condition: str | None) -> None:
        for name, button in self.condition_buttons.items():
            button.setChecked(name == condition)

    def show_problem_count(self, count: int) -> None:
        self.problems_button.setText(self.tr("Problems: %1").replace("%1", str(count)))
        self.problems_button.setProperty("active", count > 0)
        self.problems_button.style().unpolish(self.problems_button)
        self.problems_button.style().polish(self.problems_button)

    def show_idle(self) -> None:
        self._banner("idle", self.tr("Ready — scan an item"))

    def show_message(self, level: str, text: str) -> None:
        self._banner(level, text)

    def show_verdict(self, verdict: ScanVerdict) -> None:
        scan = verdict.scan
        mode = self.mode_labels.get(scan.mode, scan.mode)
        title = verdict.title if scan.qty == 1 else f"{scan.qty} × {verdict.title}"
        detail = verdict.detail
        if scan.condition:
            mark = self.condition_labels[scan.condition]
            detail = f"{mark}; {detail}" if detail else mark
        self._banner(verdict.level, f"{mode}: {title}", detail)

    def _banner(self, level: str, headline: str, detail: str = "") -> None:
        background, foreground = BANNER[level]
        text = f"<div>{escape(headline)}</div>"
        if detail:  # the reason, one size down, under the item
            text += f'<div style="{_DETAIL_STYLE}">{escape(detail)}</div>'
        self.banner.setText(text)
        self.banner.setProperty("level", level)  # lets tests and styles read the state
        paint(self.banner, background, foreground, _BANNER_STYLE)

    def show_pick_list(self, lines: list[PickLineCount]) -> None:
        with filling(self.pick_list) as table:
            self._fill_pick_list(table, lines)

    def _fill_pick_list(self, table: QTableWidget, lines: list[PickLineCount]) -> None:
        table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            cells = [
                cell(line.name),
                cell(str(line.expected), align_right=True),
                cell(str(line.out), align_right=True),
                cell(str(line.returned), align_right=True),
            ]
            colour = None
            if line.out > line.expected:
                colour = LINE_OVER  # more than asked, or not on the list at all
            elif line.expected and line.out == line.expected:
                colour = LINE_DONE
            for column, item in enumerate(cells):
                if colour is not None:
                    item.setBackground(colour)
                table.setItem(row, column, item)

    def show_recent(
        self, scans: list[tuple[QueuedScan, str]], undone: Collection[str] = ()
    ) -> None:
        """The last scans; those in ``undone`` (scan ids an undo annulled) read as undone:
        they count for nothing, like the undo that follows them."""
        with filling(self.recent) as table:
            self._fill_recent(table, scans, undone)

    def _fill_recent(
        self, table: QTableWidget, scans: list[tuple[QueuedScan, str]], undone: Collection[str]
    ) -> None:
        table.setRowCount(len(scans))
        self._recent_rows = []
        for row, (scan, label) in enumerate(scans):
            shown = "undone" if scan.scan_id in undone else scan.state
            state = cell(self.state_labels.get(shown, shown))
            background, foreground = STATE_COLOURS.get(shown, STATE_COLOURS[ScanState.QUEUED])
            state.setBackground(QColor(background))
            state.setForeground(QColor(foreground))
            state.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            note = scan_reason(scan)
            if scan.condition:
                mark = self.condition_labels[scan.condition]
                note = f"{mark}; {note}" if note else mark
            item = label if scan.qty == 1 else f"{scan.qty} × {label}"
            self._recent_rows.append((item, note))
            cells = [
                cell(scan.scanned_at.astimezone().strftime("%H:%M")),
                cell(item),
                cell(self.mode_labels.get(scan.mode, scan.mode)),
                state,
                cell(note),
            ]
            if shown == "undone":
                font = cells[1].font()
                font.setStrikeOut(True)
                cells[1].setFont(font)
            for column, table_item in enumerate(cells):
                table.setItem(row, column, table_item)

    def _show_recent_row(self, row: int, _column: int = 0) -> None:
        """A tapped row's item and its whole reason, wrapped, in the banner."""
        if 0 <= row < len(self._recent_rows):
            item, note = self._recent_rows[row]
            self._banner("idle", item, note)
