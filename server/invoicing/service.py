"""Invoices from projects, gapless numbers, state from payments, credit notes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, lazyload

from server.audit.service import Actor, record, record_update
from server.db import get_or_404, utcnow
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.invoicing import vat as vat_categories
from server.invoicing.models import CreditNote, Customer, DocumentCounter, Invoice, InvoiceLine
from server.invoicing.totals import check_rate, line_net_cents, line_vat_shares
from server.sqlutil import flush_unique, insert_ignore
from server.warehouse.models import Product, Project
from shared.ids import uuid7

FINAL_STATES = {"cancelled"}
# Amounts are INTEGER columns (32-bit on PostgreSQL): EUR 21,474,836.47 per invoice.
MAX_AMOUNT_CENTS = 2**31 - 1


@dataclass(frozen=True)
class FreeLine:
    description: str
    qty: int
    unit_price_cents: int
    vat_rate: int
    days: int = 1
    vat_category: str | None = None  # None: the customer's (``server.invoicing.vat``)
    vat_exemption_reason: str | None = None


def next_number(*, session: Session, series: str, year: int) -> int:
    """The next number of ``series`` in ``year``, gapless.

    The counter row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite transactions
    already hold the write lock from ``BEGIN IMMEDIATE``) until the caller's transaction
    ends, so concurrent creators queue, and a rolled-back creation returns its number.
    """
    insert_ignore(
        session,
        DocumentCounter,
        {"series": series, "year": year, "last_value": 0},
        ["series", "year"],
    )
    counter = session.scalars(
        select(DocumentCounter)
        .where(DocumentCounter.series == series, DocumentCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    counter.last_value += 1
    session.flush()
    return counter.last_value


def _vat(
    position: int,
    customer: Customer,
    rate: int,
    category: str | None,
    reason: str | None,
    regime: vat_categories.VatCategory | None | Literal[False] = False,
) -> tuple[int, str, str | None]:
    """(rate, category, exemption reason) of line ``position`` for ``customer``; ``regime``
    replaces the customer's own category (a credit note follows its invoice)."""
    if regime is False:
        regime = vat_categories.customer_category(customer.country, customer.vat_number)
    try:
        rate, chosen, reason = vat_categories.resolve(
            rate=check_rate(rate),
            category=category,
            reason=reason,
            customer=regime,
            customer_vat_number=customer.vat_number,
        )
    except ValueError as exc:
        raise BadRequest(
            f"line {position}: {exc}",
            code="invalid_vat_category",
            details={"line": position, "vat_rate": rate, "vat_category": category},
        ) from None
    return rate, chosen.value, reason


def _same_document(taxes: list[tuple[int, str, str | None]]) -> None:
    try:
        vat_categories.check_document((category, reason) for _rate, category, reason in taxes)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_vat_category") from None


def get_or_create_customer(*, session: Session, name: str, email: str | None = None) -> Customer:
    """The customer called ``name``, created when missing."""
    name = name.strip()
    if not name:
        raise BadRequest("a customer needs a name")
    # Insert-or-ignore, then read: two invoices for a new customer at once make one customer.
    insert_ignore(
        session,
        Customer,
        {"id": uuid7(), "name": name, "email": email, "country": "NL", "created_at": utcnow()},
        ["name"],
    )
    customer = session.scalars(
        select(Customer).where(Customer.name == name).execution_options(populate_existing=True)
    ).one()
    return customer


CUSTOMER_FIELDS = ("name", "email", "street", "zipcode", "city", "country", "kvk", "vat_number")


def get_customer(*, session: Session, customer_id: uuid.UUID) -> Customer:
    return get_or_404(session, Customer, customer_id, f"no customer {customer_id}")


def customer_details(customer: Customer) -> dict:
    return {key: getattr(customer, key) for key in CUSTOMER_FIELDS}


def _name_free(session: Session, name: str, customer_id: uuid.UUID | None = None) -> None:
    taken = session.scalar(select(Customer.id).where(Customer.name == name))
    if taken is not None and taken != customer_id:
        raise Conflict(f"a customer called {name!r} exists")


