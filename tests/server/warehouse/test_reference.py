"""Reference download: what a station mirrors, including the offline badge list."""

import uuid

from shared.reference import ReferenceSnapshot
from tests.helpers.badges import offline_holders
from tests.helpers.scans import ScanFactory


def test_reference_has_demo_project_units_cases_badges(client, station_headers, demo):
    response = client.get("/api/v1/sync/reference", headers=station_headers)
    assert response.status_code == 200
    snapshot = ReferenceSnapshot.model_validate(response.json())
    assert snapshot.full is True
    assert str(snapshot.station_id) == demo["station_id"]
    [project] = snapshot.projects
    assert project.name == demo["project_name"]
    assert {line.qty for line in project.pick_lines} == {4, 2, 40}
    barcodes = {unit.barcode for unit in snapshot.units}
    assert set(demo["unit_codes"]) <= barcodes
    assert [case.barcode for case in snapshot.cases] == [demo["case_code"]]
    assert len(snapshot.cases[0].unit_ids) == 2
    [crew] = offline_holders(snapshot, demo["badge_code"])
    # The admin's entry joins badge and PIN (issue 15): the code alone opens nothing.
    assert offline_holders(snapshot, demo["admin_badge_code"]) == []
    [admin] = offline_holders(snapshot, demo["admin_badge_code"], demo["admin_pin"])
    assert len(snapshot.badges) == 2
    assert "warehouse" in crew.roles and not crew.pin
    assert "admin" in admin.roles and admin.pin  # the kiosk's admin gate can check it offline
    for code in ("badge_code", "admin_badge_code"):
        assert demo[code] not in response.text  # never the code itself


def test_reference_reflects_units_out_and_pick_counts(client, station_headers, demo):
    scan = ScanFactory.for_demo(demo).scan(demo["unit_codes"][0])
    client.post("/api/v1/scans/batch", json={"scans": [scan]}, headers=station_headers)
    snapshot = ReferenceSnapshot.model_validate(
        client.get("/api/v1/sync/reference", headers=station_headers).json()
    )
    unit = next(u for u in snapshot.units if u.barcode == demo["unit_codes"][0])
    assert unit.status == "out"
    assert str(unit.project_id) == demo["project_id"]
    assert sum(line.out for line in snapshot.projects[0].pick_lines) == 1


def test_reference_cursor_param_is_length_checked(client, station_headers, demo):
    response = client.get(
        "/api/v1/sync/reference", params={"cursor": "x" * 500}, headers=station_headers
    )
    assert response.status_code == 422


# -- paging, deltas, tombstones (shared.reference's contract) -----------------------------


