"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""

from server.audit.models import AuditEvent
from server.console.models import ConsolePreference, ConsoleSession
from server.db import Base
from server.exports.models import (
    ExportCredential,
    ExportEndpointError,
    ExportRecord,
    ExportRun,
)
from server.identity.models import (
    Badge,
    LoginSession,
    LoginThrottle,
    RefreshToken,
    Role,
    Station,
    StationBadgeVerifier,
    StationEnrollment,
    User,
    UserRole,
)
from server.invoicing.models import CreditNote, Customer, DocumentCounter, Invoice, InvoiceLine
from server.payments.models import Chargeback, EventClaim, Payment, ProviderEvent, Refund
from server.warehouse.models import (
    Case,
    CaseUnit,
    CrewAssignment,
    Movement,
    PickLine,
    PickUnit,
    Product,
    Project,
    ReferenceStamp,
    ReferenceVersion,
    Scan,
    ScanReview,
    Unit,
)

__all__ = [
    "AuditEvent",
    "Badge",
    "Base",
    "Case",
    "CaseUnit",
    "Chargeback",
    "ConsolePreference",
    "ConsoleSession",
    "CreditNote",
    "CrewAssignment",
    "Customer",
    "DocumentCounter",
    "EventClaim",
    "ExportCredential",
    "ExportEndpointError",
    "ExportRecord",
    "ExportRun",
    "Invoice",
    "InvoiceLine",
    "LoginSession",
    "LoginThrottle",
    "Movement",
    "Payment",
    "PickLine",
    "PickUnit",
    "Product",
    "Project",
    "ProviderEvent",
    "ReferenceStamp",
    "ReferenceVersion",
    "RefreshToken",
    "Refund",
    "Role",
    "Scan",
    "ScanReview",
    "Station",
    "StationBadgeVerifier",
    "StationEnrollment",
    "Unit",
    "User",
    "UserRole",
]
