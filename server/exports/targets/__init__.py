"""The bookkeeping targets a run exports to: the connector interface, the shared HTTP client
and rate limiter, the ledger/VAT mapping, the error budget, and one package per target."""
