"""Issue 15 (part A) on the server: badge strength, weak admin badges, per-station offline
verifiers that join the PIN, signed QR badges, revocation, and old badges after 0018."""

from __future__ import annotations

import uuid

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from server.db import make_engine, make_session_factory, transaction
from server.identity import service as identity
from server.identity.models import Badge, StationBadgeVerifier, User
from server.migrations import MIGRATIONS_DIR, upgrade
from shared.badges import (
    badge_hash,
    issued_code_ok,
    public_key_from_hex,
    verify_signed_badge,
)
from shared.reference import ReferenceSnapshot
from tests.helpers.badges import offline_holders
from tests.server.identity.test_migration_with_data import fresh_url  # noqa: F401 (fixture)


def _badge(client, headers, code, pin=None):
    body = {"badge_code": code} if pin is None else {"badge_code": code, "pin": pin}
    return client.post("/api/v1/auth/badge", json=body, headers=headers)


def _reference(client, headers, cursor=None) -> ReferenceSnapshot:
    params = {"cursor": cursor} if cursor else {}
    response = client.get("/api/v1/sync/reference", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return ReferenceSnapshot.model_validate(response.json())


def _issue(client, admin_headers, user_id, **body):
    response = client.post(f"/api/v1/users/{user_id}/badges", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_badge_without_a_code_gets_a_strong_one_shown_once(
    client, admin_headers, station_headers, make_user
):
    user_id = make_user(name="Fleur", roles=("crew",))
    issued = _issue(client, admin_headers, user_id, label="new card")
    code = issued["code"]
    assert issued_code_ok(code) and len(code) == 19 and code.startswith("RG")
    assert issued["kind"] == "issued" and issued["weak"] is False
    listed = client.get("/api/v1/badges", params={"user_id": str(user_id)}, headers=admin_headers)
    assert code not in listed.text  # shown once, never again
    assert _badge(client, station_headers, code).status_code == 200
    # Two issued codes never repeat (80 random bits each).
    assert _issue(client, admin_headers, user_id)["code"] != code


def test_a_given_code_is_accepted_but_weak(client, admin_headers, make_user):
    user_id = make_user(name="Jan")
    issued = _issue(client, admin_headers, user_id, code="CARD-12345")
    assert issued["kind"] == "imported" and issued["weak"] is True and issued["code"] is None
    both = client.post(
        f"/api/v1/users/{user_id}/badges",
        json={"code": "CARD-9", "signed": True},
        headers=admin_headers,
    )
    assert both.status_code == 400


@pytest.mark.parametrize("role", ["admin", "planner"])
def test_a_weak_badge_above_crew_needs_a_pin(
    client, admin_headers, station_headers, make_user, role
):
    user_id = make_user(name=f"Weak {role}", roles=(role,), badge=f"OLD-{role}")
    refused = _badge(client, station_headers, f"OLD-{role}")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "badge_needs_pin"
    assert not offline_holders(_reference(client, station_headers), f"OLD-{role}")
    # A strong issued code of the same user logs in online without a PIN...
    strong = _issue(client, admin_headers, user_id)["code"]
    assert _badge(client, station_headers, strong).status_code == 200
    # ...but stays out of the offline cache: no PIN, and the role opens the settings.
    assert not offline_holders(_reference(client, station_headers), strong)
    # With a PIN the weak badge works, asking the PIN first, online and (joined) offline.
    put = client.put(f"/api/v1/users/{user_id}/pin", json={"pin": "2468"}, headers=admin_headers)
    assert put.status_code == 200
    assert _badge(client, station_headers, f"OLD-{role}").json()["error"]["code"] == "pin_required"
    assert _badge(client, station_headers, f"OLD-{role}", pin="2468").status_code == 200
    snapshot = _reference(client, station_headers)
    assert not offline_holders(snapshot, f"OLD-{role}")
    assert not offline_holders(snapshot, f"OLD-{role}", "1111")
    [entry] = offline_holders(snapshot, f"OLD-{role}", "2468")
    assert entry.pin and role in entry.roles


def test_a_station_cache_verifies_nothing_at_another_station(
    client, station_headers, demo, session_factory
):
    with transaction(session_factory) as session:
        _station, token = identity.create_station(session=session, name="Dock 2")
    a = _reference(client, station_headers)
    b = _reference(client, {"Authorization": f"Bearer {token}"})
    assert a.badge_auth.salt != b.badge_auth.salt
    assert offline_holders(a, demo["badge_code"]) and offline_holders(b, demo["badge_code"])
    # Station A's cache checked with station B's keys (a copied data directory): nothing.
    assert offline_holders(a, demo["badge_code"], auth=b.badge_auth) == []
    assert {x.verifier for x in a.badges}.isdisjoint({x.verifier for x in b.badges})
    # Neither holds the badge code nor the server's keyed hash of it.
    for snapshot in (a, b):
        text_ = snapshot.model_dump_json()
        assert demo["badge_code"] not in text_
        assert badge_hash(bytes.fromhex(snapshot.badge_hash_key), demo["badge_code"]) not in text_


def test_verifiers_are_computed_once_per_station_and_badge(
    client, station_headers, demo, session_factory, monkeypatch
):
    import server.identity.offline as offline

    calls = []
    real = offline.offline_verifier
    monkeypatch.setattr(offline, "offline_verifier", lambda *a: calls.append(a) or real(*a))
    first = _reference(client, station_headers)
    assert len(calls) == len(first.badges) == 2
    _reference(client, station_headers)  # a second full download: from the table
    assert len(calls) == 2
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(StationBadgeVerifier)) == 2


def test_a_pin_set_before_joins_is_cached_after_its_next_online_use(
    client, station_headers, make_user, session_factory
):
    user_id = make_user(name="Oud", badge="OLD-PIN", pin="1357")
    with transaction(session_factory) as session:
        session.get(User, user_id).pin_join = None  # as revision 0018 leaves an older PIN
    assert not offline_holders(_reference(client, station_headers), "OLD-PIN", "1357")
    assert _badge(client, station_headers, "OLD-PIN", pin="1357").status_code == 200
    assert offline_holders(_reference(client, station_headers), "OLD-PIN", "1357")


def test_signed_badge_verifies_with_the_public_key_and_revocation_travels(
    client, admin_headers, station_headers, make_user
):
    user_id = make_user(name="Qr", roles=("crew",))
    issued = _issue(client, admin_headers, user_id, signed=True)
    assert issued["kind"] == "signed" and issued["code"].startswith("RGS1.")
    first = _reference(client, station_headers)
    signed = verify_signed_badge(public_key_from_hex(first.badge_auth.public_key), issued["code"])
    assert signed.badge_id == uuid.UUID(issued["id"]) and signed.user_id == user_id
    [row] = [b for b in first.signed_badges if str(b.id) == issued["id"]]
    assert not row.revoked and row.name == "Qr"
    assert all(str(b.id) != issued["id"] for b in first.badges)  # no verifier to guess at
    assert _badge(client, station_headers, issued["code"]).status_code == 200
    client.post(f"/api/v1/badges/{issued['id']}/revoke", headers=admin_headers)
    assert _badge(client, station_headers, issued["code"]).status_code == 401  # online: at once
    delta = _reference(client, station_headers, first.cursor)
    [row] = delta.signed_badges
    assert row.revoked  # offline: with the next reference sync


def test_badges_from_before_0018_become_weak_and_keep_working(fresh_url, settings):  # noqa: F811
    before = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision("0018_badge_credentials")
    upgrade(fresh_url, before.down_revision)
    engine = make_engine(fresh_url)
    user_id, badge_id = uuid.uuid4(), uuid.uuid4()

    def uid(value: uuid.UUID):  # how each database's Uuid column stores it
        return value.hex if engine.dialect.name == "sqlite" else value

    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, name, active, skills, created_at, updated_at)"
                " VALUES (:id, 'Oud', :t, '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": uid(user_id), "t": True},
        )
        conn.execute(
            text("INSERT INTO user_roles (user_id, role) VALUES (:u, 'crew')"),
            {"u": uid(user_id)},
        )
        conn.execute(
            text(
                "INSERT INTO badges (id, user_id, code_hash, label, active, issued_at)"
                " VALUES (:id, :u, :h, '', :t, CURRENT_TIMESTAMP)"
            ),
            {
                "id": uid(badge_id),
                "u": uid(user_id),
                "h": badge_hash(settings.badge_hash_key, "OLD-CARD-1"),
                "t": True,
            },
        )
    upgrade(fresh_url)
    from server.identity.login import badge_login

    try:
        with transaction(make_session_factory(engine)) as session:
            badge = session.get(Badge, badge_id)
            assert badge.kind == "imported" and badge.weak
            station, _token = identity.create_station(session=session, name="S")
            grant = badge_login(
                session=session,
                settings=settings,
                station=station,
                badge_code="OLD-CARD-1",
                pin=None,
                ip=None,
            )
            assert grant.user.id == user_id
    finally:
        engine.dispose()


def test_a_first_download_computes_few_verifiers_per_page(
    client, station_headers, demo, make_user, monkeypatch
):
    """However many badges, a page computes at most NEW_VERIFIERS_PER_PAGE verifiers (each
    ~20 ms); the download goes on in further pages and ends with every badge."""
    import server.warehouse.reference as reference

    monkeypatch.setattr(reference, "NEW_VERIFIERS_PER_PAGE", 1)
    for n in range(3):
        make_user(name=f"Crew {n}", badge=f"MANY-{n}")
    cursor, pages, badges = None, 0, {}
    while True:
        page = _reference(client, station_headers, cursor)
        pages += 1
        assert len(page.badges) <= 1
        badges.update({b.id: b for b in page.badges})
        cursor = page.cursor
        if not page.has_more:
            break
    assert pages >= 5 and len(badges) == 5  # crew, admin (+PIN) and three more
    whole = _reference(client, station_headers)  # now all kept: one page
    assert not whole.has_more and {b.id: b for b in whole.badges} == badges
