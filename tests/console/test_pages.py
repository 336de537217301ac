"""Console pages over HTTP: forms show the field's error and save nothing, services'
refusals show as messages, and the board's review list and plot count right."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.db import transaction
from server.warehouse import inventory, review
from server.warehouse.models import Project, ScanReview, Unit
from shared.protocol import APP_VERSION_HEADER, QUEUE_DEPTH_HEADER
from tests.console.conftest import post_form
from tests.helpers.scans import ScanFactory


def _upload(client, demo, station_headers, *codes) -> list[str]:
    factory = ScanFactory.for_demo(demo)
    scans = [factory.scan(code) for code in codes]
    answer = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=station_headers)
    assert answer.status_code == 200, answer.text
    return [s["scan_id"] for s in scans]


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_resolving_a_flagged_scan_needs_a_why_and_happens_once(
    browser_for, client, demo, station_headers, session_factory
):
    [flagged] = _upload(client, demo, station_headers, "NO-SUCH-LABEL")
    lead = browser_for("warehouse")
    board = lead.get("/console/board")
    assert f'id="review-{flagged}"' in board.text and "NO-SUCH-LABEL" in board.text

    blank = post_form(
        lead,
        f"/console/board/reviews/{flagged}",
        {"note": "   "},
        page="/console/board",
        headers={"HX-Request": "true"},
    )
    assert blank.status_code == 400 and f'id="note-{flagged}-error"' in blank.text
    assert _count(session_factory, ScanReview) == 0

    done = post_form(
        lead,
        f"/console/board/reviews/{flagged}",
        {"note": "relabelled"},
        page="/console/board",
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and f'id="review-{flagged}"' not in done.text
    again = post_form(
        lead, f"/console/board/reviews/{flagged}", {"note": "again"}, page="/console/board"
    )
    assert again.status_code == 409 and "already resolved" in again.text
    with session_factory() as session:
        [row] = session.scalars(select(ScanReview)).all()
        assert (row.resolved_by, row.note) == (lead.user["id"], "relabelled")
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "scan.review_resolved")
        ).all()
        assert [a.actor_user_id for a in audit] == [lead.user["id"]]
    crew = browser_for("crew")
    assert post_form(crew, f"/console/board/reviews/{flagged}", {"note": "x"}).status_code == 403


def test_plot_counts_scans_per_station_per_5_minutes(client, demo, station_headers, session):
    _upload(client, demo, station_headers, *demo["unit_codes"][:3])
    closed: dict = {}
    now = datetime.now(UTC)
    counts = review.scans_per_bucket(session=session, now=now, closed=closed)
    assert sum(counts[uuid.UUID(demo["station_id"])].values()) == 3
    # Settled buckets are kept; the newest ones are counted again on the next refresh.
    later = review.scans_per_bucket(session=session, now=now + timedelta(minutes=10), closed=closed)
    assert later == counts and closed


def test_pin_form_shows_the_error_next_to_the_field(browser_for, demo, session_factory):
    admin = browser_for("admin")
    person = f"/console/people/{demo['crew_user_id']}"
    bad = post_form(admin, f"{person}/pin", {"pin": "12a"}, page=person)
    assert bad.status_code == 400 and 'id="f-pin-error"' in bad.text
    good = post_form(admin, f"{person}/pin", {"pin": "4821"}, page=person)
    assert good.status_code == 303
    with session_factory() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "user.pin_set" in actions


def test_project_form_refuses_bad_dates_and_saves_nothing(browser_for, session_factory):
    planner = browser_for("planner")
    before = _count(session_factory, Project)
    bad = post_form(
        planner,
        "/console/projects",
        {
            "name": "Koningsdag",
            "starts_on": "2026-04-27",
            "ends_on": "2026-04-20",
            "status": "planned",
        },
        page="/console/projects/new",
    )
    assert bad.status_code == 400 and "ends_on is before starts_on" in bad.text
    assert _count(session_factory, Project) == before
    good = post_form(
        planner,
        "/console/projects",
        {
            "name": "Koningsdag",
            "starts_on": "2026-04-26",
            "ends_on": "2026-04-27",
            "status": "planned",
        },
        page="/console/projects/new",
    )
    assert good.status_code == 303
    assert _count(session_factory, Project) == before + 1


def test_pick_list_names_unknown_skus_and_keeps_the_old_list(browser_for, demo, session_factory):
    planner = browser_for("planner")
    page = f"/console/projects/{demo['project_id']}"
    bad = post_form(
        planner, f"{page}/pick-list", {"lines": "SPK-K2 4\nNOPE-1 2", "units": ""}, page=page
    )
    assert bad.status_code == 400 and "unknown SKU: NOPE-1" in bad.text
    with session_factory() as session:
        assert len(session.get(Project, uuid.UUID(demo["project_id"])).pick_lines) == 4
    good = post_form(planner, f"{page}/pick-list", {"lines": "SPK-K2 6", "units": ""}, page=page)
    assert good.status_code == 303
    with session_factory() as session:
        lines = session.get(Project, uuid.UUID(demo["project_id"])).pick_lines
        assert [line.qty for line in lines] == [6]


def test_damaged_units_are_queued(browser_for, demo, session_factory):
    admin = browser_for("admin")
    with transaction(session_factory) as session:
        unit = session.scalars(select(Unit).order_by(Unit.barcode)).first()
        inventory.set_unit_status(
            session=session,
            unit_id=unit.id,
            status="damaged",
            note="dropped",
            user_id=uuid.UUID(admin.user["id"].hex),
        )
        code = unit.barcode
    queue = admin.get("/console/inventory?tab=queue")
    assert queue.status_code == 200 and code in queue.text
    with session_factory() as session:
        units, total = inventory.list_units(
            session=session,
            product_id=None,
            status="damaged",
            q=None,
            project_id=None,
            offset=0,
            limit=50,
        )
    assert [u.barcode for u in units] == [code] and total == 1


def test_unknown_ids_and_bad_paths_are_html_pages_not_stack_traces(browser_for):
    admin = browser_for("admin")
    missing = admin.get(f"/console/projects/{uuid.uuid4()}")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "Niet gevonden" in missing.text
    bad = admin.get("/console/projects/not-a-uuid")
    assert bad.status_code == 422 and "Traceback" not in bad.text
    nowhere = admin.get("/console/nowhere")
    assert nowhere.status_code == 404 and "text/html" in nowhere.headers["content-type"]


def test_board_shows_what_each_station_last_reported(browser_for, client, demo, station_headers):
    lead = browser_for("warehouse")
    before = lead.get("/console/board/stations")
    assert before.status_code == 200 and "niet gemeld" in before.text  # Dutch by default
    headers = {**station_headers, QUEUE_DEPTH_HEADER: "17", APP_VERSION_HEADER: "0.2.0+test"}
    scans = [ScanFactory.for_demo(demo).scan(demo["unit_codes"][0])]
    answer = client.post("/api/v1/scans/batch", json={"scans": scans}, headers=headers)
    assert answer.status_code == 200, answer.text
    row = lead.get("/console/board/stations").text
    assert '<td class="num">17</td>' in row and "<td>0.2.0+test</td>" in row
