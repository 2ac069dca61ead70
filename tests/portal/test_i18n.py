"""Swedish and English: browser language, the user's setting, locale-formatted numbers."""

from __future__ import annotations

import pytest

from tests.portal.conftest import post


@pytest.mark.parametrize(
    ("accept", "expected", "lang"),
    [
        ("sv-SE,sv;q=0.9,en;q=0.5", "Logga in", "sv"),
        ("en-GB,en;q=0.8", "Sign in", "en"),
        ("de", "Sign in", "en"),
    ],
)
def test_portal_i18n_login_page_follows_the_browser(client, accept, expected, lang):
    page = client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert expected in page
    assert f'<html lang="{lang}">' in page


def test_portal_i18n_user_setting_beats_the_browser(portal, login):
    client = login(portal.user())
    assert "Kurskatalog" not in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert post(client, "/settings", {"locale": "sv"}).status_code == 302
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Kurskatalog" in page
    assert "Hoppa till innehållet" in page
    post(client, "/settings", {"locale": ""})
    assert "Catalogue" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_portal_i18n_language_switch_for_anonymous_visitors(client):
    with client.session_transaction() as s:
        s["csrf"] = "t"
    response = client.post("/language", data={"locale": "sv", "next": "/login", "csrf_token": "t"})
    assert response.headers["Location"] == "/login"
    assert "Logga in" in client.get("/login").get_data(as_text=True)


def test_portal_i18n_numbers_in_the_users_locale(portal, login):
    trainer = portal.user("tom@example.org", role="author")
    course = portal.course("Big room", kind="classroom")
    portal.session(course, trainer, seats=1500)
    client = login(portal.user())
    english = client.get(f"/catalogue/{course}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "1,500" in english
    swedish = client.get(f"/catalogue/{course}", headers={"Accept-Language": "sv"}).get_data(
        as_text=True
    )
    assert "1\u00a0500" in swedish
    assert ">Boka<span" in swedish


def test_portal_i18n_invalid_form_in_swedish_is_refused(portal, login):
    client = login(portal.user(role="admin"))
    page = post(
        client,
        "/admin/users",
        {"email": "a@example.org", "name": "A", "password": "short"},
        headers={"Accept-Language": "sv"},
    )
    assert page.status_code == 400
