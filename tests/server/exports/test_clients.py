"""Client rules with ``httpx.MockTransport``: pacing from headers, what is (never) retried."""

from __future__ import annotations

import uuid

import httpx
import pytest

from server.exports.documents import ExportCustomer
from server.exports.models import Target
from server.exports.targets.exact.client import ExactClient
from server.exports.targets.http import OutcomeUnknown, Rejected, Unavailable
from server.exports.targets.mapping import Mapping
from server.exports.targets.moneybird.client import MoneybirdClient
from server.exports.targets.ratelimit import WindowLimiter

CUSTOMER = ExportCustomer(id="c1", ref="C00001", name="Podiumverhuur Noord")


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _mapping(target):
    return Mapping(target, {21: "1", 9: "2", 0: "3"}, {"*": "9"}, "V", "L")


def _moneybird(handler, clock=None) -> MoneybirdClient:
    client = MoneybirdClient(
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        base_url="http://mb.test/api/v2",
        administration_id="123",
        token="t",
        mapping=_mapping(Target.MONEYBIRD),
    )
    if clock:
        client.limiters = [WindowLimiter(150, 300, clock=clock, sleep=clock.sleep)]
        client.sleep = clock.sleep
    return client


class Tokens:
    def access_token(self, *, force: bool = False) -> str:
        return "at"


def _exact(handler, clock) -> ExactClient:
    client = ExactClient(
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        base_url="http://exact.test",
        division="1",
        tokens=Tokens(),
        mapping=_mapping(Target.EXACT),
    )
    client.limiters = [
        WindowLimiter(60, 60, clock=clock, sleep=clock.sleep),
        WindowLimiter(5000, 86400, clock=clock, sleep=clock.sleep),
    ]
    client.sleep = clock.sleep
    return client


def test_window_limiter_never_exceeds_its_limit():
    clock = FakeClock()
    limiter = WindowLimiter(3, 10, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(7):
        limiter.acquire()
        sent.append(clock.now)
        limiter.record()
    for i in range(3, 7):
        assert sent[i] - sent[i - 3] >= 10
    assert limiter.seconds_for(2) == 0  # two slots still free in this window
    assert limiter.seconds_for(6) == pytest.approx(20)  # 2 now, then 3 + 1 in two windows


def test_moneybird_429_waits_until_the_epoch_in_retry_after():
    clock = FakeClock()
    answers = iter([429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 429:
            return httpx.Response(
                429, json={"error": "slow down"}, headers={"Retry-After": str(int(clock.now) + 42)}
            )
        return httpx.Response(200, json={"id": "77", "customer_id": "C00001"})

    client = _moneybird(handler, clock)
    assert client.find_contact(CUSTOMER) == "77"
    assert client.throttled == 1 and client.calls == 2
    assert sum(clock.slept) == pytest.approx(42)  # an epoch time, not 42 s from "now" twice


def test_moneybird_remaining_zero_blocks_until_reset():
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404,
            json={"error": "not found"},
            headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(clock.now) + 100)},
        )

    client = _moneybird(handler, clock)
    assert client.find_contact(CUSTOMER) is None
    assert client.find_contact(CUSTOMER) is None
    assert sum(clock.slept) == pytest.approx(100)


def test_a_4xx_is_never_retried_and_a_post_5xx_is_outcome_unknown():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if request.method == "POST":
            return httpx.Response(422, json={"error": {"company_name": ["can't be blank"]}})
        return httpx.Response(503)

    client = _moneybird(handler, FakeClock())
    with pytest.raises(Rejected) as exc:
        client.create_contact(CUSTOMER)
    assert exc.value.status == 422 and "can't be blank" in exc.value.message
    assert seen == ["POST"]
    with pytest.raises(Unavailable):
        client.find_contact(CUSTOMER)  # GETs are retried (3 times), then given up
    assert seen.count("GET") == 4

    def server_error(request):
        return httpx.Response(502)

    with pytest.raises(OutcomeUnknown):
        _moneybird(server_error, FakeClock()).create_contact(CUSTOMER)

    def timeout(request):
        raise httpx.ReadTimeout("lost", request=request)

    with pytest.raises(OutcomeUnknown):
        _moneybird(timeout, FakeClock()).create_contact(CUSTOMER)


def test_exact_reads_minutely_reset_in_epoch_milliseconds():
    clock = FakeClock()
    answers = []

    def handler(request: httpx.Request) -> httpx.Response:
        answers.append(clock.now)
        headers = {
            "X-RateLimit-Minutely-Remaining": "0",
            "X-RateLimit-Minutely-Reset": str(int((clock.now + 30) * 1000)),
            "X-RateLimit-Remaining": "4000",
            "X-RateLimit-Reset": str(int((clock.now + 50000) * 1000)),
        }
        return httpx.Response(
            200, json={"d": {"results": [{"ID": str(uuid.UUID(int=1))}]}}, headers=headers
        )

    client = _exact(handler, clock)
    client.find_contact(CUSTOMER)
    client.find_contact(CUSTOMER)
    assert answers[1] - answers[0] == pytest.approx(30)  # not 30,000 s and not 0.03 s


def test_exact_error_shape_and_odata_paging():
    pages = {
        None: {
            "d": {
                "results": [{"ID": "a"}],
                "__next": "http://exact.test/api/v1/1/crm/Accounts?$skiptoken=1",
            }
        },
        "1": {"d": {"results": [{"ID": "b"}]}},
    }
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        if request.method == "POST":
            return httpx.Response(
                400,
                json={
                    "error": {
                        "code": "",
                        "message": {"lang": "", "value": "Code: max 18 characters"},
                    }
                },
            )
        return httpx.Response(200, json=pages[request.url.params.get("$skiptoken")])

    client = _exact(handler, FakeClock())
    assert [r["ID"] for r in client._rows("/crm/Accounts", {"$filter": "x"})] == ["a", "b"]
    with pytest.raises(Rejected) as exc:
        client.create_contact(CUSTOMER)
    assert exc.value.message.endswith("Code: max 18 characters")
    assert len(requests) == 3
