"""Project choice: the open projects from the mirror, as big touch rows."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.store import ProjectInfo

_PROJECT_ID = Qt.ItemDataRole.UserRole
_ROW_HEIGHT = 104
_NAME_STYLE = "font-size: 30px; font-weight: bold;"
_SUB_STYLE = "font-size: 21px; color: #5b6270;"


class ProjectScreen(QWidget):
    project_chosen = Signal(str)
    logout_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("Choose a project"))
        self.title.setObjectName("title")
        self.user = QLabel()
        self.user.setObjectName("subtitle")
        self.logout = QPushButton(self.tr("Log out"))
        self.logout.setObjectName("logout")
        self.logout.clicked.connect(self.logout_requested)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.user)
        top.addSpacing(16)
        top.addWidget(self.logout)

        self.projects = QListWidget()
        self.projects.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.projects.itemClicked.connect(self._chosen)
        self.projects.itemActivated.connect(self._chosen)
        self.empty = QLabel(self.tr("No open projects in the local data yet."))
        self.empty.setObjectName("hint")
        self.message = QLabel()
        self.message.setObjectName("error")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.empty)
        layout.addWidget(self.projects, 1)

    def show_user(self, name: str) -> None:
        self.user.setText(name)
        self.message.clear()

    def show_message(self, text: str) -> None:
        self.message.setText(text)

    def show_projects(self, projects: list[ProjectInfo]) -> None:
        self.projects.clear()
        for project in projects:
            dates = " – ".join(d for d in (project.starts_on, project.ends_on) if d)
            subline = escape(project.customer) + (f" &nbsp;·&nbsp; {dates}" if dates else "")
            item = QListWidgetItem()
            item.setData(_PROJECT_ID, project.id)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{project.name}, {project.customer}")
            item.setSizeHint(QSize(0, _ROW_HEIGHT))
            self.projects.addItem(item)
            # A label for two sizes of text in one row; clicks go through it to the list.
            label = QLabel(
                f'<div style="{_NAME_STYLE}">{escape(project.name)}</div>'
                f'<div style="{_SUB_STYLE}">{subline}</div>'
            )
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            label.setStyleSheet("background: transparent; padding-left: 16px;")
            self.projects.setItemWidget(item, label)
        self.empty.setVisible(not projects)

    def _chosen(self, item: QListWidgetItem) -> None:
        self.project_chosen.emit(item.data(_PROJECT_ID))