def create_customer(*, session: Session, details: dict, actor: Actor | None = None) -> Customer:
    """A customer from validated details (``schemas.CustomerCreate``); 409 on a taken name."""
    _name_free(session, details["name"])
    customer = Customer(**details)
    session.add(customer)
    flush_unique(session, f"a customer called {details['name']!r}")
    record(
        session=session,
        action="customer.created",
        actor=actor,
        target_type="customer",
        target_id=customer.id,
    )
    return customer


def update_customer(
    *, session: Session, customer: Customer, details: dict, actor: Actor | None = None
) -> Customer:
    """Store the customer's validated new details; the audit line names what changed (the
    tax and address fields reach every invoice exported from now on)."""
    if details["name"] != customer.name:
        _name_free(session, details["name"], customer.id)
    record_update(
        session=session,
        row=customer,
        values={k: details[k] for k in CUSTOMER_FIELDS},
        action="customer.updated",
        actor=actor,
        target_type="customer",
        unique_what=f"a customer called {details['name']!r}",
    )
    return customer


def _rental_days(project: Project) -> int:
    # Both ends count: a one-day festival is one day.
    if project.starts_on and project.ends_on:
        return max(1, (project.ends_on - project.starts_on).days + 1)
    return 1


def create_invoice_from_project(
    *,
    session: Session,
    project_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
    free_lines: Sequence[FreeLine] = (),
    rental_vat_rate: int = 21,
    rental_vat_category: str | None = None,
    rental_vat_exemption_reason: str | None = None,
    issue_date: date | None = None,
) -> Invoice:
    """A draft invoice with one rental line per pick line plus ``free_lines``, numbered.

    Each line's VAT category is its override or the customer's (``server.invoicing.vat``);
    a category that is not Dutch VAT makes the line 0 %."""
    project = get_or_404(session, Project, project_id, f"no project {project_id}")
    if customer_id is not None:
        customer = get_or_404(session, Customer, customer_id, f"no customer {customer_id}")
    else:
        customer = get_or_create_customer(session=session, name=project.customer or project.name)
    issue_date = issue_date or utcnow().date()
    specs = _line_specs(
        session,
        project,
        free_lines,
        rental=(rental_vat_rate, rental_vat_category, rental_vat_exemption_reason),
    )
    if not specs:
        raise BadRequest("an invoice needs at least one line (the project has no pick lines)")

    number = next_number(session=session, series="invoice", year=issue_date.year)
    invoice = Invoice(
        number=f"{issue_date.year}-{number:05d}",
        customer_id=customer.id,
        project_id=project.id,
        issue_date=issue_date,
        state="draft",
    )
    nets, taxes = [], []
    for position, (_k, _p, _t, qty, n_days, price, rate, category, reason) in enumerate(specs, 1):
        if qty <= 0 or n_days <= 0 or price < 0:
            raise BadRequest(f"line {position}: qty and days must be > 0, price >= 0")
        tax = _vat(position, customer, rate, category, reason)
        taxes.append(tax)
        nets.append((line_net_cents(qty=qty, days=n_days, unit_price_cents=price), tax[0]))
    _same_document(taxes)
    shares = line_vat_shares(nets)  # VAT once per rate, spread over the lines
    for position, (kind, product_id, text, qty, n_days, price, *_vat_in) in enumerate(specs, 1):
        net, vat = nets[position - 1][0], shares[position - 1]
        rate, category, reason = taxes[position - 1]
        invoice.lines.append(
            InvoiceLine(
                position=position,
                kind=kind,
                product_id=product_id,
                description=text[:300],
                qty=qty,
                days=n_days,
                unit_price_cents=price,
                vat_rate=rate,
                vat_category=category,
                vat_exemption_reason=reason,
                net_cents=net,
                vat_cents=vat,
            )
        )
    invoice.subtotal_cents = sum(line.net_cents for line in invoice.lines)
    invoice.vat_cents = sum(line.vat_cents for line in invoice.lines)
    invoice.total_cents = invoice.subtotal_cents + invoice.vat_cents
    if invoice.total_cents > MAX_AMOUNT_CENTS:
        raise Unprocessable(
            f"the invoice total ({invoice.total_cents} cents) is more than one invoice can "
            f"hold ({MAX_AMOUNT_CENTS} cents): split it",
            code="amount_too_large",
        )
    session.add(invoice)
    session.flush()
    return invoice


