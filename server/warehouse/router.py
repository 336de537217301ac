"""Station-facing warehouse routes: scan upload and reference download."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import orjson
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import event

from server.deps import CurrentStation, SessionDep, SettingsDep
from server.edge import checked_per_item, item_faults
from server.identity.login_sessions import record_offline_logins
from server.warehouse.ingest import ingest_batch
from server.warehouse.reference import DEFAULT_PAGE, MAX_PAGE, reference_page
from shared.protocol import PROTOCOL_VERSION, ScanBatch, ScanBatchResponse
from shared.reference import ReferenceSnapshot

router = APIRouter(prefix="/api/v1", tags=["warehouse"])


@router.post("/scans/batch", response_model=ScanBatchResponse)
@checked_per_item("scans")  # a scan with bad text is answered rejected, the rest applied
def upload_scans(
    batch: ScanBatch,
    station: CurrentStation,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> Response:
    """Apply a station's scans exactly once; one result per scan, in the request's order.

    The batch's offline logins are recorded first (each once, ever), so its scans, and
    any later batch's, can name them (shared.protocol)."""
    feed = request.app.state.scan_feed
    metrics = request.app.state.metrics
    metrics.batch_size.observe(len(batch.scans))
    started = time.perf_counter()
    logins = record_offline_logins(session=session, station=station, logins=batch.logins)
    results = ingest_batch(
        session=session,
        station=station,
        batch=batch,
        annul_window=timedelta(seconds=settings.annul_window_seconds),
        faults={batch.scans[i].scan_id: why for i, why in item_faults(request).items()},
        on_applied=lambda decided: feed.publish_after_commit(session, decided),
    )
    metrics.ingest_latency.observe(time.perf_counter() - started)
    # Counted once the answers are stored: a batch that fails to commit answered nothing.
    answered = Counter(result["status"] for result in results)
    scans_total = metrics.scans
    event.listen(
        session,
        "after_commit",
        lambda _session: [scans_total.labels(s).inc(n) for s, n in answered.items()],
        once=True,
    )
    # Serialized here once, by orjson: the answers are plain dicts (see ingest_batch).
    return Response(
        orjson.dumps(
            {
                "protocol_version": PROTOCOL_VERSION,
                "received_at": None,
                "results": results,
                "logins": logins,
            }
        ),
        media_type="application/json",
    )


@router.get("/sync/reference", response_model=ReferenceSnapshot)
def download_reference(
    station: CurrentStation,
    session: SessionDep,
    settings: SettingsDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE),
    full: bool = Query(default=False, description="ignore the cursor: start a full download"),
) -> Response:
    """One page of reference data since ``cursor`` (contract: shared.reference)."""
    page = reference_page(
        session=session,
        station=station,
        settings=settings,
        cursor=cursor,
        limit=limit,
        full=full,
    )
    # The page is built from validated models: serialize once, skip re-validation.
    return Response(page.model_dump_json(), media_type="application/json")
