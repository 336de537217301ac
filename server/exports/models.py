"""The export outbox, export runs and the OAuth token pair of a target (SPEC §6).

Neither Moneybird nor Exact has idempotency keys, so the outbox is what makes an export
exactly-once: a record is marked ``posting`` and committed *before* the remote POST, and
the remote id is saved right after. A record found in ``posting`` on the next run means
"the POST may or may not have happened": it is looked up remotely by reference first.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow
from shared.ids import uuid7


class Target(StrEnum):
    MONEYBIRD = "moneybird"
    EXACT = "exact"


class RecordKind(StrEnum):
    CONTACT = "contact"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    # money movements (``MovementKind``): keyed by the payment, refund or chargeback id
    PAYMENT = "payment"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    REVERSAL = "reversal"


MOVEMENT_KINDS = (RecordKind.PAYMENT, RecordKind.REFUND, RecordKind.CHARGEBACK, RecordKind.REVERSAL)


class RecordStatus(StrEnum):
    PENDING = "pending"
    POSTING = "posting"  # a POST may be in flight or lost: look up before posting again
    EXPORTED = "exported"
    FAILED = "failed"  # the target refused it (4xx); not retried until it changes


class RunStatus(StrEnum):
    """What a run achieved: every item exported (or already there), some of them, none."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # some items exported, some failed: the report names each failure
    FAILED = "failed"  # nothing exported and something failed, or the run could not start


class ExportRecord(Base):
    __tablename__ = "export_records"
    __table_args__ = (
        UniqueConstraint("target", "kind", "our_id"),
        Index("ix_export_records_status", "target", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    target: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    our_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64))  # invoice number / customer ref
    remote_id: Mapped[str | None] = mapped_column(String(64))
    # The target's own number for a document (Exact EntryNumber: a bank line's OurRef).
    remote_number: Mapped[str | None] = mapped_column(String(32))
    remote_version: Mapped[str | None] = mapped_column(String(64))  # to notice remote edits
    fingerprint: Mapped[str | None] = mapped_column(String(64))  # of what we sent
    status: Mapped[str] = mapped_column(String(16), default=RecordStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # {"21": [net cents, vat cents], ...} as sent, for the reconciliation report.
    local_totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExportRun(Base):
    __tablename__ = "export_runs"
    __table_args__ = (
        Index("ix_export_runs_target", "target", "started_at"),
        # At most one running run per target, across every server process: the database
        # refuses the second insert (partial unique index on both backends).
        Index(
            "uq_export_runs_one_running",
            "target",
            unique=True,
            sqlite_where="status = 'running'",
            postgresql_where="status = 'running'",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    target: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual|schedule|cli
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    exported: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    eta_seconds: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExportCredential(Base):
    """A target's OAuth2 pair. Exact refresh tokens are single-use: the row is locked
    while refreshing and the new pair is committed before the access token is used."""

    __tablename__ = "export_credentials"

    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ExportEndpointError(Base):
    """One error answer from a target's endpoint. Exact blocks an app after 10 errors per
    endpoint per hour; kept in the database so every run and process counts the same
    hour (``server.exports.targets.error_budget``)."""

    __tablename__ = "export_endpoint_errors"
    __table_args__ = (Index("ix_export_endpoint_errors_recent", "target", "endpoint", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    target: Mapped[str] = mapped_column(String(16))
    endpoint: Mapped[str] = mapped_column(String(128))  # e.g. /salesentry/SalesEntries
    status: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
