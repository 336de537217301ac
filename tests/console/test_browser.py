"""The console in real Chromium (Debian's package, driven by Playwright) against the real
server on loopback: log in, the live board gets a kiosk's scan, enrol a station, issue and
print a badge, run an export against the strict fake, refund a payment, CSRF and roles.

Every page it opens is saved as a screenshot (``RENTGUY_CONSOLE_SCREENSHOT_DIR``, default
test-output/console) for a person to look at.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import zxingcpp
from pydantic import SecretStr
from sqlalchemy import select

from client.auth import offline_login
from client.store import LocalStore
from client.sync.engine import SyncEngine
from client.timeutil import utc_now
from server.audit.models import AuditEvent
from server.config import Settings
from server.payments.models import Payment, Refund
from server.warehouse.models import ScanReview
from tests.console.conftest import PASSWORD, make_user
from tests.console.live import CHROMIUM, CHROMIUM_ARGS, ThreadedServer, screenshot_dir
from tests.helpers.billing import make_invoice, make_open_invoice
from tests.helpers.fakes import FakeStripe
from tests.helpers.fakes.moneybird import FakeMoneybird, openapi_path
from tests.helpers.fakes.serving import serve

pytestmark = [pytest.mark.e2e]

STRIPE_SECRET = "whsec_console_0123456789"
MB_TAX = {"21": "1001", "9": "1002", "0": "1003"}
MB_LEDGER = {"rental": "2001", "*": "2002"}


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} missing: apt-get install chromium (dev.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def fake_stripe():
    with FakeStripe(webhook_secret=STRIPE_SECRET) as fake:
        yield fake


@pytest.fixture(scope="module")
def fake_moneybird():
    fake = FakeMoneybird(spec_path=openapi_path())
    with serve(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def settings(database_url, fake_stripe, fake_moneybird) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=os.environ["RENTGUY_SECRET_KEY"],
        environment="test",
        log_json=False,
        stripe_api_key=fake_stripe.api_key,
        stripe_api_base=fake_stripe.url,
        stripe_webhook_secrets=STRIPE_SECRET,
        public_base_url="https://rentguy.example",
        moneybird_base_url=fake_moneybird.url,
        moneybird_administration_id=fake_moneybird.administration_id,
        moneybird_token=SecretStr(fake_moneybird.token),
        moneybird_tax_rate_ids=MB_TAX,
        moneybird_ledger_account_ids=MB_LEDGER,
    )


@pytest.fixture
def live(app):
    with ThreadedServer(app) as url:
        yield url


@pytest.fixture
def browser(chromium, live):
    """A fresh browser context (cookies of its own) on the live server; Dutch, tablet-wide."""
    context = chromium.new_context(
        base_url=live, locale="nl-NL", viewport={"width": 1280, "height": 860}
    )
    problems: list[str] = []
    context.problems = problems
    yield context
    context.close()


def open_page(context):
    page = context.new_page()
    # A CSP violation or a script error shows as a console error: none may happen (a page
    # answered 4xx on purpose is logged too: that one is expected).
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and "the server responded with a status of 4" not in m.text
            and context.problems.append(m.text)
        ),
    )
    page.on(
        "response",
        lambda r: (
            "/static/" in r.url
            and r.status >= 400
            and context.problems.append(f"{r.status} {r.url}")
        ),
    )
    page.on("pageerror", lambda e: context.problems.append(str(e)))
    return page


def log_in(context, email: str):
    page = open_page(context)
    page.goto("/console/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(lambda url: "/console/login" not in url)
    return page


def shot(page, name: str, *, full_page: bool = True) -> Path:
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def decode(png: bytes) -> dict[str, str]:
    """Barcodes in a screenshot, read by zxing-cpp (as a kiosk camera would): format → text."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return {
        str(b.format).split(".")[-1].replace(" ", ""): b.text for b in zxingcpp.read_barcodes(image)
    }


