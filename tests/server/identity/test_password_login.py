"""Password login, lock-out with back-off, and no leaks about which accounts exist."""

from datetime import timedelta

import pytest

from server.db import transaction, utcnow
from server.identity import throttle
from server.identity.models import LoginThrottle
from tests.server.identity.conftest import bearer

PASSWORD = "correct horse battery"


def _login(client, email, password):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_returns_tokens_that_work(client, make_user):
    user_id = make_user(email="Planner@Example.nl", password=PASSWORD, roles=("planner",))
    response = _login(client, "planner@example.nl", PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["user"]["id"] == str(user_id) and body["user"]["roles"] == ["planner"]
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "planner@example.nl"


def test_unknown_and_wrong_answer_the_same(client, make_user):
    make_user(email="known@example.nl", password=PASSWORD)
    make_user(email="nopass@example.nl")  # badge-only user: no password at all
    answers = [
        _login(client, "known@example.nl", "wrong password"),
        _login(client, "nobody@example.nl", "wrong password"),
        _login(client, "nopass@example.nl", "wrong password"),
    ]
    assert {r.status_code for r in answers} == {401}
    assert len({r.json()["error"]["message"] for r in answers}) == 1
    assert len({frozenset(r.headers.keys()) - {"x-request-id"} for r in answers}) == 1


def test_inactive_user_cannot_log_in(client, make_user, admin_headers):
    user_id = make_user(email="gone@example.nl", password=PASSWORD)
    client.delete(f"/api/v1/users/{user_id}", headers=admin_headers)
    response = _login(client, "gone@example.nl", PASSWORD)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid credentials"


@pytest.mark.parametrize("exists", [True, False])
def test_lockout_after_five_failures_same_for_unknown(client, make_user, exists):
    email = "lock@example.nl"
    if exists:
        make_user(email=email, password=PASSWORD)
    for _ in range(throttle.ACCOUNT.threshold):
        assert _login(client, email, "nope nope nope").status_code == 401
    locked = _login(client, email, PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 30
    assert locked.json()["error"]["message"] == throttle.LOCKED_MESSAGE
    # Another account from the same IP is not locked by this one.
    assert _login(client, "other@example.nl", "x").status_code == 401


def test_failed_logins_are_audited_even_though_the_request_failed(client, make_user, admin_headers):
    make_user(email="audit@example.nl", password=PASSWORD)
    _login(client, "audit@example.nl", "bad one")
    _login(client, "audit@example.nl", PASSWORD)
    events = client.get(
        "/api/v1/audit", params={"action": "auth.login"}, headers=admin_headers
    ).json()["items"]
    outcomes = [(e["outcome"], e["details"]["method"]) for e in events]
    assert outcomes == [("ok", "password"), ("failed", "password")]


def test_backoff_grows_and_is_capped():
    policy = throttle.ACCOUNT
    assert throttle.lock_duration(policy, policy.threshold - 1) is None
    first = throttle.lock_duration(policy, policy.threshold)
    assert throttle.lock_duration(policy, policy.threshold + 1) == first * 2
    assert throttle.lock_duration(policy, policy.threshold + 2) == first * 4
    assert throttle.lock_duration(policy, 500) == policy.max_lock


def test_counter_resets_after_quiet_period_and_on_success(session_factory):
    key = [("account:quiet@example.nl", throttle.ACCOUNT)]
    long_ago = utcnow() - throttle.ACCOUNT.forget_after - timedelta(minutes=1)
    with transaction(session_factory) as session:
        for _ in range(4):
            throttle.record_failure(session, key, now=long_ago)
        throttle.record_failure(session, key)  # after a quiet hour: counts from 1 again
        assert session.get(LoginThrottle, key[0][0]).failures == 1
        throttle.record_success(session, [key[0][0]])
    with transaction(session_factory) as session:
        assert session.get(LoginThrottle, key[0][0]).failures == 0


def test_source_ip_locks_after_many_accounts(client):
    for n in range(throttle.SOURCE.threshold):
        assert _login(client, f"spray{n}@example.nl", "guess").status_code == 401
    assert _login(client, "fresh@example.nl", "guess").status_code == 429


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@b.nl"},
        {"email": "a@b.nl", "password": 5},
        {"email": "a@b.nl", "password": "x" * 5000},
        {"email": "a@b.nl", "password": "x", "extra": 1},
        [],
    ],
)
def test_bad_login_bodies_are_4xx(client, body):
    response = client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_every_failure_costs_one_argon2_verify(client, make_user, monkeypatch):
    """Unknown account, no password, wrong password: the same work, so timing leaks nothing."""
    from argon2 import PasswordHasher

    from server.identity import security

    make_user(email="known2@example.nl", password=PASSWORD)
    make_user(email="badgeonly@example.nl")
    calls = []

    class Counting(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 - argon2-cffi's parameter name
            calls.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(
        security,
        "_password_hasher",
        Counting(
            time_cost=security.ARGON2_TIME_COST,
            memory_cost=security.ARGON2_MEMORY_KIB,
            parallelism=security.ARGON2_PARALLELISM,
        ),
    )
    for email in ("known2@example.nl", "nobody2@example.nl", "badgeonly@example.nl"):
        calls.clear()
        assert _login(client, email, "wrong wrong wrong").status_code == 401
        assert len(calls) == 1, email


def test_old_parameter_hashes_are_upgraded_on_login(client, session_factory, make_user):
    from argon2 import PasswordHasher

    from server.identity import security
    from server.identity.models import User

    user_id = make_user(email="old@example.nl")
    with transaction(session_factory) as session:
        session.get(User, user_id).password_hash = PasswordHasher(time_cost=1).hash(PASSWORD)
    assert _login(client, "old@example.nl", PASSWORD).status_code == 200
    with transaction(session_factory) as session:
        assert not security.needs_rehash(session.get(User, user_id).password_hash)
