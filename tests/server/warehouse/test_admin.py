"""Admin API: inventory, cases, projects, status, return report, scans, live stream."""

from __future__ import annotations

import threading
import time

import pytest


def test_product_unit_crud_with_derived_stock(admin):
    product = admin(
        "post",
        "/api/v1/products",
        json={"sku": "MIC-58", "name": "Shure SM58", "category": "audio", "tracking": "serialized"},
        expect=201,
    ).json()
    for n in range(3):
        admin(
            "post",
            "/api/v1/units",
            json={"product_id": product["id"], "barcode": f"RG-MIC-{n}", "serial": str(n)},
            expect=201,
        )
    got = admin("get", f"/api/v1/products/{product['id']}", expect=200).json()
    assert got["stock"]["total"] == 3 and got["stock"]["available"] == 3
    dup = admin("post", "/api/v1/units", json={"product_id": product["id"], "barcode": "RG-MIC-0"})
    assert dup.status_code == 409
    page = admin("get", "/api/v1/units", params={"product_id": product["id"], "limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    renamed = admin(
        "patch", f"/api/v1/products/{product['id']}", json={"name": "SM58"}, expect=200
    ).json()
    assert renamed["name"] == "SM58"
    unit_id = page["items"][0]["id"]
    admin("delete", f"/api/v1/units/{unit_id}", expect=204)
    assert admin("delete", f"/api/v1/products/{product['id']}").status_code == 409


def test_bulk_product_needs_a_barcode_and_reports_quantities(admin, upload, scans, demo):
    bad = admin("post", "/api/v1/products", json={"sku": "B", "name": "B", "tracking": "bulk"})
    assert bad.status_code == 422
    [cable] = admin("get", "/api/v1/products", params={"tracking": "bulk"}).json()["items"]
    admin("patch", f"/api/v1/products/{cable['id']}", json={"stock_qty": 100}, expect=200)
    upload(scans.scan(demo["bulk_code"], qty=30))
    got = admin("get", f"/api/v1/products/{cable['id']}", expect=200).json()
    assert got["stock"] == {"total": 100, "out": 30, "damaged": 0, "missing": 0, "available": 70}


def test_unit_status_is_set_by_appending_movements(admin, demo, upload, scans):
    [unit] = admin("get", "/api/v1/units", params={"q": demo["unit_codes"][2]}).json()["items"]
    admin("post", f"/api/v1/units/{unit['id']}/status", json={"status": "maintenance"}, expect=201)
    listed = admin("get", "/api/v1/units", params={"status": "maintenance"}).json()
    assert [u["id"] for u in listed["items"]] == [unit["id"]]
    admin("post", f"/api/v1/units/{unit['id']}/status", json={"status": "available"}, expect=201)
    detail = admin("get", f"/api/v1/units/{unit['id']}", expect=200).json()
    assert detail["status"] == "available"
    assert [m["kind"] for m in detail["movements"]] == ["maintenance", "in"]
    upload(scans.scan(demo["unit_codes"][2]))
    refused = admin("post", f"/api/v1/units/{unit['id']}/status", json={"status": "available"})
    assert refused.status_code == 409


def test_case_contents_are_edited_and_a_unit_is_in_one_case(admin, demo, upload, scans):
    [case] = admin("get", "/api/v1/cases").json()["items"]
    units = admin("get", "/api/v1/units", params={"q": "RG-LGT-MAC"}).json()["items"]
    loose = [u["id"] for u in units if u["case_id"] is None]
    admin("put", f"/api/v1/cases/{case['id']}/contents", json={"unit_ids": loose[:3]}, expect=200)
    [result] = upload(scans.scan(demo["case_code"]))
    assert sorted(m["unit_id"] for m in result["movements"]) == sorted(loose[:3])
    other = admin(
        "post",
        "/api/v1/cases",
        json={"barcode": "RG-CASE-002", "name": "Second", "kind": "fixed", "unit_ids": loose[:1]},
    )
    assert other.status_code == 409
    assert admin("get", "/api/v1/cases", params={"kind": "kit"}).json()["total"] == 0


def test_project_lifecycle_status_and_return_report(admin, demo, upload, scans):
    products = admin("get", "/api/v1/products").json()["items"]
    k2 = next(p for p in products if p["sku"] == "SPK-K2")
    k2_units = admin("get", "/api/v1/units", params={"product_id": k2["id"]}).json()["items"]
    project = admin(
        "post",
        "/api/v1/projects",
        json={
            "name": "Bedrijfsfeest",
            "customer": "ACME B.V.",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-02",
            "pick_list": {"lines": [{"product_id": k2["id"], "qty": 3}]},
        },
        expect=201,
    ).json()
    assert project["pick_lines"] == [{"product_id": k2["id"], "qty": 3}]
    scans.project_id = project["id"]
    codes = [u["barcode"] for u in k2_units[:3]]
    upload(*(scans.scan(code) for code in codes))
    status = admin("get", f"/api/v1/projects/{project['id']}/status", expect=200).json()
    [line] = status["lines"]
    assert (line["expected"], line["out"], line["on_site"]) == (3, 3, 3)
    assert not status["complete"]

    upload(
        scans.scan(codes[0], mode="in"),
        scans.scan(codes[1], mode="in", condition="damaged"),
        scans.scan(codes[2], mode="in", condition="missing"),
    )
    report = admin("get", f"/api/v1/projects/{project['id']}/return-report", expect=200).json()
    assert report["complete"]
    assert [u["barcode"] for u in report["damaged_units"]] == [codes[1]]
    assert [u["barcode"] for u in report["missing_units"]] == [codes[2]]
    assert report["not_returned"] == []
    [line] = report["lines"]
    assert (line["returned"], line["damaged"], line["missing"]) == (2, 1, 1)

    listed = admin("get", "/api/v1/projects", params={"q": "feest"}).json()
    assert [p["id"] for p in listed["items"]] == [project["id"]]
    on = admin("get", "/api/v1/projects", params={"active_on": "2026-12-02"}).json()
    assert project["id"] in [p["id"] for p in on["items"]]
    bad = admin("patch", f"/api/v1/projects/{project['id']}", json={"ends_on": "2026-11-01"})
    assert bad.status_code == 400
    assert admin("delete", f"/api/v1/projects/{project['id']}").status_code == 400


def test_flagged_scans_are_listed(admin, upload, scans, demo):
    upload(scans.scan("NOPE"), scans.scan(demo["unit_codes"][0]))
    page = admin("get", "/api/v1/scans", params={"status": "rejected"}, expect=200).json()
    assert [s["code"] for s in page["items"]] == ["NOPE"]
    assert admin("get", "/api/v1/scans").json()["total"] == 2


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        ("warehouse", "get", "/api/v1/units", True),
        ("warehouse", "post", "/api/v1/products", False),
        ("crew", "get", "/api/v1/projects", False),
        ("planner", "put", "/api/v1/projects/{project}/pick-list", True),
        ("crew", "get", "/api/v1/scans", False),
    ],
)
def test_permissions(client, user_headers, demo, role, method, path, allowed):
    headers = user_headers(role)
    url = path.format(project=demo["project_id"])
    response = client.request(method, url, headers=headers, json={} if method != "get" else None)
    assert (response.status_code != 403) is allowed, response.text


