"""The console's menu: each entry shows only to users with the permission its page needs
(the same permission the page's route checks)."""

from __future__ import annotations

from server.identity.permissions import Permission

# (path, label, permission): the order of the menu.
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("/console/board", "Live board", Permission.SCANS_READ),
    ("/console/projects", "Projects", Permission.PROJECTS_READ),
    ("/console/inventory", "Inventory", Permission.INVENTORY_READ),
    ("/console/people", "People", Permission.USERS_READ),
    ("/console/stations", "Stations", Permission.STATIONS_ADMIN),
    ("/console/money", "Money", Permission.INVOICES_READ),
    ("/console/exports", "Exports", Permission.EXPORTS_RUN),
    ("/console/audit", "Audit log", Permission.AUDIT_READ),
)


def menu(ctx) -> list[tuple[str, str]]:
    return [(path, label) for path, label, permission in NAV if ctx.can(permission)]


def first_page(ctx) -> str | None:
    entries = menu(ctx)
    return entries[0][0] if entries else None
