"""Where the routes, the CLI and the scheduler get their documents from."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from server.exports.documents import DocumentSource
from server.exports.invoicing_source import InvoicingSource


def document_source(session_factory: sessionmaker[Session]) -> DocumentSource:
    """The invoices, credit notes and payments to export: ``server.invoicing`` and
    ``server.payments`` read through ``InvoicingSource`` (see its docstring for what is
    exported and how)."""
    return InvoicingSource(session_factory)
