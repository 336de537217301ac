"""Scan decisions: who is logged in, which project and mode, and what a read means.

No widgets here (the screens only render the signals). The order of ``handle()`` is the
kiosk's promise (SPEC §3): read → validate against the local mirror → commit to the
outbox → only then feedback. A code that cannot be normalized is still recorded (as a
locally rejected scan, shown in the list) and never silently dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from client.mirror import CodeMatch, PickLineCount, ProjectInfo
from client.scanners.base import ScanRead
from client.store import LocalStore, QueuedScan
from shared.badges import badge_hash
from shared.barcodes import BarcodeError, normalize_code
from shared.protocol import ScanIn

MODES = ("out", "in", "audit")
# Verdict levels, mapped to feedback colours by the UI: green, amber, red, red.
OK, WARNING, UNKNOWN, INVALID = "ok", "warning", "unknown", "invalid"
# Unit statuses worth a warning when the unit is scanned anyway.
PROBLEM_UNIT_STATUSES = frozenset({"damaged", "missing", "maintenance", "retired", "lost"})


def _max_length(field: str) -> int:
    return next(
        m.max_length for m in ScanIn.model_fields[field].metadata if hasattr(m, "max_length")
    )


# Limits of the wire format: a longer read could never be sent, so it is rejected locally.
_MAX_CODE = _max_length("code")
_MAX_SYMBOLOGY = _max_length("symbology")


@dataclass(frozen=True)
class Session:
    user_id: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ScanVerdict:
    """What the operator is told about one committed scan."""

    level: str  # OK | WARNING | UNKNOWN | INVALID
    title: str  # what was scanned: the item's name, or the code
    detail: str  # why it is not OK ("" when it is); also stored as the scan's reason
    scan: QueuedScan
    match: CodeMatch | None = None

    @property
    def message(self) -> str:
        return f"{self.title}: {self.detail}" if self.detail else self.title


class ScanController(QObject):
    logged_in = Signal(object)  # Session
    logged_out = Signal()
    login_failed = Signal(str)
    project_changed = Signal(object)  # ProjectInfo | None
    mode_changed = Signal(str)
    scan_recorded = Signal(object)  # ScanVerdict, emitted after COMMIT
    scan_refused = Signal(str)  # a read that could not be attributed (no user / project)

    def __init__(self, store: LocalStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.session: Session | None = None
        self.project: ProjectInfo | None = None
        self.mode = "out"

    # -- session -------------------------------------------------------------------

    def login_badge(self, code: str) -> bool:
        """Log in with a badge code, checked offline against the mirrored badge hashes."""
        key = self.store.badge_hash_key()
        if key is None:
            self.login_failed.emit(self.tr("No reference data yet — connect to the server."))
            return False
        badge = self.store.find_badge(badge_hash(key, code))
        if badge is None:
            self.login_failed.emit(self.tr("Badge not recognised."))
            return False
        self.session = Session(badge.user_id, badge.name, badge.roles)
        self.logged_in.emit(self.session)
        return True

    def logout(self) -> None:
        self.session = None
        self.project = None
        self.mode = "out"
        self.logged_out.emit()

    def choose_project(self, project_id: str | None) -> None:
        self.project = None if project_id is None else self.store.project(project_id)
        self.project_changed.emit(self.project)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.mode_changed.emit(mode)

    def submit(self, read: ScanRead) -> None:
        """Route a read from any scanner: a badge while logged out, else a scan."""
        if self.session is None:
            self.login_badge(read.code)
        elif self.project is None:
            self.scan_refused.emit(self.tr("Choose a project first."))
        else:
            self.handle(read)

    # -- what the scan screen shows ----------------------------------------------------

    def open_projects(self) -> list[ProjectInfo]:
        return self.store.open_projects()

    def queue_depth(self) -> int:
        return self.store.queue_depth()

    def pick_list(self) -> list[PickLineCount]:
        return [] if self.project is None else self.store.project_counts(self.project.id)

    def recent(self, limit: int = 12) -> list[tuple[QueuedScan, str]]:
        """The project's newest scans with the item name to show (or the code as read)."""
        if self.project is None:
            return []
        scans = self.store.recent_scans(limit, project_id=self.project.id)
        labels = self.store.item_labels(scans)
        return [
            (scan, labels.get(scan.scan_id, scan.normalized_code or scan.code)) for scan in scans
        ]

    # -- scans -----------------------------------------------------------------------

    def handle(self, read: ScanRead) -> ScanVerdict | None:
        """Validate, commit, then emit ``scan_recorded``. Returns the verdict."""
        station_id = self.store.station_id()
        if self.session is None or self.project is None or station_id is None:
            self.scan_refused.emit(self.tr("Log in and choose a project first."))
            return None
        common = {
            "station_id": station_id,
            "user_id": self.session.user_id,
            "project_id": self.project.id,
            "mode": self.mode,
            "code": read.code,
            "symbology": read.symbology[:_MAX_SYMBOLOGY],
            "source": read.source,
            "scanned_at": read.read_at,
        }
        try:
            if len(read.code) > _MAX_CODE:
                raise BarcodeError(f"code longer than {_MAX_CODE} characters")
            normalized = normalize_code(read.code, read.symbology or None).value
        except BarcodeError as exc:
            detail = self.tr("Unreadable code: %1").replace("%1", str(exc))
            scan = self.store.enqueue_scan(
                **common,
                normalized_code=None,
                local_verdict=INVALID,
                reason=detail,
                local_only=True,
            )
            return self._emit(ScanVerdict(INVALID, _printable(read.code), detail, scan))

        match = self.store.lookup_code(normalized)
        locations = self.store.local_unit_locations(match.unit_ids) if match else {}
        effects = self._effects(match, locations)
        level, detail = self._judge(match, locations, effects)
        scan = self.store.enqueue_scan(
            **common,
            normalized_code=normalized,
            local_verdict=level,
            reason=detail or None,
            product_id=match.product_id if match else None,
            unit_id=match.unit_id if match else None,
            case_id=match.case_id if match else None,
            unit_ids=match.unit_ids if match else (),
            effects=effects,
        )
        return self._emit(
            ScanVerdict(level, match.name if match else normalized, detail, scan, match)
        )

    def _emit(self, verdict: ScanVerdict) -> ScanVerdict:
        self.scan_recorded.emit(verdict)  # after the COMMIT in enqueue_scan, never before
        return verdict

    def _effects(self, match: CodeMatch | None, locations: dict[str, str | None]) -> dict[str, int]:
        """What this scan adds to the pick list's out/returned count (product_id -> n).

        Only units that really move count: a second "out" of a unit already out here, or
        an "in" of a unit that is not out here, changes no count.
        """
        assert self.project is not None
        if match is None or self.mode not in ("out", "in"):
            return {}
        if match.kind == "bulk":
            return {match.product_id: 1} if match.product_id else {}  # qty entry: later
        here = self.project.id
        moved: Counter[str] = Counter()
        for unit_id, product_id in match.units:
            if (locations.get(unit_id) == here) == (self.mode == "in"):
                moved[product_id] += 1
        return dict(moved)

    def _judge(
        self, match: CodeMatch | None, locations: dict[str, str | None], effects: dict[str, int]
    ) -> tuple[str, str]:
        """The local verdict and why ("" when OK): the server still decides; this is
        feedback for the operator."""
        if match is None:
            return UNKNOWN, self.tr("Unknown code")
        if match.kind == "product":
            return WARNING, self.tr("scan the unit's own label")
        if match.kind == "case" and match.case_kind != "fixed":
            return OK, ""  # a kit case is a container: its contents are scanned one by one
        warnings = self._unit_warnings(match, locations) + self._pick_list_warnings(effects)
        return (WARNING, "; ".join(warnings)) if warnings else (OK, "")

    def _unit_warnings(self, match: CodeMatch, locations: dict[str, str | None]) -> list[str]:
        assert self.project is not None
        if self.mode not in ("out", "in") or not match.unit_ids:
            return []
        here = self.project.id
        warnings: list[str] = []
        if match.unit_status in PROBLEM_UNIT_STATUSES:
            warnings.append(self.tr("status is %1").replace("%1", match.unit_status))
        if self.mode == "out":
            if any(p == here for p in locations.values()):
                warnings.append(self.tr("already scanned out for this project"))
            elif any(p is not None for p in locations.values()):
                warnings.append(self.tr("still out on another project"))
        elif all(p is None for p in locations.values()):
            warnings.append(self.tr("was not out"))
        elif any(p not in (None, here) for p in locations.values()):
            warnings.append(self.tr("is out on another project"))
        return warnings

    def _pick_list_warnings(self, effects: dict[str, int]) -> list[str]:
        assert self.project is not None
        if self.mode != "out" or not effects:
            return []
        lines = {line.product_id: line for line in self.store.project_counts(self.project.id)}
        for product_id, count in effects.items():
            line = lines.get(product_id)
            if line is None or not line.on_pick_list:
                return [self.tr("not on the pick list")]
            if line.out + count > line.expected:
                return [self.tr("more than the pick list asks for")]
        return []


def _printable(code: str) -> str:
    """The code as read, with control characters made visible (for the banner)."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in code)
