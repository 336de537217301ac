"""Factories for invoices and payments in tests and benches (real services, real tables)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.invoicing import service as invoicing
from server.invoicing.models import Invoice
from server.payments import service as payments
from server.payments.models import Chargeback, Payment, Refund
from server.payments.providers.base import refund_stage
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


def make_invoice(
    factory,
    *,
    lines: list[tuple[int, int]],
    days: int = 1,
    free: list[invoicing.FreeLine] = (),
    category: str = "",
    state: str = "open",
    customer: str | None = None,
) -> Invoice:
    """An invoice from a new project (its own customer, or the one named ``customer``),
    issued (open) unless ``state`` says otherwise; returned detached with its customer and
    lines loaded."""
    with transaction(factory) as session:
        project = make_project(
            session,
            lines=lines,
            days=days,
            customer=customer or f"Klant {secrets.token_hex(3)}",
        )
        for pick in project.pick_lines:
            session.get(Product, pick.product_id).category = category
        invoice = invoicing.create_invoice_from_project(
            session=session,
            project_id=project.id,
            free_lines=list(free),
            issue_date=date(2026, 6, 2),
        )
        if state != "draft":
            invoicing.open_invoice(session=session, invoice_id=invoice.id)
        if state == "cancelled":
            invoicing.cancel_invoice(session=session, invoice_id=invoice.id)
        session.refresh(invoice)
        _ = invoice.customer.name, invoice.lines  # loaded before the session ends
        session.expunge_all()
        return invoice


def record_payment(
    factory, invoice: Invoice, *, provider: str = "stripe", amount: int | None = None
):
    """A payment record as the Stripe/Mollie webhook leaves it (no provider call)."""
    with transaction(factory) as session:
        payment = Payment(
            invoice_id=invoice.id,
            provider=provider,
            provider_payment_id=f"{'pi' if provider == 'stripe' else 'tr'}_{secrets.token_hex(6)}",
            idempotency_key=f"test-{secrets.token_hex(8)}",
            method="ideal",
            amount_cents=amount or invoice.total_cents,
            currency="EUR",
            status="paid",
            provider_status="succeeded" if provider == "stripe" else "paid",
            paid_at=datetime(2026, 6, 3, 10, 0, tzinfo=utcnow().tzinfo),
        )
        session.add(payment)
        session.flush()
        payments.recompute_invoice(session=session, invoice_id=invoice.id)
        session.expunge(payment)
        return payment


def record_refund(factory, payment: Payment, amount: int, *, status: str = "succeeded") -> Refund:
    """A refund as the provider's webhook leaves it (no provider call)."""
    with transaction(factory) as session:
        refund = Refund(
            payment_id=payment.id,
            provider=payment.provider,
            provider_refund_id=f"re_{secrets.token_hex(6)}",
            amount_cents=amount,
            status=status,
            done_at=utcnow() if refund_stage(status) == "done" else None,
        )
        session.add(refund)
        row = session.get(Payment, payment.id)
        stage = refund_stage(status)  # as service.apply_snapshot sums them
        if stage == "done":
            row.amount_refunded_cents += amount
        elif stage == "pending":
            row.amount_refund_pending_cents += amount
        session.flush()
        payments.recompute_invoice(session=session, invoice_id=row.invoice_id)
        session.expunge(refund)
        return refund


def record_chargeback(factory, payment: Payment, amount: int) -> Chargeback:
    """A chargeback (Mollie) / lost dispute (Stripe) as the webhook leaves it."""
    with transaction(factory) as session:
        chargeback = Chargeback(
            payment_id=payment.id,
            provider=payment.provider,
            provider_chargeback_id=f"chb_{secrets.token_hex(6)}",
            amount_cents=amount,
        )
        session.add(chargeback)
        row = session.get(Payment, payment.id)
        row.amount_charged_back_cents += amount
        row.dispute_status = "charged_back"
        session.flush()
        payments.recompute_invoice(session=session, invoice_id=row.invoice_id)
        session.expunge(chargeback)
        return chargeback


def reverse_chargeback(factory, chargeback: Chargeback) -> None:
    with transaction(factory) as session:
        row = session.get(Chargeback, chargeback.id)
        row.reversed, row.reversed_at = True, utcnow()
        payment = session.get(Payment, row.payment_id)
        payment.amount_charged_back_cents -= row.amount_cents
        payment.dispute_status = "reversed"
        session.flush()
        payments.recompute_invoice(session=session, invoice_id=payment.invoice_id)
