"""Defect 8: nobody can grow the database through the webhook routes. Rejected deliveries
keep metadata, a digest and a 1 KiB prefix; each source is rate-limited (429 with
Retry-After), rejected deliveries far more tightly. Valid deliveries are kept in full."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from server.app import create_app
from server.payments.models import ProviderEvent
from server.payments.ratelimit import TokenBucket, WebhookLimits
from server.payments.webhooks import MAX_HEADER_STORED, MAX_REJECTED_BODY_STORED

URL = "/api/v1/webhooks/stripe"
BIG = 256 * 1024


def _bad_delivery(i: int) -> tuple[bytes, dict[str, str]]:
    body = b'{"id": "evt_%d", "pad": "' % i + b"x" * BIG + b'"}'
    headers = {
        "Stripe-Signature": "t=1,v1=" + "0" * 64,
        "Content-Type": "application/json",
        "User-Agent": "u" * 8000,
    }
    return body, headers


def _stored_size(session_factory) -> tuple[int, int]:
    """(rows, characters of body and headers stored): the table's growth."""
    with session_factory() as session:
        rows = session.scalars(select(ProviderEvent)).all()
        return len(rows), sum(len(r.body) + len(str(r.headers)) for r in rows)


def _app(settings, **limits):
    return create_app(settings.model_copy(update=limits))


def _frozen_limits(app, deliveries: float, rejected: float) -> None:
    """The app's limits on a clock that stands still: no bucket refills during a test,
    however slow the machine (no wall-clock dependence)."""
    clock = _Clock()
    app.state.webhook_limits = WebhookLimits(
        deliveries=TokenBucket(deliveries, clock=clock), rejected=TokenBucket(rejected, clock=clock)
    )


def test_rejected_deliveries_are_stored_bounded(settings, session_factory):
    count = 20  # the flood: 20 requests once added 7 MB
    app = _app(settings, webhook_rejected_rate_limit=1000.0)
    with TestClient(app) as client:
        for i in range(count):
            body, headers = _bad_delivery(i)
            assert client.post(URL, content=body, headers=headers).status_code == 400
    rows, size = _stored_size(session_factory)
    assert rows == count
    # Each row: a 1 KiB body prefix and capped headers, not 256 KiB.
    per_row = MAX_REJECTED_BODY_STORED + 3 * MAX_HEADER_STORED + 200
    assert size <= count * per_row < count * BIG // 20
    with session_factory() as session:
        row = session.scalars(select(ProviderEvent)).first()
    original = _bad_delivery(int(row.body.split('"evt_')[1].split('"')[0]))[0]
    assert row.outcome == "rejected"
    assert row.body_bytes == len(original)
    assert row.body_sha256 == hashlib.sha256(original).hexdigest()
    assert original.decode().startswith(row.body)
    assert len(row.headers["user-agent"]) == MAX_HEADER_STORED


def test_a_source_sending_rejected_deliveries_gets_429_and_stores_nothing(
    settings, session_factory
):
    app = _app(settings)
    _frozen_limits(app, deliveries=1000.0, rejected=5.0)
    with TestClient(app, client=("203.0.113.66", 1)) as attacker:
        statuses = []
        for i in range(20):
            body, headers = _bad_delivery(i)
            statuses.append(attacker.post(URL, content=body, headers=headers))
    codes = [r.status_code for r in statuses]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}, codes
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    assert statuses[-1].json()["error"]["code"] == "too_many_requests"
    rows, size = _stored_size(session_factory)
    assert rows == 5 and size <= 5 * (MAX_REJECTED_BODY_STORED + 3 * MAX_HEADER_STORED + 200)
    # Another source (Stripe's own addresses) is not throttled by the attacker.
    other = TestClient(app, client=("54.187.174.169", 1))
    body, headers = _bad_delivery(99)
    assert other.post(URL, content=body, headers=headers).status_code == 400


