"""Customers, invoices with gapless yearly numbers, credit notes (SPEC §1, §5)."""
