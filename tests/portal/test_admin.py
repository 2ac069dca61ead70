"""Admin pages: units, users (role, unit, deactivate, password reset), LRS credentials."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from tests.conftest import basic, match
from tests.portal.conftest import post


@pytest.mark.parametrize("path", ["/admin/units", "/admin/users", "/admin/credentials"])
@pytest.mark.parametrize(
    ("role", "status"), [("learner", 403), ("author", 403), ("manager", 403), ("admin", 200)]
)
def test_portal_admin_pages_need_the_admin_role(portal, login, path, role, status):
    client = login(portal.user(role=role))
    assert client.get(path).status_code == status


def test_portal_admin_pages_redirect_anonymous_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_portal_admin_units_create_and_rename(portal, login):
    admin = login(portal.user(role="admin"))
    response = post(
        admin,
        "/admin/units",
        {"code": "social", "name": "Socialförvaltningen", "kind": "department"},
    )
    assert response.status_code == 302
    page = admin.get("/admin/units").get_data(as_text=True)
    assert "Socialförvaltningen" in page
    unit_id = match(r'name="unit_id" value="(\d+)"', page).group(1)
    post(admin, "/admin/units", {"unit_id": unit_id, "name": "Social services", "kind": "company"})
    assert "Social services" in admin.get("/admin/units").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"code": "Bad Code!", "name": "X"}, "letters A-Z"),
        ({"code": "", "name": "X"}, "code"),
        ({"code": "ok", "name": "X", "kind": "planet"}, "kind"),
    ],
)
def test_portal_admin_units_invalid_forms_are_refused(portal, login, form, message):
    admin = login(portal.user(role="admin"))
    response = post(admin, "/admin/units", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_portal_admin_units_duplicate_code_is_a_conflict(portal, login):
    portal.unit("social")
    admin = login(portal.user(role="admin"))
    assert post(admin, "/admin/units", {"code": "social", "name": "Again"}).status_code == 409


def test_portal_admin_users_create_with_role_and_unit(portal, login, app):
    unit = portal.unit("school")
    admin = login(portal.user(role="admin"))
    response = post(
        admin,
        "/admin/users",
        {
            "email": "Tina@Example.org",
            "name": "Tina Trainer",
            "password": "long enough",
            "role": "author",
            "unit_id": str(unit),
        },
    )
    assert response.status_code == 302
    page = admin.get("/admin/users?q=tina").get_data(as_text=True)
    assert "tina@example.org" in page
    assert "School" in page
    # The new account can sign in with that password.
    anonymous = app.test_client()
    assert anonymous.get("/login").status_code == 200
    with anonymous.session_transaction() as s:
        s["csrf"] = "t"
    signed = anonymous.post(
        "/login", data={"email": "tina@example.org", "password": "long enough", "csrf_token": "t"}
    )
    assert signed.status_code == 302


def test_portal_admin_users_short_password_is_refused(portal, login):
    admin = login(portal.user(role="admin"))
    response = post(
        admin, "/admin/users", {"email": "a@example.org", "name": "A", "password": "short"}
    )
    assert response.status_code == 400


def test_portal_admin_user_role_unit_and_deactivation(portal, login):
    unit = portal.unit("school")
    lea = portal.user("lea@example.org")
    admin = login(portal.user("boss@example.org", role="admin"))
    lea_client = login(lea)
    assert lea_client.get("/").status_code == 200
    response = post(
        admin, f"/admin/users/{lea}", {"name": "Lea L", "role": "manager", "unit_id": str(unit)}
    )
    assert response.status_code == 302  # "active" unchecked: deactivated
    page = admin.get(f"/admin/users/{lea}").get_data(as_text=True)
    assert match(r'value="manager"\s+selected', page)
    # A deactivated account's session no longer counts.
    assert lea_client.get("/").status_code == 302


def test_portal_admin_user_last_admin_cannot_demote_themself(portal, login):
    admin_id = portal.user(role="admin")
    admin = login(admin_id)
    response = post(
        admin, f"/admin/users/{admin_id}", {"name": "A", "role": "learner", "active": "true"}
    )
    assert response.status_code == 409


def test_portal_admin_password_reset_lifts_the_lockout(portal, login, app):
    lea = portal.user("lea@example.org")
    admin = login(portal.user("boss@example.org", role="admin"))
    client = app.test_client()
    with client.session_transaction() as s:
        s["csrf"] = "t"
    for _ in range(app.config["LOCKOUT_ATTEMPTS"]):
        client.post(
            "/login", data={"email": "lea@example.org", "password": "wrong", "csrf_token": "t"}
        )
    assert (
        post(
            admin, f"/admin/users/{lea}", {"action": "password", "password": "brand new pw"}
        ).status_code
        == 302
    )
    response = client.post(
        "/login", data={"email": "lea@example.org", "password": "brand new pw", "csrf_token": "t"}
    )
    assert response.status_code == 302


def test_portal_admin_credentials_create_shows_secret_once_and_revoke(portal, login, client):
    admin = login(portal.user(role="admin"))
    response = post(
        admin,
        "/admin/credentials",
        {"name": "HR system", "scopes": ["statements/read", "statements/write"]},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    key = match(r'id="new-key">([^<]+)<', page).group(1)
    secret = match(r'id="new-secret">([^<]+)<', page).group(1)
    headers = {"Authorization": basic(key, secret), "X-Experience-API-Version": "1.0.3"}
    assert client.get("/xapi/statements", headers=headers).status_code == 200
    listing = admin.get("/admin/credentials").get_data(as_text=True)
    assert key in listing
    assert secret not in listing
    post(admin, "/admin/credentials", {"revoke": key})
    assert client.get("/xapi/statements", headers=headers).status_code == 401


def test_portal_admin_credentials_need_a_known_scope(portal, login):
    admin = login(portal.user(role="admin"))
    assert post(admin, "/admin/credentials", {"name": "x"}).status_code == 400
    assert post(admin, "/admin/credentials", {"name": "x", "scopes": "root"}).status_code == 400


@pytest.mark.parametrize("path", ["/admin/units", "/admin/users", "/admin/credentials"])
def test_portal_admin_forms_without_csrf_are_refused(portal, login, path):
    admin = login(portal.user(role="admin"))
    assert admin.post(path, data={"name": "x", "code": "x"}).status_code == 400


def test_portal_admin_users_long_list_asks_for_a_search(portal, login, monkeypatch):
    from portal.views import admin as admin_views

    monkeypatch.setattr(admin_views, "USERS_SHOWN", 2)
    for n in range(3):
        portal.user(f"p{n}@example.org")
    admin = login(portal.user("boss@example.org", role="admin"))
    assert "search to find others" in admin.get("/admin/users").get_data(as_text=True)
    page = admin.get("/admin/users?q=p1@").get_data(as_text=True)
    assert "p1@example.org" in page
    assert "search to find others" not in page


def test_portal_admin_credentials_trusted_for_results(portal, login, app):
    # Only an admin's choice makes a credential's results count (portal/projection.py).
    admin = login(portal.user(role="admin"))
    post(admin, "/admin/credentials", {"name": "Other LMS", "scopes": ["statements/write"]})
    post(
        admin,
        "/admin/credentials",
        {"name": "HR system", "scopes": ["statements/write"], "trusted": "y"},
    )
    from lrs.models import Credential

    with app.app_context():
        trusted = {c.name: c.trusted for c in db.session.scalars(select(Credential))}
    assert trusted == {"Other LMS": False, "HR system": True}
    listing = admin.get("/admin/credentials").get_data(as_text=True)
    assert "Results count" in listing


def _lock_out(app, email: str) -> None:
    client = app.test_client()
    with client.session_transaction() as s:
        s["csrf"] = "t"
    for _ in range(app.config["LOCKOUT_ATTEMPTS"]):
        client.post("/login", data={"email": email, "password": "wrong", "csrf_token": "t"})


def _signs_in(app, email: str, password: str) -> bool:
    client = app.test_client()
    with client.session_transaction() as s:
        s["csrf"] = "t"
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": "t"})
    return response.status_code == 302


def test_portal_admin_unlocks_a_locked_account_with_one_button(portal, login, app):
    lea = portal.user("lea@example.org", password="correct horse")
    admin = login(portal.user("boss@example.org", role="admin"))
    _lock_out(app, "lea@example.org")
    assert not _signs_in(app, "lea@example.org", "correct horse")
    page = admin.get(f"/admin/users/{lea}").get_data(as_text=True)
    assert 'name="action" value="unlock"' in page
    response = post(admin, f"/admin/users/{lea}", {"action": "unlock"})
    assert response.status_code == 302
    # The same password works again: unlocking sets no password and needs none.
    assert _signs_in(app, "lea@example.org", "correct horse")
    page = admin.get(f"/admin/users/{lea}").get_data(as_text=True)
    assert 'value="unlock"' not in page


def test_portal_admin_unlock_needs_an_admin_and_csrf(portal, login, app):
    lea = portal.user("lea@example.org", password="correct horse")
    _lock_out(app, "lea@example.org")
    for role in ("learner", "author", "manager"):
        other = login(portal.user(f"{role}@example.org", role=role))
        assert post(other, f"/admin/users/{lea}", {"action": "unlock"}).status_code == 403
    admin = login(portal.user("boss@example.org", role="admin"))
    assert admin.post(f"/admin/users/{lea}", data={"action": "unlock"}).status_code == 400
    assert not _signs_in(app, "lea@example.org", "correct horse")


@pytest.mark.parametrize("code", ["SOC-IFO", "KS1234", "bolag-7", "Utb_2.1"])
def test_portal_admin_units_accept_the_codes_organisations_use(portal, login, code):
    admin = login(portal.user(role="admin"))
    response = post(admin, "/admin/units", {"form": "new", "code": code, "name": "Enhet"})
    assert response.status_code == 302
    page = admin.get("/admin/units").get_data(as_text=True)
    assert f'name="code" value="{code}"' in page


def test_portal_admin_units_code_rule_is_shown_and_case_is_one_code(portal, login):
    admin = login(portal.user(role="admin"))
    page = admin.get("/admin/units", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Versaler, gemener, siffror" in page
    assert (
        post(admin, "/admin/units", {"form": "new", "code": "SOC", "name": "A"}).status_code == 302
    )
    assert (
        post(admin, "/admin/units", {"form": "new", "code": "soc", "name": "B"}).status_code == 409
    )
