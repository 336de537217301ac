"""The store's key/value settings (``settings`` table): the kiosk's local preferences and
the sync state it keeps between runs (reference cursor, station id, a revoked export)."""

from __future__ import annotations

from client.store.connection import StoreConnection


class SettingsStore(StoreConnection):
    """Read and write ``settings`` rows."""

    def get_setting(self, key: str) -> str | None:
        row = self.db.conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        if row is None:
            return None
        value: str | None = row[0]
        return value

    def _set_setting(self, key: str, value: str) -> None:
        """Write inside the caller's transaction."""
        self.db.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def set_setting(self, key: str, value: str) -> None:
        with self.atomic():
            self._set_setting(key, value)
