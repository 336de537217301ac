"""Schema of the kiosk's local SQLite store, as numbered migrations applied in order.

Each migration runs in its own transaction together with the row that records it in
``migrations``, so a crash mid-upgrade leaves the file at the previous version, never
half-way. Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import NamedTuple

from sqlite_utils import Database

from client.store.connection import Row, SchemaVersionError, StoreConnection
from client.timeutil import to_iso


class Migration(NamedTuple):
    number: int
    name: str
    apply: Callable[[Database], None]


def _execute_all(db: Database, script: str) -> None:
    # sqlite3's executescript() would COMMIT the surrounding transaction first, so run the
    # statements one by one; complete_statement() keeps a trigger body's ";" together.
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                db.conn.execute(pending)
            pending = ""
    if pending.strip(" \n;"):
        db.conn.execute(pending)


def _m001_initial(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE scans (
            scan_id TEXT PRIMARY KEY,
            -- NULL only for reads that can never be sent (unreadable codes).
            seq INTEGER UNIQUE,
            station_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            project_id TEXT,
            mode TEXT NOT NULL CHECK (mode IN ('out', 'in', 'audit', 'annul')),
            code TEXT NOT NULL,
            normalized_code TEXT,
            symbology TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            qty INTEGER NOT NULL DEFAULT 1 CHECK (qty >= 1),
            scanned_at TEXT NOT NULL,
            annuls_scan_id TEXT,
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'synced', 'conflict', 'rejected')),
            reason TEXT,
            local_verdict TEXT NOT NULL,
            server_result TEXT,
            synced_at TEXT,
            -- What the local mirror resolved the code to (never sent: the server decides).
            product_id TEXT,
            unit_id TEXT,
            case_id TEXT,
            unit_ids TEXT NOT NULL DEFAULT '[]',
            effects TEXT NOT NULL DEFAULT '{}',
            -- 1 once a downloaded reference snapshot already counts this scan.
            in_reference INTEGER NOT NULL DEFAULT 0,
            CHECK (state <> 'queued' OR seq IS NOT NULL)
        );
        CREATE INDEX scans_queue ON scans (state, seq);
        CREATE INDEX scans_project ON scans (project_id, in_reference);

        -- The outbox is evidence: sync marks rows, it never removes them.
        CREATE TRIGGER scans_never_deleted BEFORE DELETE ON scans
        BEGIN
            SELECT RAISE(ABORT, 'scans are never deleted');
        END;

        CREATE TABLE ref_products (
            id TEXT PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL,
            tracking TEXT NOT NULL, barcode TEXT
        );
        CREATE INDEX ref_products_barcode ON ref_products (barcode);

        CREATE TABLE ref_units (
            id TEXT PRIMARY KEY, product_id TEXT NOT NULL, barcode TEXT NOT NULL,
            status TEXT NOT NULL, project_id TEXT
        );
        CREATE INDEX ref_units_barcode ON ref_units (barcode);

        CREATE TABLE ref_cases (
            id TEXT PRIMARY KEY, barcode TEXT NOT NULL, name TEXT NOT NULL,
            kind TEXT NOT NULL, unit_ids TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX ref_cases_barcode ON ref_cases (barcode);

        CREATE TABLE ref_projects (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, customer TEXT NOT NULL,
            starts_on TEXT, ends_on TEXT, status TEXT NOT NULL
        );

        CREATE TABLE ref_pick_lines (
            project_id TEXT NOT NULL, line_no INTEGER NOT NULL, product_id TEXT NOT NULL,
            qty INTEGER NOT NULL, out INTEGER NOT NULL DEFAULT 0,
            returned INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (project_id, line_no)
        );

        CREATE TABLE ref_badges (
            hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
            roles TEXT NOT NULL DEFAULT '[]'
        )
        """,
    )


def _m002_return_condition(db: Database) -> None:
    # A return marked damaged or missing by the operator (SPEC §3). The wire format has no
    # field for it yet, so it is kept and shown locally.
    _execute_all(
        db,
        """
        ALTER TABLE scans ADD COLUMN condition TEXT
            CHECK (condition IS NULL OR condition IN ('damaged', 'missing'));
        CREATE INDEX scans_annuls ON scans (annuls_scan_id) WHERE annuls_scan_id IS NOT NULL;
        CREATE INDEX scans_state ON scans (state) WHERE state IN ('conflict', 'rejected');
        -- "Last scans" of a project: an index on project_id alone is in rowid order within a
        -- project (SQLite appends the rowid), so the newest come without a sort.
        CREATE INDEX scans_project_recent ON scans (project_id);
        CREATE INDEX scans_unit ON scans (unit_id) WHERE unit_id IS NOT NULL;
        CREATE INDEX scans_multi ON scans (in_reference) WHERE unit_id IS NULL AND unit_ids <> '[]'
        """,
    )