def _get(client, headers, **params) -> ReferenceSnapshot:
    response = client.get("/api/v1/sync/reference", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return ReferenceSnapshot.model_validate(response.json())


def _rows(page: ReferenceSnapshot) -> int:
    return sum(
        len(getattr(page, kind)) for kind in ("products", "units", "cases", "projects", "badges")
    )


class Mirror:
    """What a kiosk does with pages: discard on full, upsert rows, apply tombstones."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], str] = {}
        self.cursor: str | None = None

    def apply(self, page: ReferenceSnapshot) -> None:
        if page.full:
            self.rows.clear()
        for kind in ("products", "units", "cases", "projects"):
            for row in getattr(page, kind):
                self.rows[(kind, str(row.id))] = row.model_dump_json()
            for ident in getattr(page.deleted, kind):
                self.rows.pop((kind, str(ident)), None)
        for kind in ("badges", "signed_badges"):
            for badge in getattr(page, kind):
                self.rows[(kind, str(badge.id))] = badge.model_dump_json()
            for gone in getattr(page.deleted, kind):
                self.rows.pop((kind, gone), None)
        self.cursor = page.cursor

    def sync(self, client, headers, limit: int = 5) -> int:
        pages = 0
        while True:
            params = {"limit": limit, **({"cursor": self.cursor} if self.cursor else {})}
            page = _get(client, headers, **params)
            self.apply(page)
            pages += 1
            if not page.has_more:
                return pages


def _fresh(client, headers) -> dict:
    mirror = Mirror()
    mirror.sync(client, headers, limit=10**4)
    return mirror.rows


def test_unchanged_data_answers_the_same_cursor_and_no_rows(client, station_headers, demo):
    first = _get(client, station_headers)
    assert first.full and not first.has_more
    again = _get(client, station_headers, cursor=first.cursor)
    assert again.cursor == first.cursor
    assert again.full is False
    assert _rows(again) == 0
    assert again.deleted == type(again.deleted)()


def test_full_download_in_pages_matches_one_answer(client, station_headers, demo):
    mirror = Mirror()
    pages = mirror.sync(client, station_headers, limit=3)
    assert pages > 3
    assert mirror.rows == _fresh(client, station_headers)


def test_delta_sends_changed_rows_and_tombstones(
    client, station_headers, demo, upload, scans, admin
):
    mirror = Mirror()
    mirror.sync(client, station_headers)
    upload(scans.scan(demo["unit_codes"][0]))
    admin("patch", f"/api/v1/projects/{demo['project_id']}", json={"status": "closed"}, expect=200)
    page = _get(client, station_headers, cursor=mirror.cursor)
    assert not page.full
    assert [u.barcode for u in page.units] == [demo["unit_codes"][0]]
    assert page.units[0].status == "out"
    assert page.deleted.projects == [uuid.UUID(demo["project_id"])]
    mirror.apply(page)
    assert mirror.rows == _fresh(client, station_headers)


def test_revoked_badge_is_a_tombstone(client, station_headers, demo, session_factory):
    from sqlalchemy import update

    from server.db import transaction
    from server.identity.models import Badge

    first = _get(client, station_headers)
    with transaction(session_factory) as session:
        session.execute(update(Badge).values(active=False))
    page = _get(client, station_headers, cursor=first.cursor)
    assert sorted(page.deleted.badges) == sorted(str(b.id) for b in first.badges)  # crew, admin


def test_interrupted_full_download_resumes_and_survives_changes(
    client, station_headers, demo, upload, scans, admin
):
    mirror = Mirror()
    page = _get(client, station_headers, limit=4)
    mirror.apply(page)
    assert page.has_more and page.full
    # The kiosk stops here (power cut); meanwhile data changes on both sides of its position.
    upload(scans.scan(demo["case_code"]))
    admin(
        "post",
        "/api/v1/products",
        json={"sku": "ZZZ-NEW", "name": "New thing", "tracking": "serialized"},
        expect=201,
    )
    resumed = _get(client, station_headers, cursor=mirror.cursor, limit=4)
    assert resumed.full is False  # resumes: does not start over
    mirror.apply(resumed)
    mirror.sync(client, station_headers, limit=4)
    assert mirror.rows == _fresh(client, station_headers)


def test_unknown_cursor_gets_a_full_download(client, station_headers, demo):
    page = _get(client, station_headers, cursor="v1.0123456789abcdef0123456789abcdef")
    assert page.full
    forced = _get(client, station_headers, cursor=page.cursor, full=True)
    assert forced.full and _rows(forced) == _rows(page)


def test_pruned_version_falls_back_to_a_full_download(
    client, station_headers, demo, upload, scans, monkeypatch
):
    from server.warehouse import reference

    monkeypatch.setattr(reference, "MAX_VERSIONS", 2)
    old = _get(client, station_headers)
    for code in demo["unit_codes"][:3]:  # three newer versions push the old one out
        upload(scans.scan(code))
        _get(client, station_headers, cursor=old.cursor, limit=1)
    page = _get(client, station_headers, cursor=old.cursor)
    assert page.full


def test_paged_sync_with_changes_between_any_pages_converges(
    client, station_headers, demo, scans, admin
):
    """Property: whatever changes land between pages, syncing to the end mirrors the data."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    project_url = f"/api/v1/projects/{demo['project_id']}"
    codes = demo["unit_codes"][:4]
    made: list[str] = []
    serial = iter(range(10**6))

    def change(kind: int, n: int) -> None:
        if kind == 0:
            mode = "out" if n % 2 else "in"
            client.post(
                "/api/v1/scans/batch",
                json={"scans": [scans.scan(codes[n % len(codes)], mode=mode)]},
                headers=station_headers,
            )
        elif kind == 1:
            body = {"sku": f"GEN-{next(serial)}", "name": "Generated", "tracking": "serialized"}
            made.append(admin("post", "/api/v1/products", json=body, expect=201).json()["id"])
        elif kind == 2 and made:
            admin("delete", f"/api/v1/products/{made.pop(n % len(made))}", expect=204)
        elif kind == 3:
            status = "closed" if n % 2 else "active"
            admin("patch", project_url, json={"status": status}, expect=200)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        steps=st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 7), st.integers(1, 6)), max_size=8
        )
    )
    def check(steps) -> None:
        mirror = Mirror()
        for kind, n, limit in steps:
            params = {"limit": limit, **({"cursor": mirror.cursor} if mirror.cursor else {})}
            mirror.apply(_get(client, station_headers, **params))
            change(kind, n)
        mirror.sync(client, station_headers, limit=3)
        assert mirror.rows == _fresh(client, station_headers)

    check()


# -- the change stamp: the map is rebuilt only when reference data changed ----------------


def _builds(monkeypatch) -> list[int]:
    """Count how often the current map is built from the tables."""
    from server.warehouse import reference

    calls: list[int] = []
    build = reference._current_rows

    def counting(session):
        calls.append(1)
        return build(session)

    counting.__wrapped__ = build  # the real one, for tests that compare against it
    monkeypatch.setattr(reference, "_current_rows", counting)
    return calls


