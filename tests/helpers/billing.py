"""Factories for invoices and payments in tests and benches (real services, real tables)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction
from server.invoicing import service as invoicing
from server.warehouse.models import PickLine, Product, Project


def make_project(
    session: Session, *, lines: list[tuple[int, int]], days: int = 3, customer: str = "Acme BV"
) -> Project:
    """A project whose pick list has one product per ``(day price cents, qty)``."""
    tag = secrets.token_hex(4)
    project = Project(
        name=f"Project {tag}",
        customer=customer,
        starts_on=date(2026, 6, 1),
        ends_on=date(2026, 6, days),
    )
    session.add(project)
    session.flush()
    for i, (price, qty) in enumerate(lines):
        product = Product(
            sku=f"SKU-{tag}-{i}", name=f"Product {i}", tracking="bulk", day_price_cents=price
        )
        session.add(product)
        session.flush()
        session.add(PickLine(project_id=project.id, product_id=product.id, qty=qty))
    session.flush()
    session.refresh(project)
    return project


def make_open_invoice(
    factory: sessionmaker[Session], *, day_price: int = 12_500, qty: int = 2, days: int = 1
) -> tuple[uuid.UUID, int]:
    """An open invoice (one rental line, 21 % VAT); returns (id, total cents)."""
    with transaction(factory) as session:
        project = make_project(session, lines=[(day_price, qty)], days=days)
        invoice = invoicing.create_invoice_from_project(session=session, project_id=project.id)
        invoicing.open_invoice(session=session, invoice_id=invoice.id)
        return invoice.id, invoice.total_cents
