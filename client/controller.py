"""Scan decisions: who is logged in, which project and mode, and what a read means.

No widgets here (the screens only render the signals). The order of ``handle()`` is the
kiosk's promise (SPEC §3): read → validate against the local mirror → commit to the
outbox → only then feedback. A code that cannot be normalized is still recorded (as a
locally rejected scan, shown in the list) and never silently dropped.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal

from client.auth import AuthError, BadgeAuthenticator, PinRequired, Session, offline_login
from client.reasons import LocalReason, reasons_text
from client.scanners.base import ScanRead
from client.store import CodeKind, CodeMatch, LocalStore, PickLineCount, ProjectInfo, QueuedScan
from client.timeutil import utc_now
from shared.barcodes import BarcodeError, normalize_code
from shared.protocol import MAX_SCAN_QTY, ReturnCondition, ScanIn, ScanMode, ScanSource

# The modes an operator can choose (an annul is made by undo, not chosen).
MODES = (ScanMode.OUT, ScanMode.IN, ScanMode.AUDIT)
# The modes that move units and count on the pick list.
_MOVING_MODES = (ScanMode.OUT, ScanMode.IN)


class VerdictLevel(StrEnum):
    """How a scan looked locally; the feedback colour (green, amber, red, red) and sound.

    Stored as the scan's ``local_verdict``: the text is the stored value."""

    OK = "ok"
    WARNING = "warning"
    UNKNOWN = "unknown"
    INVALID = "invalid"


# Unit statuses worth a warning when the unit is scanned anyway.
PROBLEM_UNIT_STATUSES = frozenset({"damaged", "missing", "maintenance", "retired", "lost"})


def _max_length(field: str) -> int:
    return next(
        m.max_length for m in ScanIn.model_fields[field].metadata if hasattr(m, "max_length")
    )


# Limits of the wire format: a longer read could never be sent, so it is rejected locally.
_MAX_CODE = _max_length("code")
_MAX_SYMBOLOGY = _max_length("symbology")


# What a return can be marked as (``ok`` is the same as no mark).
CONDITIONS = (ReturnCondition.DAMAGED, ReturnCondition.MISSING)
DEFAULT_UNDO_WINDOW_S = 120.0

__all__ = ["MODES", "ScanController", "ScanVerdict", "Session", "VerdictLevel"]


