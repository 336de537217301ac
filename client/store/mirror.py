"""The station's mirror of the server's reference data, and the questions the kiosk asks it.

The mirror answers offline: which unit, case or product a code is; which projects are
open; what a project's pick list expects. Counts combine what the server last reported
with local scans it has not reported yet (``scans.in_reference = 0``), so the pick list
moves the moment a scan is committed, online or not.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from client.store.connection import Row
from client.store.outbox import QueuedScan, ScanState
from client.store.settings import SettingsStore
from shared.protocol import ScanMode
from shared.reference import BadgeAuth, ReferenceSnapshot

# Scans the server has applied or will apply: a rejected scan never moves anything.
COUNTING_STATES = (ScanState.QUEUED, ScanState.SYNCED, ScanState.CONFLICT)
# An annul row (mode 'annul', negative effects) counts under the mode of the scan it annuls.
_ANNULLED_JOIN = "LEFT JOIN scans o ON s.mode = 'annul' AND o.scan_id = s.annuls_scan_id"
_EFFECT_MODE = "COALESCE(o.mode, s.mode)"
# Project statuses the kiosk does not offer for scanning.
CLOSED_PROJECT_STATUSES = frozenset({"closed", "cancelled", "canceled", "archived", "done"})


class CodeKind(StrEnum):
    """What kind of thing a scanned code names."""

    UNIT = "unit"  # one serialized unit
    CASE = "case"  # a case (fixed: moves its units; kit: a container only)
    BULK = "bulk"  # a bulk product (counted by quantity)
    PRODUCT = "product"  # a serialized product's own barcode: not one unit


@dataclass(frozen=True)
class CodeMatch:
    """What a normalized code is, according to the mirror."""

    kind: CodeKind
    barcode: str
    name: str  # product name, or the case's name
    product_id: str | None = None
    sku: str = ""
    unit_id: str | None = None
    unit_status: str | None = None
    case_id: str | None = None
    case_kind: str | None = None
    # (unit_id, product_id) of the units the scan moves: the unit, or a fixed case's contents.
    units: tuple[tuple[str, str], ...] = ()

    @property
    def unit_ids(self) -> tuple[str, ...]:
        return tuple(unit_id for unit_id, _product_id in self.units)


@dataclass(frozen=True)
class ProjectInfo:
    id: str
    name: str
    customer: str
    status: str
    starts_on: str | None = None
    ends_on: str | None = None


@dataclass(frozen=True)
class PickLineCount:
    product_id: str
    name: str
    sku: str
    expected: int
    out: int  # server count plus local scans the server has not counted yet
    returned: int

    @property
    def on_pick_list(self) -> bool:
        return self.expected > 0


@dataclass(frozen=True)
class BadgeRecord:
    user_id: str
    name: str
    roles: tuple[str, ...]
    badge_id: str = ""
    pin: bool = False  # the entry joins code and PIN
    revoked: bool = False  # signed badges: listed as revoked


def _badge_record(row: Row) -> BadgeRecord:
    return BadgeRecord(
        row["user_id"],
        row["name"],
        tuple(json.loads(row["roles"])),
        row["id"],
        bool(row["pin"]),
        bool(row.get("revoked", 0)),
    )


_REF_TABLES = (
    "ref_products",
    "ref_units",
    "ref_cases",
    "ref_projects",
    "ref_pick_lines",
    "ref_badges",
    "ref_signed_badges",
)


class Mirror(SettingsStore):
    """The reference tables (``ref_*``) and the questions the kiosk asks them."""

    def replace_reference(self, snapshot: ReferenceSnapshot) -> None:
        """Swap the whole mirror for ``snapshot`` (a one-page full download)."""
        self.apply_reference_page(snapshot.model_copy(update={"full": True, "has_more": False}))

    def apply_reference_page(self, page: ReferenceSnapshot) -> None:
        """Apply one page of the reference download atomically, together with its cursor.

        ``full`` pages first empty the mirror (shared.reference: the server could not send a
        delta); every page then upserts its rows by id and deletes its tombstones. The last
        page of a download (``has_more`` false) also marks the scans the server has answered
        as counted: the sync thread uploads before it downloads, so the server's counts in
        this download include every answered scan; queued ones are not included yet.
        """
        conn = self.db.conn
        with self.atomic():
            if page.full:
                for table in _REF_TABLES:
                    conn.execute(f"DELETE FROM {table}")
            self._delete_tombstones(page)
            conn.executemany(
                "INSERT OR REPLACE INTO ref_products VALUES (?, ?, ?, ?, ?)",
                [(str(p.id), p.sku, p.name, p.tracking, p.barcode) for p in page.products],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO ref_units VALUES (?, ?, ?, ?, ?)",
                [
                    (str(u.id), str(u.product_id), u.barcode, u.status, _opt(u.project_id))
                    for u in page.units
                ],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO ref_cases VALUES (?, ?, ?, ?, ?)",
                [
                    (str(c.id), c.barcode, c.name, c.kind, json.dumps([str(u) for u in c.unit_ids]))
                    for c in page.cases
                ],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO ref_projects VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (str(p.id), p.name, p.customer, _opt(p.starts_on), _opt(p.ends_on), p.status)
                    for p in page.projects
                ],
            )
            # A project row carries its whole pick list: replace the lines, never merge them.
            conn.executemany(
                "DELETE FROM ref_pick_lines WHERE project_id = ?",
                [(str(p.id),) for p in page.projects],
            )
            conn.executemany(
                "INSERT INTO ref_pick_lines VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (str(p.id), n, str(line.product_id), line.qty, line.out, line.returned)
                    for p in page.projects
                    for n, line in enumerate(p.pick_lines, 1)
                ],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO ref_badges (id, verifier, user_id, name, roles, pin)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (str(b.id), b.verifier, str(b.user_id), b.name, json.dumps(b.roles), b.pin)
                    for b in page.badges
                ],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO ref_signed_badges (id, user_id, name, roles, revoked, pin)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (str(b.id), str(b.user_id), b.name, json.dumps(b.roles), b.revoked, b.pin)
                    for b in page.signed_badges
                ],
            )
            if not page.has_more:
                conn.execute(
                    "UPDATE scans SET in_reference = 1 WHERE in_reference = 0 AND state <> 'queued'"
                )
            self._set_setting("reference_cursor", page.cursor)
            self._set_setting("reference_complete", "0" if page.has_more else "1")
            self._set_setting("station_id", str(page.station_id))
            self._set_setting("badge_hash_key", page.badge_hash_key)
            if page.badge_auth is not None:
                self._set_setting("badge_auth", page.badge_auth.model_dump_json())

    def _delete_tombstones(self, page: ReferenceSnapshot) -> None:
        conn = self.db.conn
        gone = page.deleted
        for table, ids in (
            ("ref_products", gone.products),
            ("ref_units", gone.units),
            ("ref_cases", gone.cases),
            ("ref_projects", gone.projects),
        ):
            conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(str(i),) for i in ids])
        conn.executemany(
            "DELETE FROM ref_pick_lines WHERE project_id = ?", [(str(i),) for i in gone.projects]
        )
        conn.executemany("DELETE FROM ref_badges WHERE id = ?", [(i,) for i in gone.badges])
        conn.executemany(
            "DELETE FROM ref_signed_badges WHERE id = ?", [(i,) for i in gone.signed_badges]
        )

    def wipe_mirror(self) -> None:
        """Forget all reference data and the badge key (a revoked station: issue 15).

        The next download, after a new enrolment, is a full one."""
        conn = self.db.conn
        with self.atomic():
            for table in _REF_TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute(
                "DELETE FROM settings WHERE key IN"
                " ('reference_cursor', 'reference_complete', 'badge_hash_key')"
            )

    def reference_complete(self) -> bool:
        """True once the last download ran to its final page (``has_more`` false)."""
        return self.get_setting("reference_complete") == "1"

    def has_reference(self) -> bool:
        return self.get_setting("reference_cursor") is not None

    def reference_cursor(self) -> str | None:
        return self.get_setting("reference_cursor")

    def station_id(self) -> str | None:
        return self.get_setting("station_id")

    def badge_hash_key(self) -> bytes | None:
        key = self.get_setting("badge_hash_key")
        return None if key is None else bytes.fromhex(key)

    def badge_auth(self) -> BadgeAuth | None:
        """This station's offline badge parameters (salt, cost, keys), once downloaded."""
        text = self.get_setting("badge_auth")
        return None if text is None else BadgeAuth.model_validate_json(text)

    def find_badge(self, verifier: str, *, pin: bool) -> BadgeRecord | None:
        """The entry with this verifier: a code-only one, or (``pin``) a code + PIN one."""
        row = self._one(
            "SELECT * FROM ref_badges WHERE verifier = ? AND pin = ?", [verifier, int(pin)]
        )
        return None if row is None else _badge_record(row)

    def signed_badge(self, badge_id: str) -> BadgeRecord | None:
        row = self._one("SELECT * FROM ref_signed_badges WHERE id = ?", [badge_id])
        return None if row is None else _badge_record(row)

    def lookup_code(self, normalized: str) -> CodeMatch | None:
        """Resolve a normalized code: a unit first, then a case, then a product barcode."""
        unit = self._one(
            "SELECT u.*, p.name, p.sku FROM ref_units u JOIN ref_products p ON p.id = u.product_id"
            " WHERE u.barcode = ?",
            [normalized],
        )
        if unit is not None:
            return CodeMatch(
                CodeKind.UNIT,
                normalized,
                unit["name"],
                unit["product_id"],
                unit["sku"],
                unit_id=unit["id"],
                unit_status=unit["status"],
                units=((unit["id"], unit["product_id"]),),
            )
        case = self._one("SELECT * FROM ref_cases WHERE barcode = ?", [normalized])
        if case is not None:
            unit_ids = json.loads(case["unit_ids"]) if case["kind"] == "fixed" else []
            return CodeMatch(
                CodeKind.CASE,
                normalized,
                case["name"],
                case_id=case["id"],
                case_kind=case["kind"],
                units=self._units(unit_ids),
            )
        product = self._one("SELECT * FROM ref_products WHERE barcode = ?", [normalized])
        if product is not None:
            kind = CodeKind.BULK if product["tracking"] == "bulk" else CodeKind.PRODUCT
            return CodeMatch(kind, normalized, product["name"], product["id"], product["sku"])
        return None

    def _units(self, unit_ids: list[str]) -> tuple[tuple[str, str], ...]:
        marks = ",".join("?" * len(unit_ids))
        products = {
            row["id"]: row["product_id"]
            for row in self.db.query(
                f"SELECT id, product_id FROM ref_units WHERE id IN ({marks})", unit_ids
            )
        }
        return tuple((u, products[u]) for u in unit_ids if u in products)

    def open_projects(self) -> list[ProjectInfo]:
        rows = self.db.query("SELECT * FROM ref_projects ORDER BY starts_on, name")
        projects = [_project(row) for row in rows]
        return [p for p in projects if p.status.lower() not in CLOSED_PROJECT_STATUSES]

    def project(self, project_id: str) -> ProjectInfo | None:
        row = self._one("SELECT * FROM ref_projects WHERE id = ?", [project_id])
        return None if row is None else _project(row)

    def local_unit_locations(self, unit_ids: Iterable[str]) -> dict[str, str | None]:
        """Where each unit is out (project id) or None, counting local scans not yet mirrored."""
        ids = list(dict.fromkeys(unit_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        where: dict[str, str | None] = {
            row["id"]: row["project_id"]
            for row in self.db.query(
                f"SELECT id, project_id FROM ref_units WHERE id IN ({marks})", ids
            )
        }
        states = ",".join("?" * len(COUNTING_STATES))
        # An annul undoes the scan it names: it counts with that scan's mode, reversed. Only
        # rows of these units (indexed unit_id) or rows of several units (fixed cases).
        pending = self.db.query(
            f"SELECT s.mode, {_EFFECT_MODE} AS effect_mode, s.project_id, j.value AS unit_id"
            f" FROM scans s {_ANNULLED_JOIN}, json_each(s.unit_ids) j"
            f" WHERE s.rowid IN (SELECT rowid FROM scans WHERE unit_id IN ({marks})"
            f"   UNION SELECT rowid FROM scans WHERE in_reference = 0 AND unit_id IS NULL"
            f"   AND unit_ids <> '[]')"
            f" AND s.in_reference = 0 AND s.state IN ({states})"
            f" AND {_EFFECT_MODE} IN ('out', 'in') AND j.value IN ({marks}) ORDER BY s.rowid",
            [*ids, *COUNTING_STATES, *ids],
        )
        for row in pending:
            moved_out = row["effect_mode"] == ScanMode.OUT
            if row["mode"] == ScanMode.ANNUL:
                moved_out = not moved_out
            where[row["unit_id"]] = row["project_id"] if moved_out else None
        return where

    def project_counts(self, project_id: str) -> list[PickLineCount]:
        """The pick list, expected vs scanned, plus lines for products scanned but not on it."""
        counts: dict[str, list[int]] = {}  # product_id -> [expected, out, returned]
        for row in self.db.query(
            "SELECT product_id, SUM(qty) AS qty, SUM(out) AS out, SUM(returned) AS returned"
            " FROM ref_pick_lines WHERE project_id = ? GROUP BY product_id ORDER BY MIN(line_no)",
            [project_id],
        ):
            counts[row["product_id"]] = [row["qty"], row["out"], row["returned"]]
        local: Counter[tuple[str, str]] = Counter()
        states = ",".join("?" * len(COUNTING_STATES))
        for row in self.db.query(
            f"SELECT {_EFFECT_MODE} AS mode, e.key AS product_id, SUM(e.value) AS n"
            f" FROM scans s {_ANNULLED_JOIN}, json_each(s.effects) e WHERE s.project_id = ?"
            f" AND s.in_reference = 0 AND s.state IN ({states})"
            f" AND {_EFFECT_MODE} IN ('out', 'in') GROUP BY 1, e.key",
            [project_id, *COUNTING_STATES],
        ):
            local[(row["mode"], row["product_id"])] += row["n"]
        for (mode, product_id), n in local.items():
            line = counts.setdefault(product_id, [0, 0, 0])
            line[1 if mode == ScanMode.OUT else 2] += n
        names = self._product_names(counts)
        return [
            PickLineCount(pid, *names.get(pid, ("?", "")), expected, out, returned)
            for pid, (expected, out, returned) in counts.items()
        ]

    def item_labels(self, scans: Iterable[QueuedScan]) -> dict[str, str]:
        """scan_id -> the product or case name to show for it (scans the mirror knew)."""
        labels: dict[str, str] = {}
        rows = list(scans)
        products = self._product_names({s.product_id for s in rows if s.product_id})
        case_ids = [s.case_id for s in rows if s.case_id]
        marks = ",".join("?" * len(case_ids))
        cases = {
            row["id"]: row["name"]
            for row in self.db.query(
                f"SELECT id, name FROM ref_cases WHERE id IN ({marks})", case_ids
            )
        }
        for scan in rows:
            if scan.case_id in cases:
                labels[scan.scan_id] = cases[scan.case_id]
            elif scan.product_id in products:
                labels[scan.scan_id] = products[scan.product_id][0]
        return labels

    def _product_names(self, product_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        ids = list(product_ids)
        marks = ",".join("?" * len(ids))
        rows = self.db.query(f"SELECT id, name, sku FROM ref_products WHERE id IN ({marks})", ids)
        return {row["id"]: (row["name"], row["sku"]) for row in rows}


def _opt(value: object | None) -> str | None:
    return None if value is None else str(value)


def _project(row: Row) -> ProjectInfo:
    return ProjectInfo(
        row["id"], row["name"], row["customer"], row["status"], row["starts_on"], row["ends_on"]
    )
