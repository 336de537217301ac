"""Issue 13 item 5 and the bench's 101 %: 429 loops are capped and read every form of
``Retry-After``; Exact's errors per endpoint per hour are counted across runs (in the
database) so a run stops before Exact's block; no window of the provider's length ever
holds more calls than its limit. Runs on SQLite and PostgreSQL over real loopback HTTP."""

from __future__ import annotations

import random
import time
from email.utils import formatdate

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from server.db import transaction
from server.exports.documents import ExportCustomer, ListSource
from server.exports.models import ExportEndpointError, RunStatus, Target
from server.exports.service import run_export
from server.exports.targets.http import RateLimited, retry_after_epoch
from server.exports.targets.mapping import Mapping
from server.exports.targets.moneybird.client import MoneybirdClient
from server.exports.targets.ratelimit import WindowLimiter
from tests.helpers.fakes.moneybird import FakeMoneybird
from tests.helpers.fakes.serving import max_calls_in_window, serve
from tests.server.exports.conftest import MB_LEDGER, MB_TAX, make_documents


def test_retry_after_is_read_in_every_form():
    now = 1_800_000_000.0
    assert retry_after_epoch("120", now) == now + 120  # seconds to wait (RFC 9110)
    assert retry_after_epoch("1800000300", now) == 1_800_000_300  # epoch (Moneybird)
    assert retry_after_epoch("1800000300000", now) == 1_800_000_300  # epoch ms (Exact)
    date = formatdate(now + 30, usegmt=True)  # HTTP-date
    assert retry_after_epoch(date, now) == now + 30
    for junk in (None, "", "soon", "-5", "nan", "inf"):
        assert retry_after_epoch(junk, now) is None


class Throttler:
    """A stub API that answers 429 ``refusals`` times with the given ``Retry-After``."""

    def __init__(self, refusals: int, retry_after) -> None:
        self.refusals, self.retry_after, self.requests = refusals, retry_after, 0
        self.app = FastAPI()

        @self.app.get("/123/contacts/customer_id/{ref}")
        def contact(ref: str):
            self.requests += 1
            if self.requests <= self.refusals:
                header = self.retry_after() if callable(self.retry_after) else self.retry_after
                return JSONResponse({"error": "Too many requests"}, 429, {"Retry-After": header})
            return {"id": "42"}


def _moneybird(url: str, http: httpx.Client) -> tuple[MoneybirdClient, list[float]]:
    client = MoneybirdClient(
        http=http,
        base_url=url,
        administration_id="123",
        token="t",
        mapping=Mapping(
            Target.MONEYBIRD, {int(k): v for k, v in MB_TAX.items()}, MB_LEDGER, "", ""
        ),
    )
    # The limiter's clock moves when it sleeps: waits are recorded, not slept.
    now, waits = [time.time()], []
    limiter = client.limiters[0]
    limiter._clock = lambda: max(now[0], time.time())
    limiter._sleep = lambda seconds: (waits.append(seconds), now.__setitem__(0, now[0] + seconds))
    return client, waits


@pytest.mark.parametrize(
    "retry_after",
    ["2", lambda: formatdate(time.time() + 2, usegmt=True), lambda: str(int(time.time()) + 2)],
    ids=["seconds", "http-date", "epoch"],
)
def test_a_429_waits_as_told_in_any_form_then_goes_on(retry_after, http):
    stub = Throttler(2, retry_after)
    with serve(stub.app) as url:
        client, waits = _moneybird(url, http)
        assert client.find_contact(ExportCustomer(id="c", ref="C1", name="K")) == "42"
    assert stub.requests == 3 and client.throttled == 2
    # Told "2" as seconds, not as the epoch second 2 (which is long past: no wait at all).
    assert sum(waits) >= 2.0


def test_the_429_loop_is_capped(http):
    stub = Throttler(10**6, "1")
    with serve(stub.app) as url:
        client, _waits = _moneybird(url, http)
        with pytest.raises(RateLimited, match="still answered 429 after 5 waits"):
            client.find_contact(ExportCustomer(id="c", ref="C1", name="K"))
    assert stub.requests == 6


def test_a_429_asking_for_hours_stops_the_run_with_the_reason(
    session_factory, export_settings, http, moneybird_spec
):
    fake = FakeMoneybird(spec_path=moneybird_spec, limit=3, window=10**7)
    with serve(fake.app) as url:
        settings = export_settings.model_copy(
            update={"moneybird_base_url": url, "moneybird_window_seconds": 300.0}
        )
        run = run_export(
            session_factory=session_factory,
            settings=settings,
            target=Target.MONEYBIRD,
            source=ListSource(make_documents(4, customers=1)),
            http=http,
        )
    assert run.status in (RunStatus.FAILED, RunStatus.PARTIAL)
    assert "run again later" in run.message and run.report["stopped"]
    assert run.exported == 1  # what went out stays out; the run did not wait for days
    assert fake.throttled <= 1


def _refused_run(session_factory, settings, http):
    return run_export(
        session_factory=session_factory,
        settings=settings,
        target=Target.EXACT,
        source=ListSource(make_documents(6, customers=1)),
        http=http,
    )


def test_exact_errors_per_endpoint_are_counted_across_runs_and_stop_before_the_block(
    session_factory, export_settings, http, fake_exact
):
    fake_exact.vat_codes.pop("1")  # every document (it has a 9 % line) is refused
    stops = []
    for _ in range(4):
        run = _refused_run(session_factory, export_settings, http)
        assert run.status == RunStatus.FAILED
        stops.append(run.message)
    # Runs 1-3: three refusals each, then the per-run stop; run 4 makes no call there.
    assert all("refusals from /salesentry/SalesEntries" in m for m in stops[:3])
    assert "9 errors from exact /salesentry/SalesEntries in the last hour" in stops[3]
    assert "blocks an app at 10" in stops[3]
    assert fake_exact.posts["entries"] == 0 and fake_exact.blocked == 0
    assert len(fake_exact.errors["/api/v1/12345/salesentry/SalesEntries"]) == 9
    with transaction(session_factory) as session:
        stored = session.execute(
            select(func.count()).select_from(ExportEndpointError).where(
                ExportEndpointError.endpoint == "/salesentry/SalesEntries"
            )
        ).scalar_one()
    assert stored == 9


def test_errors_older_than_the_hour_no_longer_count(
    session_factory, export_settings, http, fake_exact
):
    fake_exact.vat_codes.pop("1")
    settings = export_settings.model_copy(update={"exact_hour_seconds": 1.0})
    fake_exact.hour = 1.0
    for _ in range(3):
        _refused_run(session_factory, settings, http)
    time.sleep(1.1)  # the hour passes (scaled); the next run may try the endpoint again
    fake_exact.vat_codes["1"] = 9
    run = _refused_run(session_factory, settings, http)
    assert run.status == RunStatus.SUCCEEDED, run.message


@pytest.mark.parametrize("latency", [0.0, 0.013, "random"])
def test_no_window_of_the_limits_length_holds_more_than_the_limit(latency):
    clock = [1000.0]
    limiter = WindowLimiter(
        5,
        10.0,
        clock=lambda: clock[0],
        sleep=lambda s: clock.__setitem__(0, clock[0] + s),
    )
    rng = random.Random(13)
    sent = []
    for _ in range(200):
        limiter.acquire()
        sent.append(clock[0])
        clock[0] += rng.uniform(0, 0.05) if latency == "random" else latency
        limiter.record()
    # The old limiter let the 6th call go at exactly oldest + 10 s: 6 in a closed 10 s window.
    assert max_calls_in_window(sent, 10.0) == 5