def test_deliveries_are_rate_limited_per_source(settings, session_factory, fake_stripe, pay):
    app = _app(settings)
    _frozen_limits(app, deliveries=3.0, rejected=5.0)
    event = fake_stripe.succeed(pay("stripe")["provider_payment_id"])
    with TestClient(app, client=("203.0.113.7", 1)) as client:
        answers = []
        for _ in range(4):  # Stripe's retries of one event: processed, then duplicates
            body, headers = fake_stripe.signed(event)
            answers.append(client.post(URL, content=body, headers=headers))
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429 and int(answers[3].headers["Retry-After"]) >= 1
    other = TestClient(app, client=("203.0.113.8", 1))
    body, headers = fake_stripe.signed(event)
    assert other.post(URL, content=body, headers=headers).status_code == 200
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProviderEvent)) == 4  # not 5


def test_valid_deliveries_are_kept_in_full(client, fake_stripe, pay, session_factory):
    pi_id = pay("stripe")["provider_payment_id"]
    event = fake_stripe.succeed(pi_id)
    event["data"]["object"]["description"] = "d" * 4000  # a body well past the reject prefix
    body, headers = fake_stripe.signed(event)
    assert client.post(URL, content=body, headers=headers).status_code == 200
    with session_factory() as session:
        (row,) = session.scalars(select(ProviderEvent)).all()
    assert row.outcome == "processed" and row.body == body.decode()
    assert row.body_bytes == len(body) and row.body_sha256 == hashlib.sha256(body).hexdigest()


def test_limits_come_from_the_settings(settings):
    """~500 deliveries/s from loopback (bench/payments_webhooks.py) fit the default."""
    assert settings.webhook_rate_limit >= 500
    app = _app(settings, webhook_rate_limit=7.0, webhook_rejected_rate_limit=2.0)
    limits = app.state.webhook_limits
    assert (limits.deliveries.rate, limits.rejected.rate) == (7.0, 2.0)


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("rate", [1.0, 5.0])
def test_token_bucket(rate):
    clock = _Clock()
    bucket = TokenBucket(rate, clock=clock, max_keys=2)
    burst = int(max(1, rate))
    assert [bucket.take("a") for _ in range(burst)] == [0.0] * burst
    assert bucket.take("a") == pytest.approx(1 / rate)
    assert bucket.wait("a") == pytest.approx(1 / rate)  # waiting takes nothing
    assert bucket.take("b") == 0.0  # per key
    clock.now += 1 / rate
    assert bucket.take("a") == 0.0  # refilled
    bucket.take("c")  # a third key: the least recently seen one ("b") is forgotten
    assert "b" not in bucket._buckets and len(bucket._buckets) == 2


def test_migration_cuts_rejected_bodies_already_stored(fresh_database_url):
    """Upgrading to 0016 shrinks the flood already in the table; valid deliveries stay whole."""
    from sqlalchemy import create_engine, text

    from server.migrations import downgrade, upgrade

    upgrade(fresh_database_url, "0011_customer_details")
    engine = create_engine(fresh_database_url)
    insert_event = text(
        "INSERT INTO provider_events (id, provider, received_at, headers, body, outcome, "
        "detail, attempts) VALUES (:id, 'stripe', CURRENT_TIMESTAMP, '{}', :body, :outcome, "
        "'', 1)"
    )
    big = "x" * BIG
    try:
        with engine.begin() as conn:
            conn.execute(insert_event, {"id": "a" * 32, "body": big, "outcome": "rejected"})
            conn.execute(insert_event, {"id": "b" * 32, "body": big, "outcome": "processed"})
        upgrade(fresh_database_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT outcome, length(body) FROM provider_events"))
            sizes = {outcome: size for outcome, size in rows}
        assert sizes == {"rejected": MAX_REJECTED_BODY_STORED, "processed": BIG}
        downgrade(fresh_database_url, "0011_customer_details")
    finally:
        engine.dispose()
