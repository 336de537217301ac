"""Where the routes, the CLI and the scheduler get their documents from."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from server.exports.documents import DocumentSource, ListSource


def document_source(session_factory: sessionmaker[Session]) -> DocumentSource:
    """The invoices, credit notes and payments to export.

    PLACEHOLDER until issue 6 (invoicing and payments) lands: the invoice, credit note,
    customer and payment models live on another branch, so today this returns an empty
    source and a run exports nothing. At merge time this becomes a thin adapter that
    reads ``server.invoicing`` / ``server.payments`` with ``session_factory`` and maps
    them to ``ExportDocument`` / ``ExportPayment`` (see ``server.exports.documents``).
    """
    return ListSource()
