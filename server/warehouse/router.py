"""Station-facing warehouse routes: scan upload and reference download."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import event

from server.deps import CurrentStation, SessionDep, SettingsDep
from server.edge import checked_per_item, item_faults
from server.identity.login_sessions import record_offline_logins
from server.identity.service import all_badges
from server.warehouse.ingest import ingest_batch
from server.warehouse.reference import DEFAULT_PAGE, MAX_PAGE, reference_page
from shared.protocol import (
    PROTOCOL_VERSION,
    ScanBatch,
    ScanBatchResponse,
)
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


def client_protocol(request: Request) -> int:
    """The protocol the kiosk speaks, as the app's version check read it
    (server.ops.versioning.check_client_protocol runs before every route)."""
    return request.state.client_protocol


@router.get("/sync/reference", response_model=ReferenceSnapshot)
def download_reference(
    station: CurrentStation,
    session: SessionDep,
    settings: SettingsDep,
    cursor: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE),
    full: bool = Query(default=False, description="ignore the cursor: start a full download"),
    protocol: int = Depends(client_protocol),
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
    if protocol < 2:
        return Response(_protocol_1_page(session, page), media_type="application/json")
    # The page is built from validated models: serialize once, skip re-validation.
    return Response(page.model_dump_json(), media_type="application/json")


# What a protocol-1 kiosk may still check offline while it waits for its upgrade: crew and
# warehouse badges. It would let an admin or planner badge in without the PIN.
_PROTOCOL_1_ROLES = frozenset({"crew", "warehouse"})


def _protocol_1_page(session, page: ReferenceSnapshot) -> bytes:
    """The page as a 0.1.0 kiosk reads it: badge rows are ``{hash, user_id, name, roles}``
    (the keyed hash the server stores as ``code_hash``), and every page carries the whole
    list and every revoked hash, as that kiosk cannot follow the verifier rows' deltas.
    Kiosks are upgraded after the server (docs/operations.md); until then a station keeps
    the offline check it had, for crew and warehouse badges only (docs/identity.md)."""
    body = orjson.loads(page.model_dump_json())
    live, gone = [], []
    for badge, user in all_badges(session=session):
        if badge.active and user.active and set(user.role_names) <= _PROTOCOL_1_ROLES:
            live.append(
                {
                    "hash": badge.code_hash,
                    "user_id": str(user.id),
                    "name": user.name,
                    "roles": user.role_names,
                }
            )
        else:
            gone.append(badge.code_hash)
    body["badges"], body["signed_badges"] = live, []
    body.setdefault("deleted", {})["badges"] = gone
    return orjson.dumps(body)
