"""The reconciliation report of a run: what we sent vs what the target now holds.

Re-reads only what this run touched (batched: Moneybird 100 per call, Exact 60 per page)
plus one cheap listing of remote versions to spot documents edited remotely since export,
so a run with nothing new costs a call or two.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction
from server.exports.documents import DocumentSource, vat_cents
from server.exports.models import ExportRecord, RecordKind, RecordStatus
from server.exports.targets.connector import Connector, RemoteDocument
from server.exports.targets.http import ExportApiError

if TYPE_CHECKING:  # the runner imports this module: its progress type is for the checker only
    from server.exports.runner import RunProgress

DOC_KINDS = (RecordKind.INVOICE.value, RecordKind.CREDIT_NOTE.value)


def _add(totals: dict[str, list[int]], rate: Any, net: int, vat: int) -> None:
    row = totals.setdefault(str(rate), [0, 0])
    row[0] += net
    row[1] += vat


def _document_mismatches(
    number: str, mine: dict[str, list[int]], theirs: dict[str, list[int]], target: str
) -> list[dict[str, Any]]:
    """One row per rate where a document's net or VAT differs between us and the target."""
    out = []
    for rate in sorted(
        set(mine) | set(theirs), key=lambda r: -int(r) if r.lstrip("-").isdigit() else 0
    ):
        (l_net, l_vat), (r_net, r_vat) = mine.get(rate, [0, 0]), theirs.get(rate, [0, 0])
        if (l_net, l_vat) == (r_net, r_vat):
            continue
        if rate.isdigit() and l_net == r_net and l_vat != vat_cents(l_net, int(rate)):
            note = (
                "issued under the per-line rounding rule (before VAT per rate); "
                f"{target} computes VAT per rate"
            )
        elif rate == "-1":
            note = f"a line at a VAT rate {target} is not mapped back to ours"
        else:
            note = f"differs in {target}: changed there after export?"
        out.append(
            {
                "number": number,
                "rate": rate,
                "local_net": l_net,
                "local_vat": l_vat,
                "remote_net": r_net,
                "remote_vat": r_vat,
                "note": note,
            }
        )
    return out


def _compare_documents(
    docs: list[ExportRecord],
    touched: Collection[str],
    remote_docs: dict[str, RemoteDocument],
    target: str,
    problems: list[str],
) -> tuple[dict[str, list[int]], dict[str, list[int]], list[dict[str, Any]], int]:
    """Per-rate totals, ours and the target's, of the documents this run touched, and the
    documents whose totals differ; one not found remotely is added to ``problems``."""
    local: dict[str, list[int]] = {}
    remote: dict[str, list[int]] = {}
    mismatches: list[dict[str, Any]] = []
    compared = 0  # documents re-read and compared: "all match" means nothing if 0
    for rec in docs:
        if rec.remote_id is None or rec.remote_id not in touched:
            continue
        sign = -1 if rec.kind == RecordKind.CREDIT_NOTE else 1
        mine: dict[str, list[int]] = {}
        for rate, (net, vat) in (rec.local_totals or {}).items():
            _add(local, rate, sign * net, sign * vat)
            _add(mine, rate, sign * net, sign * vat)
        found = remote_docs.get(rec.remote_id)
        if found is None:
            problems.append(f"{rec.reference}: not found remotely ({rec.remote_id})")
            continue
        compared += 1
        theirs: dict[str, list[int]] = {}
        for their_rate, (net, vat) in found.totals.items():
            _add(remote, their_rate, net, vat)
            _add(theirs, their_rate, net, vat)
        mismatches += _document_mismatches(rec.reference, mine, theirs, target)
    return local, remote, mismatches, compared


def _changed_remotely(
    connector: Connector,
    since: datetime | None,
    exported_versions: dict[str | None, tuple[str, str | None]],
    wanted: set[str],
    problems: list[str],
) -> tuple[list[dict[str, str]], list[str]]:
    """Exported documents this run did not touch whose remote version moved on."""
    changed_remotely: list[dict[str, str]] = []
    try:
        versions = connector.remote_versions(since)
    except ExportApiError as exc:
        versions, problems = {}, [*problems, f"listing remote versions failed: {exc.message}"]
    for remote_id, version in (versions or {}).items():
        known = exported_versions.get(remote_id)
        if known and known[1] and known[1] != version and remote_id not in wanted:
            changed_remotely.append({"number": known[0], "remote_id": remote_id})
    return changed_remotely, problems


