"""Portal sign-in: sessions, lockout, CSRF and safe redirects."""

from __future__ import annotations

import pytest

from accounts import service
from core.db import db
from tests.portal.conftest import sign_in


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


# Values of ``next`` as the view receives them (the query string decoded once). Browsers
# drop tab, CR and LF from URLs and read a backslash as a slash (WHATWG URL, "special"
# schemes), so each of these leaves the site or could; none is cleaned up and followed.
HOSTILE_NEXT = [
    "//evil.example.org/",
    "https://evil.example.org/",
    "///evil.example.org",
    "////evil.example.org",
    "/\t/evil.example.org",
    "/\n/evil.example.org",
    "/\r/evil.example.org",
    "\t//evil.example.org",
    "/\x00/evil.example.org",
    "/\\evil.example.org",
    "\\\\evil.example.org",
    "\\/evil.example.org",
    "/\\/evil.example.org",
    "https:evil.example.org",
    "http:/evil.example.org",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " /evil.example.org",
    "evil.example.org",
    "/%09/evil.example.org",
    "/%0a/evil.example.org",
    "/%5Cevil.example.org",
    "/%5C%5Cevil.example.org",
    "%2F%2Fevil.example.org",
    "/%2F/evil.example.org",
    "/\u200b/evil.example.org",
    "/\u2028/evil.example.org",
]
SAFE_NEXT = ["/catalogue", "/catalogue?q=fire&kind=elearning", "/my#done", "/courses/3/launch"]


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_portal_login_refuses_to_redirect_off_site(client, make_user, next_url):
    make_user()
    response = sign_in(client, "learner@example.org", "correct horse", next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("next_url", HOSTILE_NEXT)
def test_portal_language_switch_refuses_to_redirect_off_site(client, next_url):
    with client.session_transaction() as s:
        s["csrf"] = "t"
    response = client.post("/language", data={"locale": "sv", "next": next_url, "csrf_token": "t"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("next_url", SAFE_NEXT)
def test_portal_login_follows_a_same_site_path(client, make_user, next_url):
    make_user()
    response = sign_in(client, "learner@example.org", "correct horse", next_url)
    assert response.headers["Location"] == next_url


def test_portal_login_raw_query_with_a_tab_is_refused(client, make_user):
    """The reported URL, exactly as a browser sends it."""
    make_user()
    from tests.portal.conftest import csrf_from

    token = csrf_from(client)
    response = client.post(
        "/login?next=/%09/evil.example",
        data={"email": "learner@example.org", "password": "correct horse", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_portal_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user()
    response = sign_in(client, "learner@example.org", "correct horse")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
