"""Migration 0007 (VAT once per rate): drafts are recomputed both ways, issued invoices keep
the VAT they were issued with, on SQLite and PostgreSQL."""

from sqlalchemy import select, update

from server.db import make_engine, make_session_factory, transaction
from server.invoicing import service
from server.invoicing.models import Invoice, InvoiceLine
from server.migrations import downgrade, upgrade
from tests.helpers.billing import make_project


def _amounts(factory, invoice_id):
    # Named columns, not whole rows: at 0006 the tables lack later migrations' columns.
    with transaction(factory) as session:
        lines = session.scalars(
            select(InvoiceLine.vat_cents)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
        totals = session.execute(
            select(Invoice.subtotal_cents, Invoice.vat_cents, Invoice.total_cents).where(
                Invoice.id == invoice_id
            )
        ).one()
        return list(lines), tuple(totals)


def test_drafts_move_between_rules_issued_invoices_never(fresh_database_url):
    upgrade(fresh_database_url)
    engine = make_engine(fresh_database_url)
    factory = make_session_factory(engine)
    try:
        with transaction(factory) as session:
            # Two lines of 2.50 at 21 %: per line 0.53 + 0.53, per rate 1.05.
            draft = service.create_invoice_from_project(
                session=session,
                project_id=make_project(session, lines=[(250, 1), (250, 1)], days=1).id,
            )
            issued = service.create_invoice_from_project(
                session=session,
                project_id=make_project(session, lines=[(250, 1), (250, 1)], days=1).id,
            )
            service.open_invoice(session=session, invoice_id=issued.id)
            # ...as if it had been issued under the old per-line rule.
            session.execute(
                update(InvoiceLine).where(InvoiceLine.invoice_id == issued.id).values(vat_cents=53)
            )
            session.execute(
                update(Invoice)
                .where(Invoice.id == issued.id)
                .values(vat_cents=106, total_cents=606)
            )
            draft_id, issued_id = draft.id, issued.id
        per_rate, per_line = ([53, 52], (500, 105, 605)), ([53, 53], (500, 106, 606))
        assert _amounts(factory, draft_id) == per_rate

        engine.dispose()
        downgrade(fresh_database_url, "0006_exports")
        assert _amounts(factory, draft_id) == per_line
        assert _amounts(factory, issued_id) == per_line

        engine.dispose()
        upgrade(fresh_database_url)
        assert _amounts(factory, draft_id) == per_rate
        assert _amounts(factory, issued_id) == per_line  # what the customer was charged
        with transaction(factory) as session:
            assert session.scalar(select(Invoice.state).where(Invoice.id == issued_id)) == "open"
    finally:
        engine.dispose()