# (kind, product id, text, qty, days, unit price, VAT rate, VAT category, exemption reason)
LineSpec = tuple[str, uuid.UUID | None, str, int, int, int, int, str | None, str | None]


def _line_specs(
    session: Session,
    project: Project,
    free_lines: Sequence[FreeLine],
    *,
    rental: tuple[int, str | None, str | None],
) -> list[LineSpec]:
    """One rental line per pick line (by SKU, at ``rental``'s VAT), then the free lines."""
    days = _rental_days(project)
    rental_vat_rate, rental_vat_category, rental_vat_exemption_reason = rental
    specs: list[LineSpec] = []
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(Product.id.in_([pl.product_id for pl in project.pick_lines]))
        )
    }
    for pick in sorted(project.pick_lines, key=lambda pl: products[pl.product_id].sku):
        product = products[pick.product_id]
        specs.append(
            (
                "rental",
                product.id,
                product.name,
                pick.qty,
                days,
                product.day_price_cents,
                rental_vat_rate,
                rental_vat_category,
                rental_vat_exemption_reason,
            )
        )
    for free in free_lines:
        specs.append(
            (
                "free",
                None,
                free.description,
                free.qty,
                free.days,
                free.unit_price_cents,
                free.vat_rate,
                free.vat_category,
                free.vat_exemption_reason,
            )
        )
    return specs


def get_invoice(
    *, session: Session, invoice_id: uuid.UUID, lock: bool = False, lines: bool = True
) -> Invoice:
    """The invoice or NotFound; ``lock`` takes its row lock; ``lines=False`` skips them."""
    stmt = select(Invoice).where(Invoice.id == invoice_id)
    if not lines:
        stmt = stmt.options(lazyload(Invoice.lines))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    invoice = session.scalar(stmt)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice


def open_invoice(*, session: Session, invoice_id: uuid.UUID) -> Invoice:
    """draft → open: the invoice is final and can be paid."""
    invoice = get_invoice(session=session, invoice_id=invoice_id, lock=True)
    if invoice.state != "draft":
        raise Conflict(f"invoice {invoice.number} is {invoice.state}, not draft")
    invoice.state = "open"
    session.flush()
    return invoice


def cancel_invoice(*, session: Session, invoice_id: uuid.UUID) -> Invoice:
    """draft/open → cancelled, only while nothing has been paid."""
    invoice = get_invoice(session=session, invoice_id=invoice_id, lock=True)
    if invoice.state not in ("draft", "open") or invoice.paid_cents:
        raise Conflict(f"invoice {invoice.number} is {invoice.state}; it cannot be cancelled")
    invoice.state = "cancelled"
    session.flush()
    return invoice


def derive_state(
    *, total: int, paid: int, refunded: int, current: str, charged_back: int = 0
) -> str:
    """The invoice state its payment amounts imply (drafts and cancelled ones keep theirs).

    ``refunded`` counts refunds done only. Money held = paid - refunded - charged back;
    more than the total is ``overpaid``, and once the excess is refunded the invoice is
    ``paid`` again (those refunds returned money nobody owed, not part of the invoice).
    """
    if current in ("draft", "cancelled"):
        return current
    if paid > 0 and refunded >= paid:
        return "refunded"
    if paid - refunded - charged_back > total:
        return "overpaid"
    if refunded > 0 and paid - refunded < total:
        return "partially_refunded"
    if paid >= total and paid > 0:
        return "paid"
    if paid > 0:
        return "partially_paid"
    return "open"


