"""Build protocol scans for tests the way a kiosk would."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from shared.ids import uuid7


class ScanFactory:
    """Makes JSON-ready scans for one station and user, with a running ``seq``."""

    def __init__(self, station_id: str, user_id: str, project_id: str | None = None) -> None:
        self.station_id = station_id
        self.user_id = user_id
        self.project_id = project_id
        self._seq = itertools.count(1)

    @classmethod
    def for_demo(cls, demo: dict) -> ScanFactory:
        return cls(demo["station_id"], demo["crew_user_id"], demo["project_id"])

    def scan(self, code: str, mode: str = "out", **overrides) -> dict:
        scan = {
            "scan_id": str(uuid7()),
            "station_id": self.station_id,
            "seq": next(self._seq),
            "user_id": self.user_id,
            "project_id": self.project_id,
            "mode": mode,
            "code": code,
            "symbology": "code128",
            "source": "wedge",
            "qty": 1,
            "scanned_at": datetime.now(UTC).isoformat(),
        }
        scan.update(overrides)
        return scan

    def annul(self, target: dict) -> dict:
        return self.scan(target["code"], mode="annul", annuls_scan_id=target["scan_id"])
