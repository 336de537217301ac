"""Admin routes for customers, invoices and credit notes (thin: services do the work)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import select

from server.deps import InvoicesReader, InvoicesWriter, PagingDep, SessionDep
from server.invoicing import service
from server.invoicing.models import Customer, Invoice
from server.invoicing.schemas import (
    CreditNoteCreate,
    CreditNoteRead,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    InvoiceFromProject,
    InvoiceRead,
)
from server.paging import Page, paged

router = APIRouter(prefix="/api/v1", tags=["invoicing"])


def _free(lines):
    return [service.FreeLine(**line.model_dump()) for line in lines]


@router.post("/customers", response_model=CustomerRead, status_code=201)
def create_customer(body: CustomerCreate, session: SessionDep, actor: InvoicesWriter) -> Customer:
    """Create a customer (409 when the name exists)."""
    return service.create_customer(session=session, details=body.model_dump(), actor=actor)


@router.get("/customers", response_model=Page[CustomerRead])
def list_customers(session: SessionDep, _: InvoicesReader, paging: PagingDep) -> Page[CustomerRead]:
    """Customers by name."""
    by_name = select(Customer).order_by(Customer.name, Customer.id)
    return paged(session, by_name, paging, CustomerRead.model_validate)


@router.get("/customers/{customer_id}", response_model=CustomerRead)
def read_customer(customer_id: uuid.UUID, session: SessionDep, _: InvoicesReader) -> Customer:
    return service.get_customer(session=session, customer_id=customer_id)


@router.patch("/customers/{customer_id}", response_model=CustomerRead)
def update_customer(
    customer_id: uuid.UUID,
    body: CustomerUpdate,
    session: SessionDep,
    actor: InvoicesWriter,
) -> Customer:
    """Change the fields sent (``null`` clears one); the result must be a valid customer
    as a whole, else 422 naming the field (a stored postcode that does not fit a new
    country, say)."""
    customer = service.get_customer(session=session, customer_id=customer_id)
    merged = {**service.customer_details(customer), **body.model_dump(exclude_unset=True)}
    try:
        details = CustomerCreate.model_validate(merged).model_dump()
    except ValidationError as exc:
        errors = [{**err, "loc": ("body", *err["loc"])} for err in exc.errors()]
        raise RequestValidationError(errors) from None
    return service.update_customer(session=session, customer=customer, details=details, actor=actor)


@router.post("/invoices/from-project", response_model=InvoiceRead, status_code=201)
def create_from_project(
    body: InvoiceFromProject, session: SessionDep, _: InvoicesWriter
) -> Invoice:
    """A numbered draft invoice from a project's pick list plus free lines."""
    return service.create_invoice_from_project(
        session=session,
        project_id=body.project_id,
        customer_id=body.customer_id,
        free_lines=_free(body.free_lines),
        rental_vat_rate=body.rental_vat_rate,
        rental_vat_category=body.rental_vat_category,
        rental_vat_exemption_reason=body.rental_vat_exemption_reason,
        issue_date=body.issue_date,
    )


@router.get("/invoices", response_model=Page[InvoiceRead])
def list_invoices(
    session: SessionDep,
    _: InvoicesReader,
    paging: PagingDep,
    state: str | None = Query(default=None, max_length=20),
) -> Page[InvoiceRead]:
    """Invoices, newest number first."""
    newest_first = service.invoices_query(state=state)
    return paged(session, newest_first, paging, InvoiceRead.model_validate)


@router.get("/invoices/{invoice_id}", response_model=InvoiceRead)
def read_invoice(invoice_id: uuid.UUID, session: SessionDep, _: InvoicesReader) -> Invoice:
    """One invoice with its lines and payment totals."""
    return service.get_invoice(session=session, invoice_id=invoice_id)


@router.post("/invoices/{invoice_id}/open", response_model=InvoiceRead)
def open_invoice(invoice_id: uuid.UUID, session: SessionDep, _: InvoicesWriter) -> Invoice:
    """draft → open."""
    return service.open_invoice(session=session, invoice_id=invoice_id)


@router.post("/invoices/{invoice_id}/cancel", response_model=InvoiceRead)
def cancel_invoice(invoice_id: uuid.UUID, session: SessionDep, _: InvoicesWriter) -> Invoice:
    """draft/open → cancelled (only while nothing is paid)."""
    return service.cancel_invoice(session=session, invoice_id=invoice_id)


@router.post("/invoices/{invoice_id}/credit-notes", response_model=CreditNoteRead, status_code=201)
def create_credit_note(
    invoice_id: uuid.UUID, body: CreditNoteCreate, session: SessionDep, _: InvoicesWriter
):
    """A credit note for the whole invoice or the given lines."""
    return service.create_credit_note(
        session=session,
        invoice_id=invoice_id,
        lines=_free(body.lines) if body.lines is not None else None,
        reason=body.reason,
    )
