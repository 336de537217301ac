"""Station-facing warehouse routes: scan upload and reference download."""

from __future__ import annotations

from fastapi import APIRouter, Query

from server.deps import CurrentStation, SessionDep, SettingsDep
from server.warehouse.ingest import ingest_batch
from server.warehouse.reference import build_snapshot
from shared.protocol import ScanBatch, ScanBatchResponse
from shared.reference import ReferenceSnapshot

router = APIRouter(prefix="/api/v1", tags=["warehouse"])


@router.post("/scans/batch", response_model=ScanBatchResponse)
def upload_scans(
    batch: ScanBatch, station: CurrentStation, session: SessionDep, settings: SettingsDep
) -> ScanBatchResponse:
    """Apply a station's scans exactly once; one result per scan, in the request's order."""
    results = ingest_batch(session=session, station=station, batch=batch)
    return ScanBatchResponse(results=results)


@router.get("/sync/reference", response_model=ReferenceSnapshot)
def download_reference(
    station: CurrentStation,
    session: SessionDep,
    settings: SettingsDep,
    cursor: str | None = Query(default=None, max_length=200),
) -> ReferenceSnapshot:
    """The reference data a station mirrors (full for now; see server.warehouse.reference)."""
    return build_snapshot(session=session, station=station, badge_hash_key=settings.badge_hash_key)