def test_login_then_a_kiosk_scan_reaches_the_live_board_within_2_s(
    browser, live, demo, session_factory, tmp_path
):
    admin = make_user(session_factory, "admin")
    page = log_in(browser, admin["email"])
    assert page.url.endswith("/console/board")
    page.locator("#feed-state", has_text="verbonden").wait_for()  # the stream is open

    # The kiosk's own sync client, against the live server.
    engine = SyncEngine(tmp_path / "kiosk.sqlite3", live, lambda: demo["station_token"])
    assert engine.sync_once().ok  # the reference: projects, badges
    store = LocalStore(engine.store_path)
    kiosk = offline_login(store, demo["badge_code"])
    project = store.open_projects()[0]

    def enqueue(code: str) -> str:
        scan = store.enqueue_scan(
            station_id=store.station_id(),
            user_id=kiosk.user_id,
            project_id=project.id,
            mode="out",
            code=code,
            normalized_code=code,
            source="wedge",
            scanned_at=utc_now(),
            local_verdict="ok",
        )
        return str(scan.scan_id)

    scan_id = enqueue(demo["unit_codes"][0])
    started = time.monotonic()
    assert engine.sync_once().ok
    page.wait_for_selector(f'#scan-feed tr[data-scan-id="{scan_id}"]', timeout=2000)
    delay = time.monotonic() - started
    assert delay < 2.0
    assert "verwerkt" in page.inner_text(f'tr[data-scan-id="{scan_id}"]')

    # A scan of a label nobody knows is refused: it waits for review, and is resolved.
    refused = enqueue("UNKNOWN-LABEL-0001")
    assert engine.sync_once().ok
    item = page.wait_for_selector(f"#review-{refused}", timeout=5000)
    item.query_selector("input[name=note]").fill("label torn off; unit found on the shelf")
    item.query_selector("button").click()
    page.wait_for_selector(f"#review-{refused}", state="detached", timeout=5000)
    with session_factory() as session:
        review = session.get(ScanReview, uuid.UUID(refused))
        assert review.resolved_by == admin["id"] and "torn off" in review.note
    shot(page, "board")
    if os.environ.get("RENTGUY_CONSOLE_DOCS_IMG"):  # the README's picture
        page.screenshot(path=os.environ["RENTGUY_CONSOLE_DOCS_IMG"], full_page=True)
    engine.close()
    assert browser.problems == []


