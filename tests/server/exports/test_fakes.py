"""The fakes are strict: they refuse what the real services refuse."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.fakes import moneybird as moneybird_fake
from tests.helpers.fakes.exact import FakeExact
from tests.helpers.fakes.moneybird import SPEC_VERSION, FakeMoneybird, openapi_path
from tests.helpers.fakes.serving import serve

REPO = Path(__file__).resolve().parents[3]


def _mb(fake, method, path, **kwargs):
    return httpx.request(
        method,
        f"{fake.url}/{fake.administration_id}/{path}",
        headers={"Authorization": f"Bearer {fake.token}"},
        timeout=10,
        **kwargs,
    )


def test_the_moneybird_openapi_file_is_in_the_repository_at_its_noted_version():
    """A fresh clone has it: the Moneybird tests run everywhere instead of skipping."""
    path = openapi_path()
    assert path.is_relative_to(REPO / "tests")
    assert f"version: {SPEC_VERSION}" in path.read_text(encoding="utf-8")[:2000]
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert SPEC_VERSION in readme
    noted = re.search(r"SHA-256\*\*: `([0-9a-f]{64})`", readme)
    assert noted and hashlib.sha256(path.read_bytes()).hexdigest() == noted[1]


def test_a_missing_moneybird_openapi_file_is_an_error_not_a_skip(monkeypatch, tmp_path):
    monkeypatch.setattr(moneybird_fake, "SPEC_PATH", tmp_path / "gone.yml")
    with pytest.raises(FileNotFoundError, match="belongs to the repository"):
        openapi_path()


def test_moneybird_validates_bodies_against_the_official_openapi_file(fake_moneybird):
    contact = _mb(
        fake_moneybird,
        "POST",
        "contacts.json",
        json={"contact": {"company_name": "A", "customer_id": "C1"}},
    )
    assert contact.status_code == 201
    cid = contact.json()["id"]

    unknown_field = _mb(
        fake_moneybird,
        "POST",
        "external_sales_invoices.json",
        json={"external_sales_invoice": {"contact_id": cid, "reference": "X", "colour": "red"}},
    )
    assert unknown_field.status_code == 422
    assert "colour" in str(unknown_field.json()["error"])

    wrong_type = _mb(
        fake_moneybird,
        "POST",
        "external_sales_invoices.json",
        json={"external_sales_invoice": {"contact_id": "not-a-number", "reference": "X"}},
    )
    assert wrong_type.status_code == 422
    assert set(wrong_type.json()) == {"error", "details"}  # Moneybird's 422 shape

    inv = _mb(
        fake_moneybird,
        "POST",
        "external_sales_invoices.json",
        json={
            "external_sales_invoice": {
                "contact_id": cid,
                "reference": "INV-1",
                "details_attributes": [
                    {
                        "description": "Huur",
                        "price": "100.00",
                        "tax_rate_id": "1001",
                        "ledger_account_id": "2001",
                    }
                ],
            }
        },
    )
    assert inv.status_code == 201, inv.text
    missing_required = _mb(
        fake_moneybird,
        "POST",
        f"external_sales_invoices/{inv.json()['id']}/payments.json",
        json={"payment": {"price": "121.00"}},
    )
    assert missing_required.status_code == 422
    assert "payment_date" in str(missing_required.json()["error"])


def test_moneybird_rate_limit_headers_are_epoch_times(moneybird_spec):
    fake = FakeMoneybird(spec_path=moneybird_spec, limit=3, window=3600)
    with serve(fake.app) as url:
        fake.url = url
        answers = [_mb(fake, "GET", "contacts/customer_id/none.json") for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    reset = int(answers[0].headers["RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 3601
    assert answers[3].headers["Retry-After"] == str(reset)
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]


def test_exact_oauth_rotates_refresh_tokens_and_refuses_early_or_reused(fake_exact):
    token_url = f"{fake_exact.url}/api/oauth2/token"
    form = {
        "grant_type": "refresh_token",
        "client_id": fake_exact.client_id,
        "client_secret": fake_exact.client_secret,
    }
    first = httpx.post(token_url, data={**form, "refresh_token": "rt-initial"})
    assert first.status_code == 200 and first.json()["expires_in"] == "600"
    # reused (single-use) and early refreshes are refused
    assert httpx.post(token_url, data={**form, "refresh_token": "rt-initial"}).status_code == 400
    early = httpx.post(token_url, data={**form, "refresh_token": first.json()["refresh_token"]})
    assert early.status_code == 400 and "still valid" in early.text
    # expired access token: 401 in Exact's error shape
    fake_exact.access_expires = time.time() - 1
    expired = httpx.get(
        f"{fake_exact.url}/api/v1/{fake_exact.division}/crm/Accounts",
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
    )
    assert expired.status_code == 401
    assert expired.json()["error"]["message"]["value"] == "Access token expired"


def test_exact_pages_of_60_and_minutely_limit_in_epoch_ms():
    fake = FakeExact(per_minute=5, minute=3600)  # a long 'minute': no rollover mid-test
    fake.access_token, fake.access_expires = "at", time.time() + 600
    for i in range(130):
        fake.accounts[str(i)] = {"ID": str(i), "Code": f"{i:>18}", "Name": f"n{i}"}
    with serve(fake.app) as url:
        headers = {"Authorization": "Bearer at"}
        page = httpx.get(f"{url}/api/v1/{fake.division}/crm/Accounts", headers=headers).json()
        assert len(page["d"]["results"]) == 60 and "$skiptoken=60" in page["d"]["__next"]
        page2 = httpx.get(page["d"]["__next"], headers=headers).json()
        page3 = httpx.get(page2["d"]["__next"], headers=headers)
        assert len(page3.json()["d"]["results"]) == 10 and "__next" not in page3.json()["d"]
        reset_ms = int(page3.headers["X-RateLimit-Minutely-Reset"])
        assert time.time() * 1000 < reset_ms <= (time.time() + 3601) * 1000
        answers = [
            httpx.get(f"{url}/api/v1/{fake.division}/crm/Accounts", headers=headers)
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json()["error"]["message"]["value"] == "API rate limit exceeded"


def test_fakes_refuse_to_run_in_production(monkeypatch, moneybird_spec):
    monkeypatch.setenv("RENTGUY_ENVIRONMENT", "production")
    with pytest.raises(RuntimeError, match="production"):
        FakeExact()
    with pytest.raises(RuntimeError, match="production"):
        FakeMoneybird(spec_path=moneybird_spec)


def test_exact_refuses_bank_and_sales_entries_as_its_odata_layer_does():
    """Property names and types as Exact's own SDK declares them (docs/exports.md): an
    unknown property, a GUID that is not one, a customer line off the receivables account,
    a VAT amount without a VAT code -- each a 400 in Exact's error shape, nothing stored."""
    fake = FakeExact()
    fake.access_token, fake.access_expires = "at", time.time() + 600
    customer = "00000000-0000-0000-0000-00000000c001"
    fake.accounts[customer] = {"ID": customer, "Code": "C1".rjust(18), "Name": "Klant"}
    rent, _other = sorted(fake.gl_accounts)
    line = {
        "Account": customer,
        "GLAccount": fake.receivables_gl,
        "OurRef": 26000001,
        "AmountFC": 121.0,
        "Date": "2026-06-03",
        "Description": "pay-1 2026-00001",
    }
    with serve(fake.app) as url:
        api = f"{url}/api/v1/{fake.division}"
        headers = {"Authorization": "Bearer at"}

        def bank(**changes):
            body = {"JournalCode": "20", "BankEntryLines": [{**line, **changes}]}
            return httpx.post(f"{api}/financialtransaction/BankEntries", json=body, headers=headers)

        def message(answer):
            assert answer.status_code == 400, answer.text
            return answer.json()["error"]["message"]["value"]

        wrong_name = bank(AccountID=customer)  # what our client used to send
        assert "The property name 'AccountID' specified for type" in message(wrong_name)
        assert "to type 'Guid'" in message(bank(GLAccount="1300"))
        assert "to type 'Int32'" in message(bank(OurRef="2026-00001"))
        assert "accounts receivable" in message(bank(GLAccount=rent))
        no_journal = httpx.post(
            f"{api}/financialtransaction/BankEntries",
            json={"BankEntryLines": [line]},
            headers=headers,
        )
        assert "JournalCode" in message(no_journal)
        assert fake.bank_lines == {}
        ok = bank()
        assert ok.status_code == 201 and ok.json()["d"]["EntryNumber"]
        (stored,) = fake.bank_lines.values()
        found = httpx.get(
            f"{api}/financialtransaction/BankEntryLines",
            params={"$filter": "Description eq 'pay-1 2026-00001'", "$select": "ID,AmountFC"},
            headers=headers,
        ).json()["d"]["results"]
        assert found == [{"ID": stored["ID"], "AmountFC": 121.0}]

        entry = {
            "Journal": "70",
            "Customer": customer,
            "Type": 20,
            "YourRef": "2026-00001",
            "SalesEntryLines": [{"GLAccount": rent, "AmountFC": 100.0, "VATCode": "2"}],
        }
        sales = f"{api}/salesentry/SalesEntries"
        unknown = {**entry, "InvoiceRef": "x"}
        assert "'InvoiceRef'" in message(httpx.post(sales, json=unknown, headers=headers))
        no_code = {
            **entry,
            "SalesEntryLines": [{"GLAccount": rent, "AmountFC": 100.0, "VATAmountFC": 21.0}],
        }
        assert "VATAmountFC" in message(httpx.post(sales, json=no_code, headers=headers))
        made = httpx.post(sales, json=entry, headers=headers).json()["d"]
        assert made["EntryNumber"] and made["SalesEntryLines"]["results"][0]["VATAmountFC"] == 21.0


