"""Every table, imported in one place so Alembic and ``create_all`` see the whole schema."""

from server.db import Base
from server.identity.models import Badge, Role, Station, User, UserRole
from server.warehouse.models import Case, CaseUnit, Movement, PickLine, Product, Project, Scan, Unit

__all__ = [
    "Badge",
    "Base",
    "Case",
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
