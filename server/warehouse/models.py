"""Catalogue, cases, projects and the append-only ledger of movements.

Where a unit is and how much bulk stock is out are derived from ``movements``; nothing
edits a stock level in place. ``scans`` is the exactly-once log: one row per ``scan_id``
ever received, with the answer it first got.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow
from shared.ids import uuid7


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("tracking IN ('serialized', 'bulk')", name="tracking"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(100), default="")
    tracking: Mapped[str] = mapped_column(String(20))
    # Normalized code (shared.barcodes); bulk products are scanned by it.
    barcode: Mapped[str | None] = mapped_column(String(256), unique=True)
    day_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Bulk products: how many the warehouse owns (catalogue data, set by an admin). What is
    # out, damaged or missing is derived from the ledger, never stored.
    stock_qty: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Unit(Base):
    """One serialized item with its own label."""

    __tablename__ = "units"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    barcode: Mapped[str] = mapped_column(String(256), unique=True)
    serial: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()


class Case(Base):
    """A flight case. Fixed cases move their contents with them; kits only list them."""

    __tablename__ = "cases"
    __table_args__ = (CheckConstraint("kind IN ('fixed', 'kit')", name="kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    barcode: Mapped[str] = mapped_column(String(256), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))

    contents: Mapped[list[CaseUnit]] = relationship(
        back_populates="case", cascade="all, delete-orphan", lazy="selectin"
    )


class CaseUnit(Base):
    __tablename__ = "case_units"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    # A unit is in at most one case.
    unit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("units.id"), primary_key=True, unique=True
    )

    case: Mapped[Case] = relationship(back_populates="contents")


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200))
    customer: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pick_lines: Mapped[list[PickLine]] = relationship(
        back_populates="project", cascade="all, delete-orphan", lazy="selectin"
    )
    pick_units: Mapped[list[PickUnit]] = relationship(cascade="all, delete-orphan", lazy="selectin")



class CrewAssignment(Base):
    """A person on a project in a crew role for a time window (SPEC §1)."""

    __tablename__ = "crew_assignments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_crew_assignments_user", "user_id", "starts_at"),
        Index("ix_crew_assignments_project", "project_id", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(100))  # the job on the project, e.g. "rigger"
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PickLine(Base):
    __tablename__ = "pick_lines"
    __table_args__ = (
        UniqueConstraint("project_id", "product_id"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    qty: Mapped[int] = mapped_column(Integer)

    project: Mapped[Project] = relationship(back_populates="pick_lines")


class Scan(Base):
    """Every scan ever received, once. The primary key is the kiosk's UUIDv7 ``scan_id``."""

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_station_seq", "station_id", "seq"),
        # Every ledger reader leaves annulled scans out (ledger.counted): it looks them up.
        Index("ix_scans_annuls_scan_id", "annuls_scan_id"),
        # The console's live board (migration 0020): the newest scans, scans per 5 minutes
        # per station, a project's scans, and the few awaiting review.
        Index("ix_scans_received_at", "received_at", "station_id"),
        Index("ix_scans_project_id", "project_id", "status"),
        Index(
            "ix_scans_flagged",
            "received_at",
            sqlite_where=text("status IN ('conflict', 'rejected')"),
            postgresql_where=text("status IN ('conflict', 'rejected')"),
        ),
    )

    scan_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stations.id"))
    seq: Mapped[int] = mapped_column(BigInteger)  # protocol: up to 2**62
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # not an FK: unknown users are kept too
    project_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    mode: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(256))
    normalized_code: Mapped[str | None] = mapped_column(String(256))
    symbology: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(10))
    qty: Mapped[int] = mapped_column(Integer, default=1)
    annuls_scan_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime)  # kiosk clock: display only
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)  # English, for API users
    # The same as codes: JSON list of {"code", "params"} (shared.reasons), for the kiosk.
    reasons: Mapped[str | None] = mapped_column(Text)
    # "ok" | "damaged" | "missing" on "in" scans (shared.protocol.ReturnCondition).
    condition: Mapped[str | None] = mapped_column(String(10))
    # Audit scans that pack the unit into a case: the case's label as scanned.
    case_code: Mapped[str | None] = mapped_column(String(256))
    # The login the scan was made under (identity.models.LoginSession) and how it was
    # attributed (shared.protocol.Attribution); NULL on scans from before migration 0019.
    login_session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    attribution: Mapped[str | None] = mapped_column(String(16))


class Movement(Base):
    """One line of the ledger. Never updated or deleted; an annul adds the reverse line.

    Ids are UUIDv7 made in order, so "latest movement of a unit" is the highest id. A
    movement comes from a scan (``scan_id``) or from an admin (``user_id``, e.g. a unit
    sent to maintenance), never from editing a stock level.
    """

    __tablename__ = "movements"
    __table_args__ = (
        Index("ix_movements_unit_latest", "unit_id", "id"),
        Index("ix_movements_project_product", "project_id", "product_id"),
        # The few set-aside movements (migration 0020): the damaged/missing queue.
        Index(
            "ix_movements_set_aside",
            "kind",
            "unit_id",
            sqlite_where=text("kind IN ('damaged', 'missing', 'maintenance')"),
            postgresql_where=text("kind IN ('damaged', 'missing', 'maintenance')"),
        ),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    scan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scans.scan_id"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    note: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("units.id"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id"))
    qty: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PickUnit(Base):
    """A named unit on a project's pick list ("this exact K2, serial 004")."""

    __tablename__ = "pick_units"

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("units.id"), primary_key=True)


class ReferenceVersion(Base):
    """One state of the reference data, named by its content (see warehouse.reference).

    ``digests`` maps every row key to a short digest of the row, so a later request can
    compute exactly what changed since this version (and what was deleted).
    """

    __tablename__ = "reference_versions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    digests: Mapped[str] = mapped_column(Text)


class ReferenceStamp(Base):
    """One counter, bumped by database triggers on any write to the tables a station's
    reference data is built from (migration 0010): unchanged stamp, unchanged data."""

    __tablename__ = "reference_stamp"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    changes: Mapped[int] = mapped_column(BigInteger)


class ScanReview(Base):
    """A person's decision on a scan answered ``conflict`` or ``rejected`` (warehouse.review).

    A scan without a row here is awaiting review; the row says who looked and why it is
    settled. The scan and its movements stay as they were: the ledger is never edited.
    """

    __tablename__ = "scan_reviews"

    # Not a foreign key: scans are never deleted, and maintenance that empties the scans
    # table (TRUNCATE scans, movements) must not have to know about this one.
    scan_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    resolved_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