def _m003_reason_codes(db: Database) -> None:
    # The kiosk's own verdict as codes (client.reasons), so a language switch re-renders
    # it; the server's codes come with its answer in server_result.
    _execute_all(db, "ALTER TABLE scans ADD COLUMN reason_codes TEXT")


def _m004_badge_verifiers(db: Database) -> None:
    # Issue 15: the mirror holds per-station slow verifiers (shared.badges), not the fast
    # keyed hashes of before; failed offline attempts are counted here, so a restart does
    # not reset them. The old hashes are dropped and the next sync downloads everything
    # again (a cursor the server cannot serve: it answers a full download).
    _execute_all(
        db,
        """
        DROP TABLE ref_badges;
        CREATE TABLE ref_badges (
            id TEXT PRIMARY KEY, verifier TEXT NOT NULL, user_id TEXT NOT NULL,
            name TEXT NOT NULL, roles TEXT NOT NULL DEFAULT '[]', pin INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX ref_badges_verifier ON ref_badges (verifier);
        CREATE TABLE ref_signed_badges (
            id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL,
            roles TEXT NOT NULL DEFAULT '[]', revoked INTEGER NOT NULL DEFAULT 0,
            pin INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE badge_failures (
            bucket TEXT PRIMARY KEY, failures INTEGER NOT NULL DEFAULT 0,
            last_failure_at TEXT, locked_until TEXT
        );
        UPDATE settings SET value = 'v1.before-badge-verifiers' WHERE key = 'reference_cursor';
        DELETE FROM settings WHERE key = 'reference_complete'
        """,
    )


def _m005_logins(db: Database) -> None:
    # Who logged in here, and how (issue 15). Online logins are the server's own session
    # (nothing to upload); offline ones are uploaded ahead of their scans. Evidence, like
    # the outbox: never deleted. Every scan names the login it was made under.
    _execute_all(
        db,
        """
        CREATE TABLE logins (
            login_id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            station_id TEXT NOT NULL,
            method TEXT NOT NULL CHECK (method IN ('online', 'offline')),
            verifier TEXT,
            logged_in_at TEXT NOT NULL,
            upload_state TEXT NOT NULL DEFAULT 'pending'
                CHECK (upload_state IN ('pending', 'recorded', 'rejected', 'not_needed')),
            reason TEXT,
            uploaded_at TEXT
        );
        CREATE INDEX logins_pending ON logins (upload_state) WHERE upload_state = 'pending';
        CREATE INDEX logins_user ON logins (user_id, logged_in_at);
        CREATE TRIGGER logins_never_deleted BEFORE DELETE ON logins
        BEGIN
            SELECT RAISE(ABORT, 'logins are never deleted');
        END;
        ALTER TABLE scans ADD COLUMN login_session_id TEXT
        """,
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "initial", _m001_initial),
    Migration(2, "return condition", _m002_return_condition),
    Migration(3, "reason codes", _m003_reason_codes),
    Migration(4, "badge verifiers", _m004_badge_verifiers),
    Migration(5, "logins", _m005_logins),
]


def migrate(store: StoreConnection) -> None:
    """Bring the store's file up to the newest migration this kiosk knows.

    Refuses (``SchemaVersionError``) a file with migrations from a newer kiosk."""
    conn = store.db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations"
        " (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    known = {m.number for m in MIGRATIONS}
    with store.atomic():  # one writer upgrades; a second opener waits, then sees it done
        done = {row[0] for row in conn.execute("SELECT id FROM migrations")}
        if done - known:
            raise SchemaVersionError(
                f"{store.path} has migrations {sorted(done - known)} this kiosk does not know"
            )
        for migration in MIGRATIONS:
            if migration.number not in done:
                with store.atomic():
                    migration.apply(store.db)
                    conn.execute(
                        "INSERT INTO migrations VALUES (?, ?, ?)",
                        [migration.number, migration.name, to_iso(store._now())],
                    )


def applied_migrations(store: StoreConnection) -> list[Row]:
    return list(store.db.query("SELECT * FROM migrations ORDER BY id"))