def test_station_token_is_not_an_admin_token(client, station_headers):
    assert client.get("/api/v1/units", headers=station_headers).status_code == 401


def test_live_scan_stream(app, client, user_headers, upload, scans, demo):
    headers = user_headers("warehouse")
    feed = app.state.scan_feed
    received: list[str] = []

    def listen() -> None:
        with client.stream(
            "GET", "/api/v1/scans/stream", params={"limit": 2}, headers=headers
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            received.append(response.read().decode())

    thread = threading.Thread(target=listen)
    thread.start()
    deadline = time.monotonic() + 10
    while feed.subscriber_count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert feed.subscriber_count == 1
    upload(scans.scan(demo["unit_codes"][0]), scans.scan("UNKNOWN-X"))
    thread.join(timeout=10)
    assert not thread.is_alive()
    [body] = received
    assert body.count("event: scan") == 2
    assert '"status": "applied"' in body and '"status": "rejected"' in body


def test_every_warehouse_route_needs_credentials(client):
    from server.warehouse.admin import router as admin_router
    from server.warehouse.router import router as station_router

    for route in [*admin_router.routes, *station_router.routes]:
        for method in route.methods:
            path = route.path.replace("{", "").replace("}", "")
            path = "/".join(
                "0190a6e0-0000-7000-8000-000000000000" if part.endswith("_id") else part
                for part in path.split("/")
            )
            response = client.request(method, path)
            assert response.status_code == 401, (method, route.path, response.status_code)


def test_feed_publishes_only_after_commit(session_factory, demo):
    import asyncio

    from server.warehouse.feed import ScanFeed
    from shared.protocol import ScanIn
    from tests.helpers.scans import ScanFactory

    feed = ScanFeed()
    scan = ScanIn.model_validate(ScanFactory.for_demo(demo).scan("X"))
    result = {"status": "rejected", "reason": "unknown code", "movements": []}

    async def main() -> list[str]:
        stream = feed.stream(limit=1)
        assert await anext(stream) == ": connected\n\n"
        with session_factory() as session:
            feed.publish_after_commit(session, [(scan, {**result, "reason": "rolled back"})])
            session.rollback()
        with session_factory() as session:
            feed.publish_after_commit(session, [(scan, result)])
            session.commit()
        return [chunk async for chunk in stream]

    [event] = asyncio.run(main())
    assert "unknown code" in event and "rolled back" not in event