def test_enrol_a_station_and_its_qr_code_enrols_a_kiosk(browser, live, session_factory):
    admin = make_user(session_factory, "admin")
    page = log_in(browser, admin["email"])
    page.goto("/console/stations")
    page.get_by_label("Stationsnaam").fill("Kiosk hal 2")
    page.get_by_role("button", name="Code maken").click()
    code = page.inner_text("#enrollment-code")
    shot(page, "stations-enrolled")
    found = decode(page.locator("#enrollment-qr").screenshot())
    assert found.get("QRCode") == code
    # The kiosk's camera reads the code; the server takes it once.
    answer = httpx.post(f"{live}/api/v1/stations/enroll", json={"code": found["QRCode"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Kiosk hal 2"
    page.goto("/console/stations")
    assert "Kiosk hal 2" in page.inner_text("table")
    assert browser.problems == []


def test_issue_a_badge_and_print_its_card(chromium, live, demo, session_factory):
    admin = make_user(session_factory, "admin")
    crew = make_user(session_factory, "crew", email="jan@console.test")
    # Printer-like resolution: at 96 dpi a 0.28 mm bar is under a pixel.
    browser = chromium.new_context(base_url=live, locale="nl-NL", device_scale_factor=4)
    browser.problems = []
    page = log_in(browser, admin["email"])
    page.goto(f"/console/people/{crew['id']}")
    page.get_by_label("Badgelabel").fill("vest")
    page.get_by_role("button", name="Badge uitgeven").click()
    page.wait_for_selector("#badge-card")
    code = page.inner_text("#badge-code")
    found = decode(page.locator("#badge-card").screenshot(scale="device"))
    assert found.get("Code128") == code and found.get("QRCode") == code
    shot(page, "badge-card")
    page.emulate_media(media="print")
    shot(page, "badge-card-print")
    assert not page.locator("header.top").is_visible()  # only the card is printed
    # The printed code logs in at a kiosk.
    answer = httpx.post(
        f"{live}/api/v1/auth/badge",
        json={"badge_code": code},
        headers={"Authorization": f"Bearer {demo['station_token']}"},
    )
    assert answer.status_code == 200 and answer.json()["user"]["name"] == "Crew Tester"
    assert browser.problems == []
    browser.close()


def test_run_an_export_and_watch_the_progress_bar_finish(browser, session_factory):
    for _ in range(3):
        make_invoice(session_factory, lines=[(12_500, 2)])
    admin = make_user(session_factory, "admin")
    page = log_in(browser, admin["email"])
    page.goto("/console/exports")
    page.locator("#f-target").select_option("moneybird")
    page.get_by_role("button", name="Run starten").click()
    page.wait_for_selector("tr.run")
    done = page.wait_for_selector('tr.run[data-status="succeeded"]', timeout=60_000)
    bar = done.query_selector("progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") != "0"
    shot(page, "exports-run-finished")
    done.query_selector("a").click()
    page.wait_for_load_state()
    assert "INV" in page.content() or "2026" in page.content()
    shot(page, "export-report")
    assert browser.problems == []


def test_refund_a_payment(browser, live, fake_stripe, session_factory):
    invoice_id, total = make_open_invoice(session_factory)
    admin = make_user(session_factory, "admin")
    page = log_in(browser, admin["email"])
    page.goto(f"/console/money/invoices/{invoice_id}")
    page.get_by_label("Provider").select_option("stripe")
    page.get_by_role("button", name="Betaallink maken").click()
    page.wait_for_selector("#payment-link")
    with session_factory() as session:
        payment = session.scalar(select(Payment).where(Payment.invoice_id == invoice_id))
    body, headers = fake_stripe.signed(fake_stripe.succeed(payment.provider_payment_id))
    assert (
        httpx.post(f"{live}/api/v1/webhooks/stripe", content=body, headers=headers).status_code
        == 200
    )
    page.reload()
    form = page.locator(f"#payment-{payment.id} form.refund-form")
    form.get_by_label("Bedrag (euro)").fill("abc")
    form.get_by_role("button", name="Terugbetalen").click()
    assert page.locator(f"#refund-amount-{payment.id}-error").is_visible()  # next to it
    form = page.locator(f"#payment-{payment.id} form.refund-form")
    form.get_by_label("Bedrag (euro)").fill("100,00")
    form.get_by_label("Reden").fill("speaker damaged on delivery")
    form.get_by_role("button", name="Terugbetalen").click()
    page.wait_for_selector("text=Terugbetaling aangevraagd.")
    shot(page, "invoice-refunded")
    with session_factory() as session:
        refunds = session.scalars(select(Refund)).all()
        assert [(r.amount_cents, r.initiated_by) for r in refunds] == [(10_000, "admin")]
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "payment.refunded")
        ).all()
        assert [a.actor_user_id for a in audit] == [admin["id"]]
    assert browser.problems == []


def test_a_post_without_csrf_token_is_refused(browser, session_factory):
    admin = make_user(session_factory, "admin")
    page = log_in(browser, admin["email"])
    answer = page.request.post("/console/stations/enrollments", form={"name": "Sneaky"})
    assert answer.status == 403
    page.goto("/console/stations")
    assert "Sneaky" not in page.content()


def test_a_crew_user_is_refused_the_admin_pages(browser, session_factory):
    crew = make_user(session_factory, "crew")
    page = log_in(browser, crew["email"])
    assert "Je rollen geven je geen consolepagina" in page.inner_text("main")
    assert page.locator("header.top nav a").count() == 0
    shot(page, "crew-start")
    for path in ("/console/stations", "/console/people", "/console/money", "/console/audit"):
        answer = page.goto(path)
        assert answer.status == 403, path
        assert "Niet toegestaan" in page.inner_text("h1")
    shot(page, "crew-refused")


def unlabelled(page, path: str) -> None:
    """Every visible form control has a label (``<label for>``, around it, or
    ``aria-label``)."""
    controls = page.locator("input:not([type=hidden]), select, textarea")
    for i in range(controls.count()):
        control = controls.nth(i)
        ident = control.get_attribute("id")
        labelled = (
            control.get_attribute("aria-label")
            or (ident and page.locator(f'label[for="{ident}"]').count() == 1)
            or control.locator("xpath=ancestor::label").count() == 1
        )
        assert labelled, (path, control.get_attribute("name"))


def test_every_page_renders_without_errors(browser, demo, session_factory):
    """A screenshot of each page as an admin sees it (and no CSP or script error)."""
    admin = make_user(session_factory, "admin")
    invoice = make_invoice(session_factory, lines=[(12_500, 2)])
    page = log_in(browser, admin["email"])
    pages = {
        "projects": "/console/projects",
        "project": f"/console/projects/{demo['project_id']}",
        "project-new": "/console/projects/new",
        "inventory-products": "/console/inventory?tab=products",
        "inventory-units": "/console/inventory?tab=units",
        "inventory-cases": "/console/inventory?tab=cases",
        "inventory-queue": "/console/inventory?tab=queue",
        "people": "/console/people",
        "person": f"/console/people/{demo['crew_user_id']}",
        "stations": "/console/stations",
        "money": "/console/money",
        "invoice": f"/console/money/invoices/{invoice.id}",
        "exports": "/console/exports",
        "audit": "/console/audit",
    }
    for name, path in pages.items():
        answer = page.goto(path)
        assert answer.status == 200, (path, answer.status)
        unlabelled(page, path)
        shot(page, name)
    # Keyboard: the first Tab lands on the skip link, which moves focus to the content.
    page.goto("/console/board")
    page.keyboard.press("Tab")
    assert page.locator(":focus").inner_text() == "Naar de inhoud"
    page.goto("/console/inventory?tab=units")
    page.locator("table a").first.click()
    page.wait_for_selector("h1")
    shot(page, "unit")
    # English, chosen per user: it sticks to the user, not to the browser.
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_selector("text=Signed in as")
    shot(page, "unit-en")
    assert browser.problems == []
