"""The kiosk's local SQLite store: the scan outbox, the login log, the reference mirror,
the settings and the schema migrations, one module each.

Shaped like sqlite-utils (whose ``Database`` it wraps as ``.db``): open a ``LocalStore``
with a path or ``":memory:"``, group writes in ``atomic()``, catch named errors. Layers,
each importing only those above it: ``connection`` → ``settings``, ``logins``,
``migrations`` → ``outbox`` → ``mirror`` → ``local_store``.
"""

from client.store.connection import Row, SchemaVersionError, StoreError, UnknownScanError
from client.store.local_store import LocalStore
from client.store.logins import LoginMethod, LoginRow, LoginUploadState
from client.store.migrations import MIGRATIONS, Migration
from client.store.mirror import BadgeRecord, CodeKind, CodeMatch, PickLineCount, ProjectInfo
from client.store.outbox import QueuedScan, ScanState

__all__ = [
    "MIGRATIONS",
    "BadgeRecord",
    "CodeKind",
    "CodeMatch",
    "LocalStore",
    "LoginMethod",
    "LoginRow",
    "LoginUploadState",
    "Migration",
    "PickLineCount",
    "ProjectInfo",
    "QueuedScan",
    "Row",
    "ScanState",
    "SchemaVersionError",
    "StoreError",
    "UnknownScanError",
]
