"""Portal sign-in: sessions, lockout, CSRF and safe redirects."""

from __future__ import annotations

import re

import pytest

from core.db import db
from portal import service


@pytest.fixture
def make_user(app):
    def make(
        email: str = "learner@example.org", password: str = "correct horse", role: str = "learner"
    ):
        with app.app_context():
            user = service.create_user(email, "Lea Learner", password, role=role)
            db.session.commit()
            return user.id

    return make


def csrf_from(client, path: str = "/login") -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def sign_in(client, email: str, password: str, next_url: str | None = None):
    token = csrf_from(client)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def test_portal_login_starts_a_session(client, make_user):
    make_user()
    assert client.get("/").status_code == 302
    response = sign_in(client, "learner@example.org", "correct horse")
    assert response.status_code == 302
    assert "Lea Learner" in client.get("/").get_data(as_text=True)


def test_portal_login_wrong_password_is_refused(client, make_user):
    make_user()
    response = sign_in(client, "learner@example.org", "wrong")
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_portal_login_locks_after_repeated_failures(client, make_user, app):
    make_user()
    for _ in range(app.config["LOCKOUT_ATTEMPTS"]):
        sign_in(client, "learner@example.org", "wrong")
    # Locked: even the right password is refused for a while.
    assert sign_in(client, "learner@example.org", "correct horse").status_code == 401


def test_portal_login_without_csrf_token_is_refused(client, make_user):
    make_user()
    response = client.post(
        "/login", data={"email": "learner@example.org", "password": "correct horse"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/courses", "/courses"), ("//evil.example.org/", "/"), ("https://evil.example.org/", "/")],
)
def test_portal_login_redirects_only_within_the_site(client, make_user, next_url, expected):
    make_user()
    response = sign_in(client, "learner@example.org", "correct horse", next_url)
    assert response.headers["Location"] == expected


def test_portal_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user()
    response = sign_in(client, "learner@example.org", "correct horse")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