def _match_payments(
    connector: Connector,
    payments: list[dict[str, Any]],
    remote_docs: dict[str, RemoteDocument],
    run_started: datetime,
    problems: list[str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Money movements, re-read from the target: each must be there with its amount."""
    held: dict[str, int] = {}
    if any(e["status"] == "exported" for e in payments):
        try:
            held = connector.remote_movements(remote_docs, run_started)
        except ExportApiError as exc:
            problems = [*problems, f"re-reading payments failed: {exc.message}"]
    matched: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    for entry in payments:
        row = {**entry, "remote_amount": held.get(entry["payment"])}
        ok = entry["status"] == "exported" and row["remote_amount"] == entry["amount"]
        (matched if ok else unmatched).append(row)
    return matched, unmatched, problems


def reconcile(
    *,
    session_factory: sessionmaker[Session],
    connector: Connector,
    source: DocumentSource,
    progress: RunProgress,
    since: datetime | None,
    run_id: uuid.UUID,
    run_started: datetime,
) -> dict[str, Any]:
    with transaction(session_factory) as session:
        records = list(
            session.execute(
                select(ExportRecord).where(
                    ExportRecord.target == connector.target,
                    or_(
                        ExportRecord.last_run_id == run_id,
                        ExportRecord.status != RecordStatus.EXPORTED,
                    ),
                )
            ).scalars()
        )
        exported_versions = {
            rec.remote_id: (rec.reference, rec.remote_version)
            for rec in session.execute(
                select(ExportRecord).where(
                    ExportRecord.target == connector.target,
                    ExportRecord.kind.in_(DOC_KINDS),
                    ExportRecord.status == RecordStatus.EXPORTED,
                )
            ).scalars()
        }
    docs = [r for r in records if r.kind in DOC_KINDS]
    pay_doc_ids = {e["remote_doc"] for e in progress.payments if e["status"] == "exported"}
    wanted = set(progress.touched) | pay_doc_ids
    problems: list[str] = []
    try:
        remote_docs = connector.fetch_documents(sorted(wanted))
    except ExportApiError as exc:
        remote_docs, problems = {}, [f"re-reading documents failed: {exc.message}"]

    local, remote, mismatches, compared = _compare_documents(
        docs, progress.touched, remote_docs, connector.target, problems
    )

    # Our own payments changed the remote versions: store the versions we just read.
    new_versions = {rid: doc.version for rid, doc in remote_docs.items() if doc.version}
    if new_versions:
        with transaction(session_factory) as session:
            for rec in session.execute(
                select(ExportRecord).where(
                    ExportRecord.target == connector.target,
                    ExportRecord.remote_id.in_(list(new_versions)),
                )
            ).scalars():
                assert rec.remote_id is not None  # it matched one of new_versions
                rec.remote_version = new_versions[rec.remote_id]
                exported_versions[rec.remote_id] = (rec.reference, rec.remote_version)

    changed_remotely, problems = _changed_remotely(
        connector, since, exported_versions, wanted, problems
    )
    matched, unmatched, problems = _match_payments(
        connector, progress.payments, remote_docs, run_started, problems
    )

    rates = sorted(
        set(local) | set(remote), key=lambda r: -int(r) if r.lstrip("-").isdigit() else 0
    )
    return {
        "documents": [
            {
                "number": r.reference,
                "type": r.kind,
                "remote_id": r.remote_id,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in sorted(docs, key=lambda r: r.reference)
        ],
        "vat": [
            {
                "rate": rate,
                "local_net": local.get(rate, [0, 0])[0],
                "local_vat": local.get(rate, [0, 0])[1],
                "remote_net": remote.get(rate, [0, 0])[0],
                "remote_vat": remote.get(rate, [0, 0])[1],
            }
            for rate in rates
        ],
        "mismatches": mismatches,
        "compared": compared,
        "payments_matched": matched,
        "payments_unmatched": unmatched,
        "changed_remotely": changed_remotely,
        "problems": problems,
    }
