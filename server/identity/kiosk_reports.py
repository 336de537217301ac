"""What a kiosk reports about itself on each request (``shared.protocol`` headers): its
queue depth and release, stored on its station row for ``/metrics`` (``StationCollector``).

Stored, not kept in process memory: with several workers or hosts the kiosk's requests
land anywhere, while ``/metrics`` must show every station's latest report. The columns are
written in the UPDATE that ``last_seen_at`` already causes. A kiosk that sends no header
(before release 0.2.0) leaves the columns as they are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from server.errors import BadRequest
from server.identity.models import Station
from shared.protocol import APP_VERSION_HEADER, QUEUE_DEPTH_HEADER

log = logging.getLogger(__name__)
MAX_QUEUE_DEPTH = 2**31 - 1
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,31}$")


def record_kiosk_report(station: Station, headers: Mapping[str, str]) -> None:
    """Store the reported queue depth and release; a malformed one is a precise 400."""
    depth = headers.get(QUEUE_DEPTH_HEADER)
    if depth is not None:
        text = depth.strip()
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_QUEUE_DEPTH:
            raise BadRequest(
                f"{QUEUE_DEPTH_HEADER} must be a whole number 0..{MAX_QUEUE_DEPTH}, "
                f"not {depth[:40]!r}",
                code="bad_queue_depth_header",
            )
        station.reported_queue_depth = int(text)
    version = headers.get(APP_VERSION_HEADER)
    if version is not None:
        if not _VERSION.match(version):
            raise BadRequest(
                f"{APP_VERSION_HEADER} must be a release like 0.2.0 (at most 32 of "
                f"0-9 A-Z a-z . + -), not {version[:40]!r}",
                code="bad_version_header",
            )
        station.app_version = version


class StationCollector(Collector):
    """Per active station: last seen, reported queue depth, and its release (as a label)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sf = session_factory

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Declared without reading the database (registration calls this).
        yield from self._families()

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        labels = ["station_id", "station"]
        return (
            GaugeMetricFamily(
                "rentguy_station_last_seen_timestamp_seconds",
                "When the station last made an authenticated request (Unix time; 0: never)",
                labels=labels,
            ),
            GaugeMetricFamily(
                "rentguy_station_queue_depth",
                "Scans waiting in the station's local queue, as the kiosk last reported",
                labels=labels,
            ),
            GaugeMetricFamily(
                "rentguy_station_info",
                "The station's kiosk release as last reported ('unknown' before 0.2.0)",
                labels=[*labels, "version"],
            ),
        )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        seen, depth, info = self._families()
        query = select(
            Station.id,
            Station.name,
            Station.last_seen_at,
            Station.reported_queue_depth,
            Station.app_version,
        ).where(Station.active.is_(True))
        try:
            with self._sf() as session:
                rows = session.execute(query).all()
        except SQLAlchemyError:  # /metrics must still answer; /readyz reports the database
            log.warning("station metrics: database not readable", exc_info=True)
            rows = []
        for station_id, name, last_seen, queue_depth, version in rows:
            labels = [str(station_id), name]
            seen.add_metric(labels, last_seen.timestamp() if last_seen else 0.0)
            depth.add_metric(labels, float(queue_depth or 0))
            info.add_metric([*labels, version or "unknown"], 1.0)
        yield from (seen, depth, info)