def test_unchanged_data_is_not_rebuilt_per_request(client, station_headers, demo, monkeypatch):
    builds = _builds(monkeypatch)
    first = _get(client, station_headers)
    for _ in range(3):
        assert _get(client, station_headers, cursor=first.cursor).cursor == first.cursor
    _get(client, station_headers, full=True)  # a full download from the same map
    assert len(builds) <= 1  # built once (or not at all: an earlier test's map is current)


def test_every_kind_of_write_to_reference_data_is_seen(
    client, station_headers, demo, upload, scans, session_factory, monkeypatch
):
    """Writes that bypass the app too (plain SQL, as psql or a migration would): the
    triggers bump the stamp, so the next request rebuilds and sends the change."""
    from sqlalchemy import text

    mirror = Mirror()
    mirror.sync(client, station_headers)
    builds = _builds(monkeypatch)
    unit = demo["unit_codes"][1]
    edits = [
        ("UPDATE products SET name = 'Renamed speaker' WHERE name LIKE '%K2%'", "products"),
        (f"UPDATE units SET barcode = 'RG-RENAMED-1' WHERE barcode = '{unit}'", "units"),
        ("UPDATE cases SET name = 'Renamed case'", "cases"),
        ("DELETE FROM case_units", "cases"),
        ("UPDATE pick_lines SET qty = qty + 1", "projects"),
        ("UPDATE projects SET name = 'Renamed project'", "projects"),
        ("UPDATE users SET name = 'Renamed user'", "badges"),
        ("DELETE FROM user_roles", "badges"),
        ("UPDATE badges SET active = false", "badges"),
    ]
    for sql, kind in edits:
        with session_factory.begin() as session:
            session.execute(text(sql))
        page = _get(client, station_headers, cursor=mirror.cursor)
        changed = getattr(page, kind) or getattr(page.deleted, kind)
        assert changed, f"{sql!r} did not reach the station"
        mirror.apply(page)
        assert mirror.rows == _fresh(client, station_headers), sql
    assert len(builds) >= len(edits)
    # A movement alone (the ledger has no trigger: its row count is the stamp).
    upload(scans.scan(demo["unit_codes"][0]))
    page = _get(client, station_headers, cursor=mirror.cursor)
    assert [u.status for u in page.units] == ["out"]


def test_a_pruned_current_version_is_stored_again(client, station_headers, demo, session_factory):
    from sqlalchemy import delete, select

    from server.warehouse.models import ReferenceVersion

    first = _get(client, station_headers)
    with session_factory.begin() as session:
        session.execute(delete(ReferenceVersion))  # pruned while this process holds it
    again = _get(client, station_headers, cursor=first.cursor)
    # Versions are named by content: the kiosk still holds the current one.
    assert again.cursor == first.cursor and not again.full and _rows(again) == 0
    with session_factory() as session:
        stored = session.scalars(select(ReferenceVersion.id)).all()
    assert stored == [first.cursor.split(".")[1]]


def test_stamp_moves_once_per_transaction_and_survives_a_rolled_back_savepoint(
    session_factory, demo
):
    from sqlalchemy import text

    def stamp() -> int:
        with session_factory() as session:
            return session.execute(text("SELECT changes FROM reference_stamp")).scalar_one()

    before = stamp()
    with session_factory.begin() as session:
        for i in range(3):
            session.execute(text(f"UPDATE products SET name = name || '{i}'"))
    bulk = stamp() - before
    with session_factory.begin() as session:
        savepoint = session.begin_nested()
        session.execute(text("UPDATE products SET name = name || 'x'"))
        savepoint.rollback()  # its bump goes too ...
        session.execute(text("UPDATE cases SET name = name || 'y'"))  # ... so this one counts
    after_savepoint = stamp() - before - bulk
    if session_factory.kw["bind"].dialect.name == "postgresql":
        assert (bulk, after_savepoint) == (1, 1)  # once per transaction
    else:
        assert bulk >= 1 and after_savepoint >= 1  # SQLite: once per row


def test_after_scans_only_positions_and_counts_are_read_again(
    client, station_headers, demo, upload, scans, session_factory, monkeypatch
):
    """Scanning moves the ledger only: the map is refreshed from the one already built
    (unit positions, project counts), and it equals a map built from scratch."""
    from server.warehouse import reference

    mirror = Mirror()
    mirror.sync(client, station_headers)
    builds = _builds(monkeypatch)
    upload(*(scans.scan(code) for code in demo["unit_codes"][:3]))
    page = _get(client, station_headers, cursor=mirror.cursor)
    assert sorted(u.barcode for u in page.units) == sorted(demo["unit_codes"][:3])
    assert {u.status for u in page.units} == {"out"}
    assert len(page.projects) == 1  # its counts moved
    assert builds == []  # not built from scratch
    with session_factory() as session:
        current = reference._current(session)
        scratch = reference._current_rows.__wrapped__(session)
    assert current.rows == scratch
    assert current.digests == {key: reference._digest(row) for key, row in scratch.items()}
    mirror.apply(page)
    assert mirror.rows == _fresh(client, station_headers)
