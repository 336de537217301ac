"""Inventory, cases, projects, the movement ledger and scan ingest (SPEC §1, §4)."""
