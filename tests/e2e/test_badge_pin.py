"""Issue 15 end to end: the real server on loopback, the real kiosk offscreen.

A PIN is asked online and offline; a weak planner badge is refused without a PIN; the
demo's admin badge + PIN opens the settings offline; a revoked badge stops at once online
and, after the kiosk's next reference sync, offline too.
"""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.kiosk import enter_pin, log_in, wedge_scan

pytestmark = [pytest.mark.gui, pytest.mark.e2e]


@pytest.fixture
def admin_api(live):
    server, demo = live
    token = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"email": demo["admin_email"], "password": demo["admin_password"]},
    ).json()["access_token"]

    def call(method: str, path: str, **kw) -> dict:
        response = httpx.request(
            method, server.url + path, headers={"Authorization": f"Bearer {token}"}, **kw
        )
        assert response.status_code < 300, response.text
        return response.json()

    return call


def _mirrored(kiosk, where: str, *params) -> int:
    sql = f"SELECT COUNT(*) FROM ref_badges WHERE {where}"
    return kiosk.store.db.conn.execute(sql, params).fetchone()[0]


def _logout(kiosk) -> None:
    kiosk.controller.logout()


def _refused_after_pin(qtbot, kiosk, code: str, pin: str) -> str:
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
        wedge_scan(qtbot, kiosk, code)
    with qtbot.waitSignal(kiosk.controller.login_failed, timeout=10_000) as failed:
        enter_pin(qtbot, kiosk, pin)
    assert kiosk.window.stack.currentWidget() is kiosk.window.login
    return failed.args[0]


def test_pin_online_and_offline_and_weak_planner_badge(qtbot, live, kiosk, admin_api):
    server, _demo = live
    crew = admin_api("POST", "/api/v1/users", json={"name": "Pim", "roles": ["crew"]})
    admin_api("PUT", f"/api/v1/users/{crew['id']}/pin", json={"pin": "4711"})
    admin_api("POST", f"/api/v1/users/{crew['id']}/badges", json={"code": "CREW-PIN-1"})
    planner = admin_api("POST", "/api/v1/users", json={"name": "Plan", "roles": ["planner"]})
    admin_api("POST", f"/api/v1/users/{planner['id']}/badges", json={"code": "PLAN-0001"})
    qtbot.waitUntil(lambda: _mirrored(kiosk, "name = 'Pim' AND pin = 1") == 1, timeout=15_000)

    # Online: the server says a PIN is needed; the kiosk asks for it.
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
        wedge_scan(qtbot, kiosk, "CREW-PIN-1")
    assert kiosk.window.stack.currentWidget() is kiosk.window.pin
    with qtbot.waitSignal(kiosk.controller.logged_in, timeout=10_000) as online:
        enter_pin(qtbot, kiosk, "4711")
    assert not online.args[0].offline
    _logout(kiosk)

    # A weak (imported) planner badge without a PIN: refused online, with the reason.
    with qtbot.waitSignal(kiosk.controller.login_failed, timeout=10_000) as weak:
        wedge_scan(qtbot, kiosk, "PLAN-0001")
    assert "needs a PIN" in weak.args[0]

    server.stop()
    # Offline: the same badge needs its PIN too; a wrong one is refused.
    assert "not recognised" in _refused_after_pin(qtbot, kiosk, "CREW-PIN-1", "1234")
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
        wedge_scan(qtbot, kiosk, "CREW-PIN-1")
    with qtbot.waitSignal(kiosk.controller.logged_in, timeout=10_000) as offline:
        enter_pin(qtbot, kiosk, "4711")
    assert offline.args[0].offline and offline.args[0].pin_checked
    _logout(kiosk)
    # The weak planner badge is not in the offline cache at all.
    assert "not recognised" in _refused_after_pin(qtbot, kiosk, "PLAN-0001", "0000")


def test_admin_gate_offline_needs_badge_and_pin(qtbot, live, kiosk):
    server, demo = live
    server.stop()
    window = kiosk.window
    window.open_admin_gate("settings")
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
        wedge_scan(qtbot, kiosk, demo["admin_badge_code"])
    with qtbot.waitSignal(kiosk.controller.admin_refused, timeout=10_000):
        enter_pin(qtbot, kiosk, "000000" if demo["admin_pin"] != "000000" else "111111")
    assert window.stack.currentWidget() is window.admin_gate
    with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
        wedge_scan(qtbot, kiosk, demo["admin_badge_code"])
    with qtbot.waitSignal(kiosk.controller.admin_badge, timeout=10_000):
        enter_pin(qtbot, kiosk, demo["admin_pin"])
    assert window.stack.currentWidget() is window.settings


def test_revoked_badge_online_at_once_offline_after_the_next_sync(qtbot, live, kiosk, admin_api):
    server, demo = live
    [badge] = admin_api(
        "GET", "/api/v1/badges", params={"user_id": demo["crew_user_id"], "active": "true"}
    )["items"]
    log_in(qtbot, kiosk, demo["badge_code"])
    _logout(kiosk)
    assert _mirrored(kiosk, "id = ?", badge["id"]) == 1
    admin_api("POST", f"/api/v1/badges/{badge['id']}/revoke")
    # Online at once: the server answers a revoked badge like an unknown one.
    assert "not recognised" in _refused_after_pin(qtbot, kiosk, demo["badge_code"], "1234")
    # The kiosk's next reference sync drops its verifier.
    qtbot.waitUntil(lambda: _mirrored(kiosk, "id = ?", badge["id"]) == 0, timeout=15_000)
    server.stop()
    # Offline after the sync: its verifier is gone from this kiosk's mirror.
    assert "not recognised" in _refused_after_pin(qtbot, kiosk, demo["badge_code"], "1234")
