"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""

from server.audit.models import AuditEvent
from server.db import Base
from server.identity.models import Badge, Role, Station, User, UserRole
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
    Unit,
)

__all__ = [
    "AuditEvent",
    "Badge",
    "Base",
    "Case",
    "CaseUnit",
    "Movement",
    "PickLine",
    "PickUnit",
    "Product",
    "Project",
    "ReferenceVersion",
    "Role",
    "Scan",
    "Station",
    "Unit",
    "User",
    "UserRole",
]
