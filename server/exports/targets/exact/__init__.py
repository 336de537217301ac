"""Exact Online: crm/Accounts, salesentry/SalesEntries and bank entries for payments."""
