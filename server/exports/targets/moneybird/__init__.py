"""Moneybird: contacts, external sales invoices and their payments."""
