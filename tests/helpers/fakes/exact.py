"""A strict fake Exact Online: OAuth2 with 10-minute access tokens and single-use,
rotating refresh tokens (a refresh while the access token has more than 30 s left is
refused, as Exact does), the authorization-code exchange of the first connection, OData
pages of 60 with ``d.__next``, 60 calls/minute and 5,000/day reported in epoch
milliseconds, a block after 10 errors per endpoint per hour, and Exact's error shape
``{"error": {"code", "message": {"lang", "value"}}}``. Time is scalable.

Amounts are answered the way Exact's JSON writes them: a whole amount as a bare integer
(``12``), otherwise a float (``12.5``). A credit note is a sales entry with negative
amounts, and ``Type`` (20/21) is Exact's reading of that sign (docs/exports.md).

Request bodies are checked against the entities' property names and types as Exact's own
.NET SDK declares them (exactonline/exactonline-api-dotnet-client, ``ExactOnline.Client.
Models``): an unknown property or a GUID that is not one is refused the way Exact's OData
layer refuses it ("Error processing request stream ..."). What we verified, and from where,
is in docs/exports.md.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from server.exports.documents import vat_cents
from server.money import MoneyError, to_cents
from tests.helpers.fakes.serving import (
    FixedWindow,
    PostGate,
    max_calls_in_window,
    refuse_production,
)

PAGE = 60
_TERM = re.compile(r"^(trim\()?(\w+)\)? (eq|gt|ge) (?:guid|datetime)?'((?:[^']|'')*)'$")
_INT_TERM = re.compile(r"^(\w+) eq (-?\d+)$")

# Property names per entity, from the SDK models (SalesEntry/, FinancialTransaction/).
SALES_ENTRY = frozenset(
    "AmountDC AmountFC BatchNumber Created Creator CreatorFullName Currency Customer "
    "CustomerName Description Division Document DocumentNumber DocumentSubject DueDate "
    "EntryDate EntryID EntryNumber ExternalLinkDescription ExternalLinkReference "
    "GAccountAmountFC InvoiceNumber IsExtraDuty Journal JournalDescription Modified Modifier "
    "ModifierFullName OrderNumber PaymentCondition PaymentConditionDescription "
    "PaymentReference ProcessNumber Rate ReportingPeriod ReportingYear Reversal "
    "SalesEntryLines Status StatusDescription Type TypeDescription VATAmountDC VATAmountFC "
    "WithholdingTaxAmountDC WithholdingTaxBaseAmount WithholdingTaxPercentage YourRef".split()
)
SALES_ENTRY_LINE = frozenset(
    "AmountDC AmountFC Asset AssetDescription CostCenter CostCenterDescription CostUnit "
    "CostUnitDescription Description Division EntryID ExtraDutyAmountFC ExtraDutyPercentage "
    "From GLAccount GLAccountCode GLAccountDescription ID IntraStatArea IntraStatCountry "
    "IntraStatDeliveryTerm IntraStatTransactionA IntraStatTransportMethod LineNumber Notes "
    "Project ProjectDescription Quantity SerialNumber StatisticalNetWeight StatisticalNumber "
    "StatisticalQuantity StatisticalValue Subscription SubscriptionDescription TaxSchedule To "
    "TrackingNumber TrackingNumberDescription Type VATAmountDC VATAmountFC VATBaseAmountDC "
    "VATBaseAmountFC VATCode VATCodeDescription VATPercentage".split()
)
BANK_ENTRY = frozenset(
    "BankEntryLines BankStatementDocument BankStatementDocumentNumber "
    "BankStatementDocumentSubject ClosingBalanceFC Created Currency Division EntryID "
    "EntryNumber FinancialPeriod FinancialYear JournalCode JournalDescription Modified "
    "OpeningBalanceFC Status StatusDescription".split()
)
BANK_ENTRY_LINE = frozenset(
    "Account AccountCode AccountName AmountDC AmountFC AmountVATFC Asset AssetCode "
    "AssetDescription CostCenter CostCenterDescription CostUnit CostUnitDescription Created "
    "Creator CreatorFullName Date Description Division Document DocumentNumber "
    "DocumentSubject EntryID EntryNumber ExchangeRate GLAccount GLAccountCode "
    "GLAccountDescription ID LineNumber Modified Modifier ModifierFullName Notes OffsetID "
    "OurRef Project ProjectCode ProjectDescription Quantity VATCode VATCodeDescription "
    "VATPercentage VATType".split()
)
# crm/Accounts (CRM/Account.cs): the address, ChamberOfCommerce, VATNumber and Country
# (a code) are plain strings there.
ACCOUNT = frozenset(
    "Accountant AccountManager AccountManagerFullName AccountManagerHID ActivitySector "
    "ActivitySubSector AddressLine1 AddressLine2 AddressLine3 BankAccounts Blocked BRIN "
    "BusinessType CanDropShip ChamberOfCommerce City Classification Classification1 "
    "Classification2 Classification3 Classification4 Classification5 Classification6 "
    "Classification7 Classification8 ClassificationDescription Code CodeAtSupplier "
    "CompanySize ConsolidationScenario ControlledDate Costcenter CostcenterDescription "
    "CostPaid Country CountryName Created Creator CreatorFullName CreditLinePurchase "
    "CreditLineSales Currency CustomerSince DatevCreditorCode DatevDebtorCode "
    "DiscountPurchase DiscountSales Division Document DunsNumber Email EndDate "
    "EstablishedDate Fax GLAccountPurchase GLAccountSales GLAP GLAR GlnNumber "
    "HasWithholdingTaxSales ID IgnoreDatevWarningMessage IntraStatArea IntraStatDeliveryTerm "
    "IntraStatSystem IntraStatTransactionA IntraStatTransactionB IntraStatTransportMethod "
    "InvoiceAccount InvoiceAccountCode InvoiceAccountName InvoiceAttachmentType "
    "InvoicingMethod IsAccountant IsAgency IsAnonymised IsBank IsCompetitor IsExtraDuty "
    "IsMailing IsMember IsPilot IsPurchase IsReseller IsSales IsSupplier Language "
    "LanguageDescription Latitude LeadPurpose LeadSource Logo LogoFileName LogoThumbnailUrl "
    "LogoUrl Longitude MainContact Modified Modifier ModifierFullName Name OINNumber Parent "
    "PayAsYouEarn PaymentConditionPurchase PaymentConditionPurchaseDescription "
    "PaymentConditionSales PaymentConditionSalesDescription Phone PhoneExtension Postcode "
    "PriceList PurchaseCurrency PurchaseCurrencyDescription PurchaseLeadDays PurchaseVATCode "
    "PurchaseVATCodeDescription RecepientOfCommissions Remarks Reseller ResellerCode "
    "ResellerName RSIN SalesCurrency SalesCurrencyDescription SalesTaxSchedule "
    "SalesTaxScheduleCode SalesTaxScheduleDescription SalesVATCode SalesVATCodeDescription "
    "SearchCode SecurityLevel SeparateInvPerProject SeparateInvPerSubscription "
    "ShippingLeadDays ShippingMethod StartDate State StateName Status StatusSince TradeName "
    "Type UniqueTaxpayerReference VATLiability VATNumber Website".split()
)
GUID_PROPERTIES = frozenset({"Account", "Customer", "GLAccount", "EntryID", "Document"})
INT_PROPERTIES = frozenset({"OurRef", "Type", "EntryNumber", "InvoiceNumber"})
ACCOUNT_GUIDS = frozenset(
    "Accountant AccountManager ActivitySector ActivitySubSector BusinessType CompanySize "
    "Document GLAccountPurchase GLAccountSales GLAP GLAR InvoiceAccount LeadPurpose "
    "LeadSource MainContact Parent PriceList Reseller ShippingMethod".split()
)
# Edm.String in CRM/Account.cs (those the export sends).
ACCOUNT_STRINGS = frozenset(
    "Name Email VATNumber AddressLine1 Postcode City Country ChamberOfCommerce".split()
)
ACCOUNT_INTS = frozenset(
    "AccountManagerHID InvoiceAttachmentType InvoicingMethod PurchaseLeadDays SecurityLevel "
    "ShippingLeadDays".split()
)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": "", "message": {"lang": "", "value": message}}}, status)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cents(value) -> int:
    """A request amount in cents; a sub-cent or non-finite one is ``MoneyError``."""
    return to_cents(value)


def _amount(cents: int) -> int | float:
    """Cents as Exact's JSON writes an amount: ``12`` when whole, else ``12.5``."""
    return cents // 100 if cents % 100 == 0 else cents / 100


