"""Strict local fakes of the accounting APIs, served on loopback by real uvicorn."""
