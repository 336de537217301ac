"""One export run: exactly-once, rate-limit aware, one per target at a time (SPEC §6).

Exactly once, without idempotency keys on the remote side:
1. the outbox record is set to ``posting`` and *committed* before the remote POST;
2. the remote id is committed right after the answer;
3. a record still in ``posting`` (timeout, 5xx, crash, SIGKILL in between) is looked up
   remotely by reference before anything is posted again.

Contacts are kept in step: each contact record holds a fingerprint of the customer data
last sent; before any document goes out, every exported contact whose customer changed
since is updated once (an update is idempotent, so a crash at worst repeats it).

Every outbox change is its own short transaction, so a crash loses at most the one call
in flight, and that one is found again by step 3.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.errors import Conflict
from server.exports.documents import (
    DocumentKind,
    DocumentSource,
    ExportCustomer,
    ExportDocument,
    ExportPayment,
    MovementKind,
)
from server.exports.models import (
    MOVEMENT_KINDS,
    ExportRecord,
    ExportRun,
    RecordKind,
    RecordStatus,
    RunStatus,
)
from server.exports.reconciliation.reconcile import reconcile
from server.exports.targets.connector import Connector, RemoteDocument
from server.exports.targets.error_budget import ErrorBudgetSpent
from server.exports.targets.http import (
    ExportApiError,
    NotAuthorized,
    OutcomeUnknown,
    RateLimited,
    Rejected,
)
from server.exports.targets.mapping import MappingError
from server.payments import coverage

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)  # a running run without heartbeat this long is dead
MAX_REFUSALS_PER_ENDPOINT = 3  # Exact blocks a key after 10 errors per endpoint per hour
PROGRESS_EVERY = 0.5  # seconds between progress/heartbeat writes


class RunAborted(Exception):
    pass


def claim_run(*, session: Session, target: str, trigger: str = "manual") -> ExportRun:
    """Insert a ``running`` run for ``target`` in ``session``, or 409 if one is alive.

    The partial unique index makes this safe across processes: of two concurrent claims
    the second one's insert fails (after the first commits) and becomes a 409.
    """
    other = session.execute(
        select(ExportRun)
        .where(ExportRun.target == target, ExportRun.status == RunStatus.RUNNING)
        .with_for_update()
    ).scalar_one_or_none()
    if other is not None:
        if other.heartbeat_at > utcnow() - STALE_AFTER:
            raise Conflict(
                f"a {target} export is already running (run {other.id})",
                details={"run_id": str(other.id)},
            )
        other.status = RunStatus.FAILED
        other.finished_at = utcnow()
        other.message = "abandoned: no heartbeat (the process running it died)"
        session.flush()
    try:
        with session.begin_nested():
            run = ExportRun(target=target, trigger=trigger, status=RunStatus.RUNNING)
            session.add(run)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a {target} export is already running") from None
    return run


def start_run(
    *, session_factory: sessionmaker[Session], target: str, trigger: str = "manual"
) -> ExportRun:
    """``claim_run`` in a transaction of its own (CLI, scheduler, tests)."""
    with transaction(session_factory) as session:
        return claim_run(session=session, target=target, trigger=trigger)


@dataclass
class RunProgress:
    total: int = 0
    done: int = 0
    exported: int = 0
    failed: int = 0
    skipped: int = 0
    touched: dict[str, str] = field(default_factory=dict)  # remote doc id -> our doc id
    # one per money movement handled: id, kind, document number, remote doc id, signed
    # cents as booked, status (exported | waiting | failed)
    payments: list[dict[str, Any]] = field(default_factory=list)
    # one per contact updated (or recreated, or refused) to match its customer
    contacts: list[dict[str, Any]] = field(default_factory=list)
    # one per item that failed: kind, our id, number, reason (the report lists them all)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, kind: str, our_id: str, number: str | None, reason: str) -> None:
        self.failed += 1
        self.failures.append({"kind": kind, "id": our_id, "number": number, "reason": reason})

    def status(self) -> RunStatus:
        """Succeeded when nothing failed; partial when something was exported too."""
        if not self.failed:
            return RunStatus.SUCCEEDED
        return RunStatus.PARTIAL if self.exported else RunStatus.FAILED


class ExportRunner:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        connector: Connector,
        source: DocumentSource,
        crash_hook: Callable[[str, str], None] | None = None,
        on_progress: Callable[[ExportRun], None] | None = None,
    ) -> None:
        self.sf = session_factory
        self.c = connector
        self.target = connector.target
        self.source = source
        self.crash_hook = crash_hook or (lambda _where, _our_id: None)
        self.on_progress = on_progress
        self.refusals: dict[str, int] = {}
        self._started = time.monotonic()
        self._started_at = utcnow()
        self._last_update = 0.0
        self._planned_calls = 0
        self._contacts_done: set[str] = set()  # customers whose contact this run has handled

    # -- the run ---------------------------------------------------------------------
    def execute(self, run_id: uuid.UUID) -> ExportRun:
        p = RunProgress()
        try:
            since, last_finished = self._last_success()
            docs = self._documents(since)
            payments = self._payments(since)
            self.c.mapping.validate(docs)  # before a single call goes out
            stale = self._stale_contacts()
            p.total = len(docs) + len(payments)
            self._planned_calls = self._plan(docs, payments) + len(stale)
            self._update(run_id, p)
            for customer in stale:  # before any document is booked against them
                self._contact(run_id, customer, p)
                self._heartbeat(run_id, p)
            for doc in docs:
                self._export_document(run_id, doc, p)
                self._tick(run_id, p)
            for payment in payments:
                self._export_payment(run_id, payment, p)
                self._tick(run_id, p)
            report = reconcile(
                session_factory=self.sf,
                connector=self.c,
                source=self.source,
                progress=p,
                since=last_finished,
                run_id=run_id,
                run_started=self._started_at,
            )
            report["failures"] = p.failures
            message = None
            if p.failed:
                message = f"{p.failed} of {p.total} items failed; the report names each one"
            return self._finish(run_id, p, p.status(), message, report)
        except MappingError as exc:
            return self._finish(run_id, p, RunStatus.FAILED, f"mapping incomplete: {exc}", {})
        except (RunAborted, ExportApiError) as exc:
            # Stopped: what was exported stays exported (partial), the reason is the message.
            status = RunStatus.PARTIAL if p.exported else RunStatus.FAILED
            report = {"stopped": str(exc), "failures": p.failures}
            return self._finish(run_id, p, status, f"stopped: {exc}", report)
        except Exception as exc:  # a bug or a database error: never leave it "running"
            log.exception("export run %s crashed", run_id)
            self._finish(run_id, p, RunStatus.FAILED, f"internal error: {exc!r}", {})
            raise

    def _last_success(self) -> tuple[datetime | None, datetime | None]:
        """(started_at, finished_at) of the last successful run, or (None, None).

        Documents changed locally since it *started* are exported again; remote edits
        since it *finished* are looked for (what we ourselves wrote is older than that).
        """
        with transaction(self.sf) as session:
            row = session.execute(
                select(ExportRun.started_at, ExportRun.finished_at)
                .where(ExportRun.target == self.target, ExportRun.status == RunStatus.SUCCEEDED)
                .order_by(ExportRun.started_at.desc())
                .limit(1)
            ).first()
            return (row[0], row[1]) if row else (None, None)

    def _unfinished(self, kinds: list[str]) -> set[str]:
        with transaction(self.sf) as session:
            return set(
                session.execute(
                    select(ExportRecord.our_id).where(
                        ExportRecord.target == self.target,
                        ExportRecord.kind.in_(kinds),
                        ExportRecord.status != RecordStatus.EXPORTED,
                    )
                ).scalars()
            )

    def _documents(self, since: datetime | None) -> list[ExportDocument]:
        docs = {doc.id: doc for doc in self.source.documents(since=since)}
        for our_id in self._unfinished([RecordKind.INVOICE, RecordKind.CREDIT_NOTE]):
            if our_id not in docs and (doc := self.source.document(our_id)) is not None:
                docs[our_id] = doc
        return sorted(docs.values(), key=lambda d: (d.date, d.number))

    def _payments(self, since: datetime | None) -> list[ExportPayment]:
        """Movements changed since the last run, plus any not exported yet (waiting for
        their document, refused, or lost in a crash) however old."""
        pays = {pay.id: pay for pay in self.source.payments(since=since)}
        retry = self._unfinished(list(MOVEMENT_KINDS)) - set(pays)
        if retry:
            pays.update((pay.id, pay) for pay in self.source.movements(sorted(retry)))
        # Same day: a payment before its refund, a chargeback before its reversal.
        order = {kind: rank for rank, kind in enumerate(MovementKind)}
        return sorted(pays.values(), key=lambda p: (p.date, order[p.kind], p.id))

    # -- outbox records ---------------------------------------------------------------
    def _record(self, kind: str, our_id: str, reference: str) -> ExportRecord:
        with transaction(self.sf) as session:
            rec = session.execute(
                select(ExportRecord).where(
                    ExportRecord.target == self.target,
                    ExportRecord.kind == kind,
                    ExportRecord.our_id == our_id,
                )
            ).scalar_one_or_none()
            if rec is None:
                rec = ExportRecord(
                    target=self.target, kind=kind, our_id=our_id, reference=reference
                )
                session.add(rec)
                session.flush()
            return rec

    def _save(self, rec: ExportRecord, **changes: Any) -> None:
        with transaction(self.sf) as session:
            row = session.get(ExportRecord, rec.id, with_for_update=True)
            for key, value in changes.items():
                setattr(row, key, value)
                setattr(rec, key, value)

    def _exported(
        self,
        rec: ExportRecord,
        run_id: uuid.UUID,
        remote_id: str,
        version: str | None = None,
        number: str | None = None,
        **changes: Any,
    ) -> None:
        self._save(
            rec,
            **changes,
            status=RecordStatus.EXPORTED,
            remote_id=remote_id,
            remote_version=version,
            remote_number=number,
            last_error=None,
            last_run_id=run_id,
            exported_at=utcnow(),
        )

    def _refused(self, rec: ExportRecord, run_id: uuid.UUID, exc: ExportApiError) -> None:
        self._stop_if_hopeless(exc)
        status = RecordStatus.POSTING if isinstance(exc, OutcomeUnknown) else RecordStatus.FAILED
        self._save(rec, status=status, last_error=exc.message[:2000], last_run_id=run_id)
        self._count_refusal(exc, exc.endpoint.split("?")[0])

    @staticmethod
    def _stop_if_hopeless(exc: ExportApiError) -> None:
        """Errors after which no further call of this run can succeed (or may be risked):
        not authorized, still throttled, the endpoint's error budget spent."""
        if isinstance(exc, NotAuthorized | RateLimited | ErrorBudgetSpent):
            raise RunAborted(exc.message) from exc

    def _count_refusal(self, exc: ExportApiError, key: str) -> None:
        if isinstance(exc, Rejected):
            self.refusals[key] = self.refusals.get(key, 0) + 1
            if self.refusals[key] >= MAX_REFUSALS_PER_ENDPOINT:
                raise RunAborted(
                    f"stopped after {self.refusals[key]} refusals from {key} (last: "
                    f"{exc.message}); fix the cause before the next run"
                )

    # -- contacts, documents, payments ------------------------------------------------
    def _stale_contacts(self) -> list[ExportCustomer]:
        """Customers whose exported contact holds other data than they have now (changed
        since, or exported before fingerprints were kept)."""
        with transaction(self.sf) as session:
            sent = dict(
                session.execute(
                    select(ExportRecord.our_id, ExportRecord.fingerprint).where(
                        ExportRecord.target == self.target,
                        ExportRecord.kind == RecordKind.CONTACT,
                        ExportRecord.status == RecordStatus.EXPORTED,
                    )
                ).all()
            )
        if not sent:
            return []
        return [
            customer
            for customer in self.source.customers(sorted(sent))
            if customer.fingerprint() != sent[customer.id]
        ]

    def _contact(self, run_id: uuid.UUID, customer: ExportCustomer, p: RunProgress) -> str | None:
        """The customer's remote contact: found by our customer ref or created once, and
        updated (once per run) when the customer changed since it was last sent."""
        rec = self._record(RecordKind.CONTACT, customer.id, customer.ref)
        if customer.id in self._contacts_done:
            return rec.remote_id if rec.status == RecordStatus.EXPORTED else None
        self._contacts_done.add(customer.id)
        fingerprint = customer.fingerprint()
        if rec.status == RecordStatus.EXPORTED and rec.remote_id:
            if rec.fingerprint == fingerprint:
                return rec.remote_id
            return self._update_contact(run_id, rec, customer, p)
        try:
            found = self.c.find_contact(customer)  # found by our customer ref, else created
            if found is None:
                self._save(
                    rec,
                    status=RecordStatus.POSTING,
                    attempts=rec.attempts + 1,
                    fingerprint=fingerprint,
                    last_run_id=run_id,
                )
                found = self.c.create_contact(customer)
                self.crash_hook("contact_posted", customer.id)
            elif rec.fingerprint != fingerprint:  # not known to be what we created: update
                self.c.update_contact(found, customer)
        except ExportApiError as exc:
            self._refused(rec, run_id, exc)
            return None
        self._exported(rec, run_id, found, fingerprint=fingerprint)
        return found

    def _update_contact(
        self, run_id: uuid.UUID, rec: ExportRecord, customer: ExportCustomer, p: RunProgress
    ) -> str | None:
        entry = {
            "customer": customer.ref,
            "name": customer.name,
            "address": ", ".join(
                part
                for part in (customer.street, customer.zipcode, customer.city, customer.country)
                if part
            ),
            "vat_number": customer.vat_number or "",
            "kvk": customer.kvk or "",
            "remote_id": rec.remote_id,
            "note": "",
        }
        assert rec.remote_id is not None  # only exported contacts go stale
        try:
            self.c.update_contact(rec.remote_id, customer)
        except Rejected as exc:
            if exc.status != 404:
                return self._contact_not_updated(run_id, rec, exc, entry, p)
            # Deleted in the target. Documents still to come need a contact with today's
            # data, so it is looked up by our ref and else made again; the report names
            # both ids (what was booked on the old one stays there).
            old = rec.remote_id
            self._save(rec, status=RecordStatus.PENDING, remote_id=None, last_run_id=run_id)
            self._contacts_done.discard(customer.id)
            new = self._contact(run_id, customer, p)
            error = "" if new else self._record(rec.kind, rec.our_id, rec.reference).last_error
            p.contacts.append(
                {
                    **entry,
                    "remote_id": new or "",
                    "status": "recreated" if new else "failed",
                    "note": f"contact {old} no longer exists in {self.target}"
                    + (f"; making it again failed: {error}" if error else ""),
                }
            )
            return new
        except ExportApiError as exc:
            return self._contact_not_updated(run_id, rec, exc, entry, p)
        self._save(rec, fingerprint=customer.fingerprint(), last_error=None, last_run_id=run_id)
        p.contacts.append({**entry, "status": "updated"})
        return rec.remote_id

    def _contact_not_updated(
        self,
        run_id: uuid.UUID,
        rec: ExportRecord,
        exc: ExportApiError,
        entry: dict[str, Any],
        p: RunProgress,
    ) -> str | None:
        """An update refused or lost: the old fingerprint stays, so the next run tries again;
        documents meanwhile go to the contact as it is (its data is stale, not wrong party)."""
        self._stop_if_hopeless(exc)
        self._save(rec, last_error=exc.message[:2000], last_run_id=run_id)
        p.contacts.append({**entry, "status": "failed", "note": exc.message})
        self._count_refusal(exc, f"{self.target} contact updates")
        return rec.remote_id

    def _export_document(self, run_id: uuid.UUID, doc: ExportDocument, p: RunProgress) -> None:
        kind = (
            RecordKind.CREDIT_NOTE if doc.kind is DocumentKind.CREDIT_NOTE else RecordKind.INVOICE
        )
        rec = self._record(kind, doc.id, doc.number)
        if rec.status == RecordStatus.EXPORTED:
            p.skipped += 1
            return
        contact_id = self._contact(run_id, doc.customer, p)
        if contact_id is None:
            why = self._record(RecordKind.CONTACT, doc.customer.id, doc.customer.ref).last_error
            reason = f"customer {doc.customer.ref} not exported" + (f": {why}" if why else "")
            self._save(rec, status=RecordStatus.FAILED, last_error=reason[:2000])
            p.fail(kind, doc.id, doc.number, reason)
            return
        try:
            remote: RemoteDocument | None = None
            if rec.status == RecordStatus.POSTING:  # an earlier POST's outcome is unknown
                remote = self.c.find_document(doc, contact_id)
            if remote is None:
                self._save(
                    rec,
                    status=RecordStatus.POSTING,
                    attempts=rec.attempts + 1,
                    fingerprint=doc.fingerprint(),
                    local_totals={str(k): list(v) for k, v in doc.vat_by_rate().items()},
                    last_run_id=run_id,
                )
                remote = self.c.create_document(doc, contact_id)
                self.crash_hook("document_posted", doc.id)
        except ExportApiError as exc:
            self._refused(rec, run_id, exc)
            p.fail(kind, doc.id, doc.number, exc.message)
            return
        self._exported(rec, run_id, remote.id, remote.version, remote.number)
        p.touched[remote.id] = doc.id
        p.exported += 1

    def _export_payment(self, run_id: uuid.UUID, pay: ExportPayment, p: RunProgress) -> None:
        """One money movement, exactly once: keyed by its own id (payment, refund,
        chargeback, reversal), looked up remotely by that id after an unknown outcome."""
        rec = self._record(RecordKind(pay.kind.value), pay.id, pay.id)
        if rec.status == RecordStatus.EXPORTED:
            p.skipped += 1
            return
        doc = self.source.document(pay.document_id)
        doc_rec = None
        if doc is not None:
            kind = (
                RecordKind.CREDIT_NOTE
                if doc.kind is DocumentKind.CREDIT_NOTE
                else RecordKind.INVOICE
            )
            doc_rec = self._record(kind, doc.id, doc.number)
        contact = (
            self._record(RecordKind.CONTACT, doc.customer.id, doc.customer.ref) if doc else None
        )
        entry: dict[str, Any] = {
            "payment": pay.id,
            "kind": pay.kind.value,
            "number": doc.number if doc else None,
            "remote_doc": None,
            "amount": pay.signed_cents(doc) if doc else None,
        }
        if (
            doc is None
            or doc_rec is None
            or contact is None
            or doc_rec.status != RecordStatus.EXPORTED
            or not doc_rec.remote_id  # set whenever the record is exported
            or not contact.remote_id
        ):
            reason = "its document is not exported"
            if doc is None:
                reason = f"its document {pay.document_id} is unknown"
            self._save(rec, status=RecordStatus.PENDING, last_error=reason)
            p.payments.append({**entry, "status": "waiting"})
            p.fail(pay.kind.value, pay.id, entry["number"], reason)
            return
        entry["remote_doc"] = doc_rec.remote_id
        try:
            if doc_rec.remote_number is None and (
                number := self.c.document_number(doc_rec.remote_id)
            ):
                self._save(doc_rec, remote_number=number)  # exported before we kept it
            remote = RemoteDocument(
                id=doc_rec.remote_id, reference=doc.number, number=doc_rec.remote_number
            )
            remote_id = None
            if rec.status == RecordStatus.POSTING:
                remote_id = self.c.find_payment(pay, doc, remote, contact.remote_id)
            if remote_id is None:
                self._save(
                    rec, status=RecordStatus.POSTING, attempts=rec.attempts + 1, last_run_id=run_id
                )
                remote_id = self.c.create_payment(pay, doc, remote, contact.remote_id)
                self.crash_hook("payment_posted", pay.id)
        except ExportApiError as exc:
            self._refused(rec, run_id, exc)
            p.payments.append({**entry, "status": "failed"})
            p.fail(pay.kind.value, pay.id, entry["number"], exc.message)
            return
        self._exported(rec, run_id, remote_id)
        p.payments.append({**entry, "status": "exported"})
        p.exported += 1

    # -- progress and ETA -----------------------------------------------------------------
    def _tick(self, run_id: uuid.UUID, p: RunProgress) -> None:
        p.done += 1
        self._heartbeat(run_id, p)

    def _heartbeat(self, run_id: uuid.UUID, p: RunProgress) -> None:
        # Progress and heartbeat at most every PROGRESS_EVERY s: a write per document
        # would cost more than the API call on a fast target.
        if time.monotonic() - self._last_update >= PROGRESS_EVERY or p.done == p.total:
            self._update(run_id, p)

    def _plan(self, docs: list[ExportDocument], payments: list[ExportPayment]) -> int:
        """Calls this run will make: one per new document or payment, two per new
        customer (lookup + create), plus the reconciliation re-reads (100 per call).
        Contact updates (one call each) are added by the caller."""
        with transaction(self.sf) as session:
            exported = set(
                session.execute(
                    select(ExportRecord.our_id).where(
                        ExportRecord.target == self.target,
                        ExportRecord.status == RecordStatus.EXPORTED,
                    )
                ).scalars()
            )
        new_docs = [d for d in docs if d.id not in exported]
        customers = {d.customer.id for d in new_docs if d.customer.id not in exported}
        new_pays = [p for p in payments if p.id not in exported]
        return len(new_docs) + len(new_pays) + 2 * len(customers) + len(new_docs) // 60 + 1

    def _eta(self, p: RunProgress) -> int:
        """Seconds left: the rate limit's bound on the calls still planned, or the pace so
        far when we are slower than the limit."""
        left_calls = max(0, self._planned_calls - self.c.calls)
        by_limit = self.c.seconds_for(left_calls)
        left = max(0, p.total - p.done)
        by_pace = (time.monotonic() - self._started) / p.done * left if p.done >= 20 else 0.0
        return int(max(by_limit, by_pace) + 0.5)

    def _update(self, run_id: uuid.UUID, p: RunProgress) -> None:
        self._last_update = time.monotonic()
        with transaction(self.sf) as session:
            run = session.get_one(ExportRun, run_id)
            run.total, run.done, run.exported = p.total, p.done, p.exported
            run.failed, run.skipped, run.api_calls = p.failed, p.skipped, self.c.calls
            run.eta_seconds = self._eta(p)
            run.heartbeat_at = utcnow()
        if self.on_progress:
            self.on_progress(run)

    def _finish(
        self,
        run_id: uuid.UUID,
        p: RunProgress,
        status: RunStatus,
        message: str | None,
        report: dict[str, Any],
    ) -> ExportRun:
        with transaction(self.sf) as session:
            run = session.get_one(ExportRun, run_id)
            run.total, run.done, run.exported = p.total, p.done, p.exported
            run.failed, run.skipped, run.api_calls = p.failed, p.skipped, self.c.calls
            run.status, run.message, run.eta_seconds = status, message, 0
            run.report = {
                **report,
                "contacts": p.contacts,  # also when the run stopped: these calls were made
                # Money received beyond an invoice's total, to send back (standing list).
                "overpaid": coverage.overpaid_report(session=session),
                "api_calls": self.c.calls,
                "throttled": self.c.throttled,
            }
            run.finished_at = utcnow()
        log.info("export run %s %s: %s", run_id, status, message or "ok")
        return run
