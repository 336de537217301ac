"""Migration 0014 (VAT categories): lines that existed before it become S (rate > 0) or
Z (0 %); downgrade drops the columns; credit notes from before it read the same way. On
SQLite and PostgreSQL."""

from sqlalchemy import inspect, select, text

from server.db import make_engine, make_session_factory, transaction
from server.exports.invoicing_source import InvoicingSource
from server.invoicing import service
from server.invoicing.models import CreditNote, InvoiceLine
from server.migrations import downgrade, upgrade
from tests.helpers.billing import make_project


def test_existing_lines_get_s_or_z_and_downgrade_drops_the_columns(fresh_database_url):
    upgrade(fresh_database_url)
    engine = make_engine(fresh_database_url)
    factory = make_session_factory(engine)
    try:
        with transaction(factory) as session:
            invoice = service.create_invoice_from_project(
                session=session,
                project_id=make_project(session, lines=[(12_500, 1)]).id,
                free_lines=[service.FreeLine("Borg", qty=1, unit_price_cents=5_000, vat_rate=0)],
            )
            service.open_invoice(session=session, invoice_id=invoice.id)
            note = service.create_credit_note(session=session, invoice_id=invoice.id)
            invoice_id, note_id = invoice.id, note.id
        engine.dispose()
        downgrade(fresh_database_url, "0011_customer_details")
        columns = {c["name"] for c in inspect(engine).get_columns("invoice_lines")}
        assert not {"vat_category", "vat_exemption_reason"} & columns
        engine.dispose()
        with engine.begin() as conn:  # the note as one written before categories
            conn.execute(
                text("UPDATE credit_notes SET lines = :lines WHERE id = :id"),
                {
                    "lines": '[{"description": "Borg", "net_cents": 5000, "vat_rate": 0, '
                    '"vat_cents": 0}]',
                    "id": note_id.hex if engine.dialect.name == "sqlite" else str(note_id),
                },
            )
        engine.dispose()
        upgrade(fresh_database_url)
        with transaction(factory) as session:
            lines = session.execute(
                select(
                    InvoiceLine.vat_rate,
                    InvoiceLine.vat_category,
                    InvoiceLine.vat_exemption_reason,
                )
                .where(InvoiceLine.invoice_id == invoice_id)
                .order_by(InvoiceLine.position)
            ).all()
            assert [tuple(line) for line in lines] == [(21, "S", None), (0, "Z", None)]
            assert "vat_category" not in session.get(CreditNote, note_id).lines[0]
        docs = {d.id: d for d in InvoicingSource(factory).documents(since=None)}
        assert [ln.vat_category for ln in docs[str(invoice_id)].lines] == ["S", "Z"]
        assert [ln.vat_category for ln in docs[str(note_id)].lines] == ["Z"]
    finally:
        engine.dispose()