def test_exact_accounts_take_the_sdk_properties_only():
    """crm/Accounts: ChamberOfCommerce, Postcode, ... as CRM/Account.cs names them; a name
    Exact does not have (KvK, Zipcode) or a GUID that is not one is refused, nothing stored."""
    fake = FakeExact()
    fake.access_token, fake.access_expires = "at", time.time() + 600
    account = {
        "Code": "R1",
        "Name": "Podiumbouw Noord B.V.",
        "Status": "C",
        "AddressLine1": "Stationsplein 12",
        "Postcode": "9726 AE",
        "City": "Groningen",
        "Country": "NL",
        "ChamberOfCommerce": "87654321",
        "VATNumber": "NL009876543B01",
    }
    with serve(fake.app) as url:
        accounts = f"{url}/api/v1/{fake.division}/crm/Accounts"
        headers = {"Authorization": "Bearer at"}
        for wrong in ({"KvK": "87654321"}, {"Zipcode": "9726 AE"}, {"MainContact": "jan"}):
            answer = httpx.post(accounts, json={**account, **wrong}, headers=headers)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["message"]["value"].startswith(
                "Error processing request stream."
            )
        assert fake.accounts == {}
        made = httpx.post(accounts, json=account, headers=headers)
        assert made.status_code == 201 and made.json()["d"]["ChamberOfCommerce"] == "87654321"


def test_moneybird_contacts_take_address_kvk_and_vat(fake_moneybird):
    contact = {
        "company_name": "Podiumbouw Noord B.V.",
        "customer_id": "R1",
        "address1": "Stationsplein 12",
        "zipcode": "9726 AE",
        "city": "Groningen",
        "country": "NL",
        "chamber_of_commerce": "87654321",
        "tax_number": "NL009876543B01",
    }
    made = _mb(fake_moneybird, "POST", "contacts.json", json={"contact": contact})
    assert made.status_code == 201 and made.json()["chamber_of_commerce"] == "87654321"
    wrong = _mb(fake_moneybird, "POST", "contacts.json", json={"contact": {**contact, "kvk": "1"}})
    assert wrong.status_code == 422 and "kvk" in wrong.text
    number = {**contact, "chamber_of_commerce": 87654321}  # a string in the OpenAPI file
    assert _mb(fake_moneybird, "POST", "contacts.json", json={"contact": number}).status_code == 422
