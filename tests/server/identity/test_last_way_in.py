"""Clearing the e-mail that is an account's only way in is refused (issue 14 defect 3)."""

from tests.server.identity.conftest import bearer


def test_an_admin_cannot_clear_its_own_only_way_in(client, make_user, login_token):
    admin_id = make_user(email="boss@example.com", password="correct horse battery",
                         roles=("admin",))
    token = login_token(admin_id)
    response = client.patch(
        f"/api/v1/users/{admin_id}", json={"email": None}, headers=bearer(token)
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "last_way_in"
    me = client.get(f"/api/v1/users/{admin_id}", headers=bearer(token)).json()
    assert me["email"] == "boss@example.com"


def test_with_a_badge_the_email_may_go(client, make_user, user_headers):
    admin = user_headers("admin")
    badged = make_user(email="badged@example.com", password="correct horse battery", badge="B-42")
    response = client.patch(f"/api/v1/users/{badged}", json={"email": None}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["email"] is None
