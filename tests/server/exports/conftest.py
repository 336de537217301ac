"""Export fixtures: the official Moneybird OpenAPI file, the strict fakes on loopback, and
a small in-memory document source (the real one over the invoicing tables is tested in
test_invoicing_source.py)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import pytest
from pydantic import SecretStr

from server.exports.documents import (
    DocumentKind,
    ExportCustomer,
    ExportDocument,
    ExportLine,
    ExportPayment,
    ListSource,
)
from server.exports.ubl.writer import Supplier
from tests.helpers.fakes.exact import FakeExact
from tests.helpers.fakes.moneybird import FakeMoneybird, openapi_path
from tests.helpers.fakes.serving import serve

MB_TAX = {"21": "1001", "9": "1002", "0": "1003"}
MB_LEDGER = {"rental": "2001", "*": "2002"}
EX_VAT = {"21": "2", "9": "1", "0": "0"}
EX_GL = {"rental": str(uuid.UUID(int=8000)), "*": str(uuid.UUID(int=8001))}
EX_RECEIVABLES = str(uuid.UUID(int=8002))
# The seller on UBL files in tests and the bench (all fields SI-UBL 2.0 asks of a Dutch seller).
SUPPLIER = Supplier(
    name="RentGuy Verhuur B.V.",
    kvk="12345678",
    vat_number="NL001234567B01",
    iban="NL91ABNA0417164300",
    street="Havenweg 1",
    city="Utrecht",
    zipcode="3542 AB",
)


@pytest.fixture(scope="session")
def moneybird_spec():
    return openapi_path()  # in the repository; a missing file fails every Moneybird test


@pytest.fixture
def fake_moneybird(moneybird_spec):
    fake = FakeMoneybird(spec_path=moneybird_spec)
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def fake_exact():
    fake = FakeExact()
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def export_settings(settings, fake_moneybird, fake_exact):
    return settings.model_copy(
        update={
            "moneybird_base_url": fake_moneybird.url,
            "moneybird_administration_id": fake_moneybird.administration_id,
            "moneybird_token": SecretStr(fake_moneybird.token),
            "moneybird_tax_rate_ids": MB_TAX,
            "moneybird_ledger_account_ids": MB_LEDGER,
            "exact_base_url": fake_exact.url,
            "exact_division": fake_exact.division,
            "exact_client_id": fake_exact.client_id,
            "exact_client_secret": SecretStr(fake_exact.client_secret),
            "exact_refresh_token": SecretStr(fake_exact.refresh_token),
            "exact_vat_codes": EX_VAT,
            "exact_gl_accounts": EX_GL,
            "exact_receivables_gl_account": EX_RECEIVABLES,
        }
    )


def make_documents(count: int, *, customers: int = 5, credit_every: int = 0):
    custs = [
        ExportCustomer(
            id=f"cust-{i}",
            ref=f"C{i:05d}",
            name=f"Klant {i} B.V.",
            email=f"klant{i}@example.nl",
            city="Utrecht",
        )
        for i in range(customers)
    ]
    docs = []
    start = date(2026, 11, 1)
    for i in range(count):
        credit = credit_every and i % credit_every == credit_every - 1
        docs.append(
            ExportDocument(
                id=f"doc-{i}",
                kind=DocumentKind.CREDIT_NOTE if credit else DocumentKind.INVOICE,
                number=f"{'CN' if credit else 'INV'}-2026-{i:05d}",
                date=start + timedelta(days=i % 20),
                due_date=start + timedelta(days=i % 20 + 14),
                customer=custs[i % customers],
                lines=(
                    ExportLine("Huur line-array K2, 3 dagen", 125000 + i, 21, "rental"),
                    ExportLine("Transport", 8500, 21, "transport"),
                    ExportLine("Catering crew", 4550, 9, "catering"),
                ),
            )
        )
    return docs


def make_payments(docs, count: int):
    return [
        ExportPayment(
            id=f"pay-{i}",
            document_id=docs[i].id,
            date=docs[i].date,
            amount_cents=docs[i].gross_cents(),
        )
        for i in range(count)
    ]


@pytest.fixture
def source():
    docs = make_documents(12, credit_every=4)
    return ListSource(docs, make_payments(docs, 5))


def export_once(session_factory, settings, http, target):
    """Run the export of the database's documents to ``target``; it succeeds."""
    from server.exports.models import RunStatus
    from server.exports.service import run_export
    from server.exports.sources import document_source

    run = run_export(
        session_factory=session_factory,
        settings=settings,
        target=target,
        source=document_source(session_factory),
        http=http,
    )
    assert run.status == RunStatus.SUCCEEDED, run.message
    return run


def export_to_both(session_factory, settings, http) -> list:
    """Export to Moneybird, then Exact; both succeed."""
    from server.exports.models import Target

    return [
        export_once(session_factory, settings, http, target)
        for target in (Target.MONEYBIRD, Target.EXACT)
    ]
