"""Roles map to permissions here, and only here (SPEC §2).

Every route declares the permission it needs with ``Requires(Permission.X)`` or
``ActingWith(Permission.X)``, mostly through ``server.deps``' aliases (``UsersReader``,
``UsersWriter``, …); station-only routes use ``CurrentStation``; the few public routes are
listed in ``PUBLIC_ROUTES``. A test walks every route of the app against every role.
"""

from __future__ import annotations

from enum import StrEnum

from server.identity.models import Role


class Permission(StrEnum):
    SELF_READ = "self:read"  # /me, own tokens
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    STATIONS_ADMIN = "stations:admin"
    AUDIT_READ = "audit:read"
    INVENTORY_READ = "inventory:read"
    INVENTORY_WRITE = "inventory:write"
    PROJECTS_READ = "projects:read"
    PROJECTS_WRITE = "projects:write"
    CREW_READ = "crew:read"
    CREW_WRITE = "crew:write"
    SCANS_READ = "scans:read"
    SCANS_REVIEW = "scans:review"  # resolve conflict/rejected scans (console live board)
    INVOICES_READ = "invoices:read"
    INVOICES_WRITE = "invoices:write"
    PAYMENTS_REFUND = "payments:refund"
    EXPORTS_RUN = "exports:run"
    SETTINGS_WRITE = "settings:write"


_CREW = {Permission.SELF_READ}
_WAREHOUSE = _CREW | {
    Permission.INVENTORY_READ,
    Permission.PROJECTS_READ,
    Permission.SCANS_READ,
    Permission.SCANS_REVIEW,
}
_PLANNER = _WAREHOUSE | {
    Permission.PROJECTS_WRITE,
    Permission.CREW_READ,
    Permission.CREW_WRITE,
    Permission.USERS_READ,
    Permission.INVOICES_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CREW: frozenset(_CREW),
    Role.WAREHOUSE: frozenset(_WAREHOUSE),
    Role.PLANNER: frozenset(_PLANNER),
    Role.ADMIN: frozenset(Permission),
}


def permissions_for(roles: list[str] | tuple[str, ...]) -> frozenset[Permission]:
    """The union of the permissions of ``roles`` (unknown role names grant nothing)."""
    granted: set[Permission] = set()
    for role in roles:
        try:
            granted |= ROLE_PERMISSIONS[Role(role)]
        except ValueError:
            continue
    return frozenset(granted)


# Routes anyone may call, as (method, path template). Everything else needs a user with a
# permission (``Requires``) or a station token (``CurrentStation``).
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        # Needs RENTGUY_METRICS_TOKEN when set, loopback in production (server.ops.router).
        ("GET", "/metrics"),
        # Only where RENTGUY_DOCS_ENABLED (default: not in production; server.ops.docs).
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/redoc"),
        # The credential is in the body (enrolment code, password, refresh token).
        ("POST", "/api/v1/stations/enroll"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
        # Payment providers call these; Stripe's are signed, Mollie's only name an id that
        # we look up at Mollie (server.payments.webhooks).
        ("POST", "/api/v1/webhooks/stripe"),
        ("POST", "/api/v1/webhooks/mollie"),
    }
)