ENDPOINT_KEY = re.compile(r"\(guid'[^']*'\)$")


def endpoint_of(path: str) -> str:
    """The endpoint an error is counted against: the entity set, without a key."""
    return ENDPOINT_KEY.sub("", path)


def _unknown_properties(
    body,
    allowed: frozenset[str],
    entity: str,
    guids: frozenset[str] = GUID_PROPERTIES,
    ints: frozenset[str] = INT_PROPERTIES,
) -> JSONResponse | None:
    """Exact's OData layer refuses a payload with a property its entity does not have, or
    a value it cannot convert (picqer/exact-php-client#595 shows the GUID case)."""
    if not isinstance(body, dict):
        return _error(400, f"Error processing request stream. {entity}: object expected")
    for name, value in body.items():
        if name not in allowed:
            return _error(
                400,
                f"Error processing request stream. The property name '{name}' specified for "
                f"type 'Exact.Web.Api.Models.{entity}' is not valid.",
            )
        if value is None:
            continue
        if name in guids:
            try:
                uuid.UUID(str(value))
            except ValueError:
                return _error(
                    400,
                    "Error processing request stream. Error encountered in converting the "
                    f"value from request payload for property '{name}' to type 'Guid'",
                )
        if name in ints and (not isinstance(value, int) or isinstance(value, bool)):
            return _error(
                400,
                "Error processing request stream. Error encountered in converting the value "
                f"from request payload for property '{name}' to type 'Int32'",
            )
    return None