def apply_payment_totals(
    *,
    session: Session,
    invoice: Invoice,
    paid: int,
    refunded: int,
    charged_back: int,
    refund_pending: int = 0,
) -> bool:
    """Store the sums of the invoice's payments and its derived state; True when changed."""
    state = derive_state(
        total=invoice.total_cents,
        paid=paid,
        refunded=refunded,
        charged_back=charged_back,
        current=invoice.state,
    )
    before = (
        invoice.paid_cents,
        invoice.refunded_cents,
        invoice.refund_pending_cents,
        invoice.charged_back_cents,
        invoice.state,
    )
    after = (paid, refunded, refund_pending, charged_back, state)
    if before == after:
        return False
    (
        invoice.paid_cents,
        invoice.refunded_cents,
        invoice.refund_pending_cents,
        invoice.charged_back_cents,
        invoice.state,
    ) = after
    session.flush()
    return True


def create_credit_note(
    *,
    session: Session,
    invoice_id: uuid.UUID,
    lines: list[FreeLine] | None = None,
    reason: str = "",
    issue_date: date | None = None,
) -> CreditNote:
    """A credit note for ``lines`` (or the whole invoice), never more than it credits."""
    invoice = get_invoice(session=session, invoice_id=invoice_id, lock=True)
    if invoice.state == "draft":
        raise Conflict("a draft invoice is changed, not credited")
    issue_date = issue_date or utcnow().date()
    if lines is None:
        # The invoice's own line VAT, whatever rule it was issued under: a full credit
        # cancels it to the cent.
        computed: list[dict[str, Any]] = [
            {
                "description": ln.description,
                "net_cents": ln.net_cents,
                "vat_rate": ln.vat_rate,
                "vat_category": ln.vat_category,
                "vat_exemption_reason": ln.vat_exemption_reason,
                "vat_cents": ln.vat_cents,
            }
            for ln in invoice.lines
        ]
    else:
        # A credited line is taxed as the invoice was (or as its override): the customer's
        # details may have changed since, the invoice's VAT did not.
        regime = vat_categories.invoice_regime(ln.vat_category for ln in invoice.lines)
        nets, taxes = [], []
        for i, ln in enumerate(lines, 1):
            if ln.qty <= 0 or ln.days <= 0 or ln.unit_price_cents <= 0:
                raise BadRequest(f"line {i}: qty, days and price must be > 0")
            net = line_net_cents(qty=ln.qty, days=ln.days, unit_price_cents=ln.unit_price_cents)
            tax = _vat(
                i, invoice.customer, ln.vat_rate, ln.vat_category, ln.vat_exemption_reason, regime
            )
            taxes.append(tax)
            nets.append((net, tax[0]))
        _same_document(taxes)
        computed = [
            {
                "description": ln.description,
                "net_cents": net,
                "vat_rate": rate,
                "vat_category": category,
                "vat_exemption_reason": reason,
                "vat_cents": vat,
            }
            for ln, (net, rate), (_r, category, reason), vat in zip(
                lines, nets, taxes, line_vat_shares(nets), strict=True
            )
        ]
    subtotal = sum(c["net_cents"] for c in computed)
    vat = sum(c["vat_cents"] for c in computed)
    already = sum(
        session.scalars(select(CreditNote.total_cents).where(CreditNote.invoice_id == invoice.id))
    )
    if subtotal + vat <= 0:
        raise BadRequest("a credit note needs a positive amount")
    if already + subtotal + vat > invoice.total_cents:
        raise Conflict(
            f"credit notes would exceed the invoice total ({already + subtotal + vat} > "
            f"{invoice.total_cents} cents)"
        )
    number = next_number(session=session, series="credit_note", year=issue_date.year)
    note = CreditNote(
        number=f"C{issue_date.year}-{number:05d}",
        invoice_id=invoice.id,
        reason=reason[:300],
        issue_date=issue_date,
        lines=computed,
        subtotal_cents=subtotal,
        vat_cents=vat,
        total_cents=subtotal + vat,
    )
    session.add(note)
    session.flush()
    return note


def invoices_query(*, state: str | None = None) -> Select[Invoice]:
    """Invoices (in ``state``, if given), newest number first: the API pages it, the
    console too."""
    stmt = select(Invoice).order_by(Invoice.number.desc())
    return stmt.where(Invoice.state == state) if state else stmt
