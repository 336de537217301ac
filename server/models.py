"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""

from server.audit.models import AuditEvent
from server.db import Base
from server.exports.models import ExportCredential, ExportRecord, ExportRun
from server.identity.models import Badge, Role, Station, User, UserRole
from server.warehouse.models import Case, CaseUnit, Movement, PickLine, Product, Project, Scan, Unit

__all__ = [
    "AuditEvent",
    "Badge",
    "Base",
    "Case",
    "ExportCredential",
    "ExportRecord",
    "ExportRun",
    "CaseUnit",
    "Movement",
    "PickLine",
    "Product",
    "Project",
    "Role",
    "Scan",
    "Station",
    "Unit",
    "User",
    "UserRole",
]