def _match(row: dict, query: str) -> bool:
    for term in filter(None, (t.strip() for t in query.split(" and "))):
        if number := _INT_TERM.match(term):
            if row.get(number.group(1)) != int(number.group(2)):
                return False
            continue
        found = _TERM.match(term)
        if not found:
            raise ValueError(f"unsupported filter term: {term}")
        trim, field, op, value = found.groups()
        value = value.replace("''", "'")
        have = str(row.get(field, ""))
        if trim:
            have = have.strip()
        if op == "eq" and have != value:
            return False
        if op == "gt" and not have > value:
            return False
        if op == "ge" and not have >= value:
            return False
    return True


class FakeExact:
    def __init__(
        self,
        *,
        division: str = "12345",
        client_id: str = "exact-client",
        client_secret: str = "exact-secret",
        per_minute: int = 60,
        per_day: int = 5000,
        minute: float = 60.0,
        day: float = 86400.0,
        token_lifetime: float = 600.0,
        refresh_window: float = 30.0,
        hour: float = 3600.0,
        errors_per_hour: int = 10,
        vat_codes: dict[str, int] | None = None,
        gl_accounts: set[str] | None = None,
    ) -> None:
        refuse_production()
        self.division = division
        self.client_id = client_id
        self.client_secret = client_secret
        self.minutely = FixedWindow(per_minute, minute)
        self.daily = FixedWindow(per_day, day)
        self.token_lifetime = token_lifetime
        self.refresh_window = refresh_window  # a refresh is allowed this close to expiry
        self.hour = hour
        self.errors_per_hour = errors_per_hour
        self.errors: dict[str, list[float]] = {}  # endpoint -> times of error answers
        self.blocked = 0  # calls refused because their endpoint is blocked
        self.authorization_codes = {"ac-initial"}  # single use, as OAuth2 codes are
        self.redirect_uri = "http://localhost/exact/callback"
        self.request_times: list[float] = []  # when each counted call arrived
        # 21 %, 9 %, 0 %, and 0 % codes for AE, O, E, K, G (reverse charge, outside scope, ...)
        self.vat_codes = vat_codes or {"2": 21, "1": 9, "0": 0, **{c: 0 for c in "45678"}}
        self.gl_accounts = gl_accounts or {str(uuid.UUID(int=8000 + i)) for i in range(2)}
        self.refresh_token = "rt-initial"
        self.access_token: str | None = None
        self.access_expires = 0.0
        self.refreshes = 0
        self.refused_refreshes = 0
        self.lock = threading.Lock()
        self.accounts: dict[str, dict] = {}
        self.entries: dict[str, dict] = {}
        self.bank_lines: dict[str, dict] = {}
        self.open_items: dict[int, int] = {}  # sales EntryNumber -> cents still open
        self.requests = 0
        self.throttled = 0
        self.posts = {"accounts": 0, "entries": 0, "payments": 0}
        self.contact_updates = 0  # PUTs of an account: not counted as posts
        self.entry_numbers: dict[str, int] = {}  # per journal: the last EntryNumber given
        self.bank_journals = {"20"}
        self.receivables_gl = str(uuid.UUID(int=8002))  # a type 20 (accounts receivable) GL
        self.entry_gate = PostGate()  # hold a sales entry POST's answer (crash tests)
        self.bank_gate = PostGate()  # ... and a bank entry's
        self.app = self._build()

    def open_amount(self, your_ref: str) -> int:
        """Cents the customer still owes on our document ``your_ref`` (negative: we owe)."""
        entry = next(e for e in self.entries.values() if e["YourRef"] == your_ref)
        return self.open_items[entry["EntryNumber"]]

    def _blocked(self, endpoint: str, now: float) -> bool:
        recent = [t for t in self.errors.get(endpoint, []) if t > now - self.hour]
        self.errors[endpoint] = recent
        return len(recent) >= self.errors_per_hour

    def entry_count_by_ref(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.entries.values():
            counts[entry["YourRef"]] = counts.get(entry["YourRef"], 0) + 1
        return counts

    def _now_modified(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}"

    def _page(self, request: Request, rows: list[dict]) -> dict:
        skip = int(request.query_params.get("$skiptoken", "0"))
        chunk = rows[skip : skip + PAGE]
        select = request.query_params.get("$select")
        if select:
            keep = set(select.split(","))
            chunk = [{k: v for k, v in r.items() if k in keep} for r in chunk]
        data: dict = {"results": chunk}
        if skip + PAGE < len(rows):
            params = {k: v for k, v in request.query_params.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(skip + PAGE)
            base = str(request.base_url).rstrip("/") + request.url.path
            data["__next"] = f"{base}?{urlencode(params, safe='$')}"
        return {"d": data}

    def _build(self) -> FastAPI:
        app = FastAPI()
        fake = self
        api = f"/api/v1/{self.division}"

        @app.middleware("http")
        async def gate(request: Request, call_next):
            if request.url.path in ("/api/oauth2/token", "/_fake/stats"):
                return await call_next(request)
            fake.requests += 1
            endpoint = endpoint_of(request.url.path)
            now = time.time()
            if fake._blocked(endpoint, now):
                fake.blocked += 1  # Exact blocks the app on this endpoint for the hour
                return _error(403, f"Too many errors on {endpoint}: blocked for an hour")
            auth = request.headers.get("authorization", "")
            if not fake.access_token or auth != f"Bearer {fake.access_token}":
                fake.errors.setdefault(endpoint, []).append(now)
                return _error(401, "Invalid access token")
            if now >= fake.access_expires:
                fake.errors.setdefault(endpoint, []).append(now)
                return _error(401, "Access token expired")
            ok_min, rem_min, reset_min = fake.minutely.hit(now)
            ok_day, rem_day, reset_day = fake.daily.hit(now) if ok_min else (True, 0, 0.0)
            headers = {
                "X-RateLimit-Minutely-Limit": str(fake.minutely.limit),
                "X-RateLimit-Minutely-Remaining": str(rem_min),
                "X-RateLimit-Minutely-Reset": str(int(reset_min * 1000)),
                "X-RateLimit-Limit": str(fake.daily.limit),
                "X-RateLimit-Remaining": str(rem_day),
                "X-RateLimit-Reset": str(int(reset_day * 1000)),
            }
            if not (ok_min and ok_day):
                fake.throttled += 1
                response = _error(429, "API rate limit exceeded")
                response.headers.update(headers)
                return response
            fake.request_times.append(now)
            try:
                response = await call_next(request)
            except ValueError as exc:  # an unsupported filter, an amount we cannot read
                response = _error(400, str(exc))
            if 400 <= response.status_code:
                fake.errors.setdefault(endpoint, []).append(now)
            response.headers.update(headers)
            return response

        @app.post("/api/oauth2/token")
        async def token(request: Request):
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            with fake.lock:
                if (
                    form.get("client_id") != fake.client_id
                    or form.get("client_secret") != fake.client_secret
                ):
                    return JSONResponse({"error": "invalid_client"}, 400)
                if form.get("grant_type") == "authorization_code":
                    # The first connection: a code from the consent page, used once.
                    if (
                        form.get("code") not in fake.authorization_codes
                        or form.get("redirect_uri") != fake.redirect_uri
                    ):
                        return JSONResponse({"error": "invalid_grant"}, 400)
                    fake.authorization_codes.discard(form["code"])
                elif (
                    form.get("grant_type") != "refresh_token"
                    or form.get("refresh_token") != fake.refresh_token
                ):
                    fake.refused_refreshes += 1
                    return JSONResponse({"error": "invalid_grant"}, 400)
                elif fake.access_token and fake.access_expires - time.time() > fake.refresh_window:
                    # Exact accepts a refresh only in the last 30 s of the access token.
                    fake.refused_refreshes += 1
                    return JSONResponse(
                        {
                            "error": "invalid_request",
                            "error_description": "The access token is still valid: refresh "
                            "it at most 30 seconds before it expires.",
                        },
                        400,
                    )
                else:
                    fake.refreshes += 1
                fake.access_token = "at-" + secrets.token_hex(8)
                fake.refresh_token = "rt-" + secrets.token_hex(8)
                fake.access_expires = time.time() + fake.token_lifetime
                return {
                    "access_token": fake.access_token,
                    "token_type": "bearer",
                    "expires_in": str(int(fake.token_lifetime)),
                    "refresh_token": fake.refresh_token,
                }

        @app.get("/_fake/stats")
        def stats():  # for the benchmark, which runs the fake in another process
            refs = fake.entry_count_by_ref()
            return {
                "requests": fake.requests,
                "throttled": fake.throttled,
                "posts": fake.posts,
                "contact_updates": fake.contact_updates,
                "documents": len(refs),
                "duplicates": sum(n - 1 for n in refs.values()),
                "refresh_token": fake.refresh_token,
                "blocked": fake.blocked,
                "max_calls_per_minute_window": max_calls_in_window(
                    fake.request_times, fake.minutely.window
                ),
                "max_calls_per_day_window": max_calls_in_window(
                    fake.request_times, fake.daily.window
                ),
                "open_items": {str(k): v for k, v in fake.open_items.items()},
            }

        @app.get(api + "/crm/Accounts")
        def accounts(request: Request):
            query = request.query_params.get("$filter", "")
            return fake._page(request, [a for a in fake.accounts.values() if _match(a, query)])

        @app.post(api + "/crm/Accounts")
        async def create_account(request: Request):
            body = await request.json()
            if bad := _unknown_properties(body, ACCOUNT, "Account", ACCOUNT_GUIDS, ACCOUNT_INTS):
                return bad
            if not isinstance(body.get("Name"), str) or not body["Name"]:
                return _error(400, "Name: mandatory")
            code = body.get("Code")
            if code is not None and (not isinstance(code, str) or len(code) > 18):
                return _error(400, "Code: max 18 characters")
            if body.get("Status") not in (None, "A", "S", "C", "P"):
                return _error(400, "Status: invalid value")
            with fake.lock:
                if code and any(a["Code"].strip() == code for a in fake.accounts.values()):
                    return _error(400, f"Code {code} already exists")
                row = {**body, "ID": str(uuid.uuid4()), "Code": (code or "").rjust(18)}
                fake.accounts[row["ID"]] = row
                fake.posts["accounts"] += 1
            return JSONResponse({"d": row}, 201)

        @app.put(api + "/crm/Accounts(guid'{account_id}')")
        async def update_account(account_id: str, request: Request):
            # PUT changes the properties given and answers 204 without a body.
            body = await request.json()
            if bad := _unknown_properties(body, ACCOUNT, "Account", ACCOUNT_GUIDS, ACCOUNT_INTS):
                return bad
            for name in ("ID", "Code"):  # the key, and our ref we find accounts by
                if name in body:
                    return _error(400, f"{name}: cannot be changed")
            if "Name" in body and (not isinstance(body["Name"], str) or not body["Name"]):
                return _error(400, "Name: mandatory")
            for name, value in body.items():
                if name in ACCOUNT_STRINGS and not isinstance(value, str | None):
                    return _error(400, f"{name}: string expected")
            with fake.lock:
                row = fake.accounts.get(account_id)
                if row is None:
                    return _error(404, "Account: not found")
                row.update(body)
                fake.contact_updates += 1
            return Response(status_code=204)

        @app.get(api + "/salesentry/SalesEntries")
        def entries(request: Request):
            query = request.query_params.get("$filter", "")
            rows = [e for e in fake.entries.values() if _match(e, query)]
            if "SalesEntryLines" not in request.query_params.get("$expand", ""):
                rows = [{k: v for k, v in r.items() if k != "SalesEntryLines"} for r in rows]
            return fake._page(request, rows)

        @app.post(api + "/salesentry/SalesEntries")
        async def create_entry(request: Request):
            body = await request.json()
            if bad := _unknown_properties(body, SALES_ENTRY, "SalesEntry"):
                return bad
            problems = []
            if body.get("Customer") not in fake.accounts:
                problems.append("Customer: not found")
            if not isinstance(body.get("Journal"), str):
                problems.append("Journal: mandatory")
            lines = body.get("SalesEntryLines")
            if not isinstance(lines, list) or not lines:
                problems.append("SalesEntryLines: mandatory")
            out_lines = []
            try:
                for line in lines or []:
                    if bad := _unknown_properties(line, SALES_ENTRY_LINE, "SalesEntryLine"):
                        return bad
                    if line.get("GLAccount") not in fake.gl_accounts:
                        problems.append("GLAccount: not found")
                    if str(line.get("VATCode")) not in fake.vat_codes:
                        problems.append("VATCode: not found")
                    if not _is_number(line.get("AmountFC")):
                        problems.append("AmountFC: number expected")
                        continue
                    net = _cents(line["AmountFC"])
                    if "VATAmountFC" in line:
                        # Like GeneralJournalEntryLine.AmountVATFC: "If you want to set this
                        # in a POST you have to specify VATCode as well".
                        if not _is_number(line["VATAmountFC"]) or "VATCode" not in line:
                            problems.append("VATAmountFC: a number, and only with a VATCode")
                            continue
                        vat = _cents(line["VATAmountFC"])
                        if vat and net and (vat < 0) != (net < 0):
                            problems.append("VATAmountFC: must have the sign of AmountFC")
                    else:  # Exact's own calculation: per line
                        rate = fake.vat_codes.get(str(line.get("VATCode")), 0)
                        vat = vat_cents(abs(net), rate) * (-1 if net < 0 else 1)
                    out_lines.append(
                        {**line, "AmountFC": _amount(net), "VATAmountFC": _amount(vat)}
                    )
            except MoneyError as exc:
                problems.append(f"amount: {exc}")
            net_total = sum(_cents(line["AmountFC"]) for line in out_lines)
            vat_total = sum(_cents(line["VATAmountFC"]) for line in out_lines)
            # Exact: "In case of a credit invoice the amount should have negative value when
            # retrieved or posted"; Type is read-only (GET), Exact's reading of the sign.
            entry_type = 21 if net_total + vat_total < 0 else 20
            if "Type" in body and body["Type"] != entry_type:
                problems.append(
                    f"Type {body['Type']}: the amounts make this a "
                    + ("credit note (21)" if entry_type == 21 else "sales entry (20)")
                    + "; a credit note's amounts are negative"
                )
            if problems:
                return _error(400, "; ".join(problems))
            with fake.lock:
                number = fake.entry_numbers.get(body["Journal"], 26_000_000) + 1
                fake.entry_numbers[body["Journal"]] = number
                row = {
                    **body,
                    "EntryID": str(uuid.uuid4()),
                    "EntryNumber": number,
                    "Type": entry_type,
                    "AmountFC": _amount(net_total + vat_total),
                    "VATAmountFC": _amount(vat_total),
                    "Modified": fake._now_modified(),
                    "SalesEntryLines": {"results": out_lines},
                }
                fake.entries[row["EntryID"]] = row
                fake.open_items[number] = net_total + vat_total
                fake.posts["entries"] += 1
            await fake.entry_gate.hold()
            return JSONResponse({"d": row}, 201)

        @app.post(api + "/financialtransaction/BankEntries")
        async def create_bank_entry(request: Request):
            # BankEntry: JournalCode and BankEntryLines are mandatory (docs/exports.md).
            body = await request.json()
            if bad := _unknown_properties(body, BANK_ENTRY, "BankEntry"):
                return bad
            lines = body.get("BankEntryLines")
            if not isinstance(body.get("JournalCode"), str) or not isinstance(lines, list):
                return _error(400, "JournalCode and BankEntryLines: mandatory")
            if body["JournalCode"] not in fake.bank_journals:
                return _error(400, f"Journal {body['JournalCode']}: not a bank journal")
            if not lines:
                return _error(400, "BankEntryLines: at least one line")
            for line in lines:
                if bad := _unknown_properties(line, BANK_ENTRY_LINE, "BankEntryLine"):
                    return bad
                gl = line.get("GLAccount")
                if gl not in fake.gl_accounts | {fake.receivables_gl}:
                    return _error(400, "GLAccount: mandatory, not found")
                if "Account" in line:
                    if line["Account"] not in fake.accounts:
                        return _error(400, "Account: not found")
                    # The customer's open item lives on a GL of type 20 (Receivable.GLAccount:
                    # "Must be of type 20 (Accounts receivable)").
                    if gl != fake.receivables_gl:
                        return _error(400, "GLAccount: must be an accounts receivable account")
                if not _is_number(line.get("AmountFC")):
                    return _error(400, "AmountFC: mandatory number")
            try:
                amounts = [_cents(line["AmountFC"]) for line in lines]
                opening, closing = body.get("OpeningBalanceFC"), body.get("ClosingBalanceFC")
                # "Opening balance plus all bank entry lines should result in the closing
                # balance" (BankEntries): a line's AmountFC is what it adds to the bank
                # account, positive for money received, negative for money paid out.
                if opening is not None and closing is not None:
                    if _cents(opening) + sum(amounts) != _cents(closing):
                        return _error(400, "ClosingBalanceFC: must be OpeningBalanceFC + lines")
            except MoneyError as exc:
                return _error(400, f"amount: {exc}")
            with fake.lock:
                entry_id = str(uuid.uuid4())
                number = fake.entry_numbers.get(body["JournalCode"], 26_200_000) + 1
                fake.entry_numbers[body["JournalCode"]] = number
                for line, cents in zip(lines, amounts, strict=True):
                    # Money received settles the customer's open item it names (OurRef);
                    # money paid out (a refund) opens it again.
                    if line.get("Account") and line.get("OurRef") in fake.open_items:
                        fake.open_items[line["OurRef"]] -= cents
                    row = {
                        **line,
                        "AmountFC": _amount(cents),
                        "ID": str(uuid.uuid4()),
                        "EntryID": entry_id,
                        "EntryNumber": number,
                        "Modified": fake._now_modified(),
                    }
                    fake.bank_lines[row["ID"]] = row
                fake.posts["payments"] += 1
            await fake.bank_gate.hold()
            return JSONResponse(
                {
                    "d": {
                        "EntryID": entry_id,
                        "EntryNumber": number,
                        "JournalCode": body["JournalCode"],
                    }
                },
                201,
            )

        @app.get(api + "/financialtransaction/BankEntryLines")
        def bank_lines(request: Request):
            query = request.query_params.get("$filter", "")
            return fake._page(request, [r for r in fake.bank_lines.values() if _match(r, query)])

        return app