@dataclass(frozen=True)
class ScanVerdict:
    """What the operator is told about one committed scan."""

    level: VerdictLevel
    title: str  # what was scanned: the item's name, or the code
    detail: str  # why it is not OK ("" when it is), in the kiosk's language now
    scan: QueuedScan
    match: CodeMatch | None = None
    pick_list: list[PickLineCount] | None = None  # the project's counts after this scan

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
    login_started = Signal()  # the server is being asked about a badge
    admin_badge = Signal(object)  # Session: an admin badge was read for the pending gate
    admin_refused = Signal(str)
    pin_needed = Signal(str)  # purpose ("login" | "admin"): ask the PIN, then enter_pin()
    quantity_changed = Signal(int)
    condition_changed = Signal(object)  # str | None
    # Session | None, AuthError | None, the badge code, purpose ("login" | "admin"), PIN
    _remote_answer = Signal(object, object, str, str, object)

    def __init__(
        self,
        store: LocalStore,
        parent: QObject | None = None,
        *,
        authenticator: BadgeAuthenticator | None = None,
        undo_window_s: float = DEFAULT_UNDO_WINDOW_S,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.authenticator = authenticator
        self.undo_window_s = undo_window_s
        self.session: Session | None = None
        self.project: ProjectInfo | None = None
        self.mode: ScanMode = ScanMode.OUT
        self.quantity = 1  # for the next bulk scan
        self.condition: str | None = None  # for the next return
        self.login_pending = False
        self.admin_gate: str | None = None  # "settings" | "exit": the next badge is checked
        self.pin_pending: tuple[str, str] | None = None  # (badge code, purpose) awaiting a PIN
        self._remote_answer.connect(self._on_remote_answer)

    # -- session -------------------------------------------------------------------

    def login_badge(self, code: str) -> bool:
        """Log in with a badge: the server decides when it can be reached, else the mirror.

        Without an authenticator (or when asked offline) this is synchronous and returns
        whether it worked; with one it returns False at once and ``logged_in`` or
        ``login_failed`` follows from the GUI thread.
        """
        return self._check_badge(code, "login")

    def check_admin_badge(self, code: str) -> bool:
        """The badge read while an admin gate is open (settings, leaving the kiosk)."""
        return self._check_badge(code, "admin")

    def enter_pin(self, pin: str) -> bool:
        """The PIN for the badge that asked for one (``pin_needed``); same flow as a badge."""
        if self.pin_pending is None:
            return False
        code, purpose = self.pin_pending
        return self._check_badge(code, purpose, pin)

    def cancel_pin(self) -> None:
        self.pin_pending = None

    def _check_badge(self, code: str, purpose: str, pin: str | None = None) -> bool:
        self.pin_pending = None
        if self.store.station_revoked() is not None:
            # A revoked station lets nobody in: not online, not from a (wiped) mirror.
            text = self.tr("This station has been revoked.")
            if purpose == "admin":
                self.admin_refused.emit(text)
            else:
                self.login_failed.emit(text)
            return False
        if self.authenticator is None:
            return self._finish_badge(code, None, None, purpose, pin)
        if self.login_pending:
            return False
        self.login_pending = True
        self.login_started.emit()
        authenticator = self.authenticator

        def ask() -> None:  # a thread: the GUI stays live while the server thinks
            try:
                session, error = authenticator.remote_login(code, pin), None
            except AuthError as exc:
                session, error = None, exc
            except Exception as exc:  # a bug must not leave the login spinner forever
                session, error = None, AuthError(str(exc))
            self._remote_answer.emit(session, error, code, purpose, pin)

        threading.Thread(target=ask, name="rentguy-login", daemon=True).start()
        return False

    def _on_remote_answer(
        self,
        session: Session | None,
        error: AuthError | None,
        code: str,
        purpose: str,
        pin: str | None,
    ) -> None:
        self.login_pending = False
        self._finish_badge(code, session, error, purpose, pin)

    def _finish_badge(
        self,
        code: str,
        session: Session | None,
        error: AuthError | None,
        purpose: str,
        pin: str | None = None,
    ) -> bool:
        if error is None and session is None:  # the server could not decide: the mirror does
            try:
                session = offline_login(self.store, code, pin)
            except AuthError as exc:
                error = exc
        if isinstance(error, PinRequired):
            self.pin_pending = (code, purpose)
            self.pin_needed.emit(purpose)
            return False
        if purpose == "admin":
            if session is not None and session.is_admin:
                self.admin_badge.emit(session)
                return True
            if session is not None and "admin" in session.roles:
                refusal = self.tr("Offline, the settings need an admin badge with a PIN.")
            else:
                refusal = self.tr("This badge is not an admin badge.")
            self.admin_refused.emit(str(error) if error is not None else refusal)
            return False
        if error is not None or session is None:
            self.login_failed.emit(str(error))
            return False
        self.session = self._record_login(session)
        self.logged_in.emit(self.session)
        return True

    def _record_login(self, session: Session) -> Session:
        """Note the login in the store (issue 15): every scan made under it names it, and an
        offline one is uploaded ahead of those scans."""
        station_id = self.store.station_id()
        if station_id is None or (not session.offline and session.login_session_id is None):
            return session  # not enrolled yet, or a server older than login sessions
        login_id = self.store.record_login(
            user_id=session.user_id,
            station_id=station_id,
            offline=session.offline,
            login_id=session.login_session_id,
            verifier=session.verifier,
        )
        return replace(session, login_session_id=login_id)

    def logout(self) -> None:
        self.session = None
        self.project = None
        self.mode = ScanMode.OUT
        self.quantity = 1
        self.condition = None
        self.admin_gate = None
        self.pin_pending = None
        self.logged_out.emit()

    def set_quantity(self, qty: int) -> None:
        """Quantity of the next bulk scan (serialized units are always one)."""
        if not 1 <= qty <= MAX_SCAN_QTY:
            raise ValueError(f"quantity must be 1..{MAX_SCAN_QTY}")
        self.quantity = qty
        self.quantity_changed.emit(qty)

    def set_condition(self, condition: str | None) -> None:
        """Mark the next return as damaged or missing (None: a normal return)."""
        if condition is not None and condition not in CONDITIONS:
            raise ValueError(f"unknown condition {condition!r}")
        self.condition = condition
        self.condition_changed.emit(condition)

    def choose_project(self, project_id: str | None) -> None:
        self.project = None if project_id is None else self.store.project(project_id)
        self.project_changed.emit(self.project)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = ScanMode(mode)
        self.mode_changed.emit(self.mode.value)

    def submit(self, read: ScanRead) -> None:
        """Route a read from any scanner: a badge while logged out, else a scan."""
        if self.admin_gate is not None:
            self.check_admin_badge(read.code)
        elif self.session is None:
            if not self.login_pending:
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

    def problems(self, limit: int = 200) -> list[tuple[QueuedScan, str]]:
        """Scans the server flagged (conflict) or refused (rejected), newest first."""
        scans = self.store.problem_scans(limit)
        labels = self.store.item_labels(scans)
        return [
            (scan, labels.get(scan.scan_id, scan.normalized_code or scan.code)) for scan in scans
        ]

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

    def undone(self, scans: Iterable[QueuedScan]) -> set[str]:
        """Ids of ``scans`` an undo annulled (and the server did not refuse the undo)."""
        return self.store.annulled_ids(s.scan_id for s in scans)

    # -- scans -----------------------------------------------------------------------

    def handle(self, read: ScanRead) -> ScanVerdict | None:
        """Validate, commit, then emit ``scan_recorded``. Returns the verdict."""
        station_id = self.store.station_id()
        if self.session is None or self.project is None or station_id is None:
            self.scan_refused.emit(self.tr("Log in and choose a project first."))
            return None
        common: dict[str, Any] = {  # what both outcomes below record
            "station_id": station_id,
            "user_id": self.session.user_id,
            "project_id": self.project.id,
            "mode": self.mode,
            "code": read.code,
            "symbology": read.symbology[:_MAX_SYMBOLOGY],
            "source": read.source,
            "scanned_at": read.read_at,
            "condition": self.condition if self.mode is ScanMode.IN else None,
            "login_session_id": self.session.login_session_id,
        }
        try:
            if len(read.code) > _MAX_CODE:
                raise BarcodeError(f"code longer than {_MAX_CODE} characters")
            normalized = normalize_code(read.code, read.symbology or None).value
        except BarcodeError as exc:
            codes = [_local(LocalReason.UNREADABLE, error=str(exc))]
            detail = reasons_text(codes)
            scan = self.store.enqueue_scan(
                **common,
                normalized_code=None,
                local_verdict=VerdictLevel.INVALID,
                reason=detail,
                reason_codes=codes,
                local_only=True,
            )
            return self._emit(
                ScanVerdict(VerdictLevel.INVALID, _printable(read.code), detail, scan)
            )

        match = self.store.lookup_code(normalized)
        locations = self.store.local_unit_locations(match.unit_ids) if match else {}
        qty = self.quantity if match is not None and match.kind == CodeKind.BULK else 1
        effects = self._effects(match, locations, qty)
        before = self.store.project_counts(self.project.id) if effects else None
        level, codes = self._judge(match, locations, effects, before)
        detail = reasons_text(codes)
        scan = self.store.enqueue_scan(
            **common,
            qty=qty,
            normalized_code=normalized,
            local_verdict=level,
            reason=detail or None,
            reason_codes=codes,
            product_id=match.product_id if match else None,
            unit_id=match.unit_id if match else None,
            case_id=match.case_id if match else None,
            unit_ids=match.unit_ids if match else (),
            effects=effects,
        )
        # The counts after this scan, worked out from the ones judged against: the UI update
        # right after the commit need not ask the store again.
        after = _counted(before, effects, self.mode, match) if before else None
        return self._emit(
            ScanVerdict(level, match.name if match else normalized, detail, scan, match, after)
        )

    def undoable(self) -> QueuedScan | None:
        """This user's last scan on this project, if it may still be undone."""
        if self.session is None or self.project is None:
            return None
        scan = self.store.last_undoable_scan(self.session.user_id, self.project.id)
        if scan is None or utc_now() - scan.scanned_at > timedelta(seconds=self.undo_window_s):
            return None
        return scan

    def undo_last(self) -> ScanVerdict | None:
        """Annul the last scan (protocol mode ``annul`` with ``annuls_scan_id``)."""
        station_id = self.store.station_id()
        target = self.undoable()
        if target is None or station_id is None or self.session is None:
            self.scan_refused.emit(self.tr("Nothing to undo."))
            return None
        scan = self.store.enqueue_scan(
            station_id=station_id,
            user_id=self.session.user_id,
            login_session_id=self.session.login_session_id,
            project_id=target.project_id,
            mode=ScanMode.ANNUL,
            code=target.code,
            normalized_code=target.normalized_code,
            symbology=target.symbology,
            source=ScanSource.MANUAL,
            qty=target.qty,
            scanned_at=utc_now(),
            local_verdict=VerdictLevel.OK,
            annuls_scan_id=target.scan_id,
            product_id=target.product_id,
            unit_id=target.unit_id,
            case_id=target.case_id,
            unit_ids=target.unit_ids,
            effects={product: -n for product, n in (target.effects or {}).items()},
        )
        title = self.store.item_labels([target]).get(target.scan_id, target.code)
        return self._emit(ScanVerdict(VerdictLevel.OK, title, "", scan))

    def _emit(self, verdict: ScanVerdict) -> ScanVerdict:
        if verdict.scan.mode in _MOVING_MODES and verdict.scan.product_id:
            # The quantity and the damaged/missing mark apply to one scan only.
            if self.quantity != 1:
                self.set_quantity(1)
            if self.condition is not None:
                self.set_condition(None)
        self.scan_recorded.emit(verdict)  # after the COMMIT in enqueue_scan, never before
        return verdict

    def _effects(
        self, match: CodeMatch | None, locations: dict[str, str | None], qty: int = 1
    ) -> dict[str, int]:
        """What this scan adds to the pick list's out/returned count (product_id -> n).

        Only units that really move count: a second "out" of a unit already out here, or
        an "in" of a unit that is not out here, changes no count.
        """
        assert self.project is not None
        if match is None or self.mode not in _MOVING_MODES:
            return {}
        if match.kind == CodeKind.BULK:
            return {match.product_id: qty} if match.product_id else {}
        here = self.project.id
        moved: Counter[str] = Counter()
        for unit_id, product_id in match.units:
            if (locations.get(unit_id) == here) == (self.mode is ScanMode.IN):
                moved[product_id] += 1
        return dict(moved)

    def _judge(
        self,
        match: CodeMatch | None,
        locations: dict[str, str | None],
        effects: dict[str, int],
        counts: list[PickLineCount] | None = None,
    ) -> tuple[VerdictLevel, list[dict[str, Any]]]:
        """The local verdict and why, as reason codes (none when OK): the server still
        decides; this is feedback for the operator."""
        if match is None:
            return VerdictLevel.UNKNOWN, [_local(LocalReason.UNKNOWN_CODE)]
        if match.kind == CodeKind.PRODUCT:
            return VerdictLevel.WARNING, [_local(LocalReason.PRODUCT_LABEL)]
        if match.kind == CodeKind.CASE and match.case_kind != "fixed":
            # A kit case is a container: its contents are scanned one by one.
            return VerdictLevel.OK, []
        warnings = self._unit_warnings(match, locations) + self._pick_list_warnings(
            effects, counts or []
        )
        return (VerdictLevel.WARNING, warnings) if warnings else (VerdictLevel.OK, [])

    def _unit_warnings(
        self, match: CodeMatch, locations: dict[str, str | None]
    ) -> list[dict[str, Any]]:
        assert self.project is not None
        if self.mode not in _MOVING_MODES or not match.unit_ids:
            return []
        here = self.project.id
        warnings: list[dict[str, Any]] = []
        if match.unit_status in PROBLEM_UNIT_STATUSES:
            warnings.append(_local(LocalReason.UNIT_STATUS, status=match.unit_status))
        if self.mode is ScanMode.OUT:
            if any(p == here for p in locations.values()):
                warnings.append(_local(LocalReason.ALREADY_OUT_HERE))
            elif any(p is not None for p in locations.values()):
                warnings.append(_local(LocalReason.OUT_ELSEWHERE))
        elif all(p is None for p in locations.values()):
            warnings.append(_local(LocalReason.NOT_OUT))
        elif any(p not in (None, here) for p in locations.values()):
            warnings.append(_local(LocalReason.OUT_ON_OTHER))
        return warnings

    def _pick_list_warnings(
        self, effects: dict[str, int], counts: list[PickLineCount]
    ) -> list[dict[str, Any]]:
        if self.mode is not ScanMode.OUT or not effects:
            return []
        lines = {line.product_id: line for line in counts}
        for product_id, count in effects.items():
            line = lines.get(product_id)
            if line is None or not line.on_pick_list:
                return [_local(LocalReason.NOT_ON_PICK_LIST)]
            if line.out + count > line.expected:
                return [_local(LocalReason.OVER_PICK_LIST)]
        return []


def _counted(
    before: list[PickLineCount], effects: dict[str, int], mode: str, match: CodeMatch | None
) -> list[PickLineCount] | None:
    """The pick list after a committed scan's effects; None when a new line's name is not
    known here (then the store is asked)."""
    lines = list(before)
    index = {line.product_id: i for i, line in enumerate(lines)}
    for product_id, n in effects.items():
        if product_id not in index:
            if match is None or match.product_id != product_id:
                return None
            index[product_id] = len(lines)
            lines.append(PickLineCount(product_id, match.name, match.sku, 0, 0, 0))
        line = lines[index[product_id]]
        if mode == ScanMode.OUT:
            lines[index[product_id]] = replace(line, out=line.out + n)
        else:
            lines[index[product_id]] = replace(line, returned=line.returned + n)
    return lines


def _local(code: LocalReason, **params: str | int) -> dict[str, Any]:
    """A local reason as stored with the scan (the same shape as the server's)."""
    return {"code": code.value, "params": params}


def _printable(code: str) -> str:
    """The code as read, with control characters made visible (for the banner)."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in code)
