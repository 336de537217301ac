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
from server.identity.models import Badge, Role, Station, User, UserRole
from server.invoicing.models import CreditNote, Customer, DocumentCounter, Invoice, InvoiceLine
from server.payments.models import EventClaim, Payment, ProviderEvent, Refund
from server.warehouse.models import (
    Case,
    CaseUnit,
    Movement,
    PickLine,
    PickUnit,
    Product,
    Project,
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
    "ExportCredential",
    "ExportRecord",
    "ExportEndpointError",
    "ExportRun",
    "CaseUnit",
    "ConsolePreference",
    "ConsoleSession",
    "CreditNote",
    "Customer",
    "DocumentCounter",
    "EventClaim",
    "Invoice",
    "InvoiceLine",
    "Movement",
    "Payment",
    "PickLine",
    "PickUnit",
    "Product",
    "Project",
    "ReferenceVersion",
    "ProviderEvent",
    "Refund",
    "Role",
    "Scan",
    "ScanReview",
    "Station",
    "Unit",
    "User",
    "UserRole",
]
