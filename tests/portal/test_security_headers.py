"""Security headers on every portal page and error page (CSP, framing, referrer, sniffing)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Response, render_template_string

from tests.conftest import match
from tests.portal.conftest import CSRF, post

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"

DIRECTIVES = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def assert_portal_headers(response: Response) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    for directive in DIRECTIVES:
        assert directive in policy, (directive, policy)
    script = match(r"script-src ([^;]*)", policy)
    assert script is not None, policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]


def own_policy() -> Response:
    response = Response("<!doctype html><p>framed</p>", mimetype="text/html")
    response.headers["Content-Security-Policy"] = "frame-ancestors https://lms.example.org"
    return response


def inline() -> str:
    return render_template_string('<!doctype html><script nonce="{{ csp_nonce() }}">1</script>')


def boom() -> str:
    raise RuntimeError("boom")


@pytest.mark.parametrize("role", ["learner", "author", "manager", "admin"])
def test_portal_headers_on_each_roles_pages(portal, login, role):
    client = login(portal.user(role=role))
    for path in ("/", "/catalogue", "/my", "/settings"):
        response = client.get(path)
        assert response.status_code == 200
        assert_portal_headers(response)


def test_portal_headers_on_the_sign_in_page(client):
    assert_portal_headers(client.get("/login"))


@pytest.mark.parametrize("path", ["/author", "/reports", "/admin/users", "/admin/credentials"])
def test_portal_headers_on_role_pages(portal, login, path):
    assert_portal_headers(login(portal.user(role="admin")).get(path))


def test_portal_headers_on_error_pages(portal, login, client, swap_view, app, monkeypatch):
    learner = login(portal.user())
    assert_portal_headers(client.get("/no/such/page"))
    assert_portal_headers(learner.get("/no/such/page"))
    assert_portal_headers(learner.get("/logout"))  # 405
    assert_portal_headers(learner.get("/author"))  # 403
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", False)
    swap_view("portal.get_catalogue", boom)
    assert_portal_headers(client.get("/catalogue"))  # 500
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    big = login(portal.user("ann@example.org", role="author")).post(
        "/author", data={"csrf_token": CSRF, "file": (io.BytesIO(b"x" * 5000), "big.zip")}
    )
    assert big.status_code == 413
    assert_portal_headers(big)


def test_portal_headers_leave_a_responses_own_policy_alone(swap_view, client):
    swap_view("portal.home", own_policy)
    response = client.get("/")
    assert response.headers["Content-Security-Policy"] == "frame-ancestors https://lms.example.org"
    assert "X-Frame-Options" not in response.headers


def test_portal_headers_runtime_frame_keeps_its_own_policy(portal, app, client):
    from accounts.models import User
    from core.db import db
    from packages.service import get_course
    from player import attempts

    course = portal.course("Fire safety")
    learner = portal.user()
    with app.app_context():
        _attempt, token = attempts.launch(db.session.get_one(User, learner), get_course(course))
        db.session.commit()
    response = client.get(f"/player/{token}/runtime?ui=http://localhost")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("frame-ancestors")
    assert "X-Frame-Options" not in response.headers


def test_portal_headers_nonce_is_new_for_each_response(swap_view, client):
    swap_view("portal.home", inline)
    nonces = []
    for _ in range(2):
        response = client.get("/")
        page = response.get_data(as_text=True)
        nonce = match(r'nonce="([^"]+)"', page).group(1)
        assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_portal_headers_no_nonce_when_no_page_needs_one(client):
    assert "nonce-" not in client.get("/login").headers["Content-Security-Policy"]


def test_portal_headers_json_api_answers_are_not_pages(client):
    response = client.get("/xapi/about")
    assert response.is_json
    assert "frame-ancestors 'none'" not in response.headers.get("Content-Security-Policy", "")


# What a CSP without 'unsafe-inline' would block: none of it may be in a portal template.
INLINE = {
    "an inline <style> element": re.compile(r"<style[\s>]", re.I),
    "a style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "an inline <script> without a nonce": re.compile(r"<script(?![^>]*\b(src|nonce)=)[^>]*>", re.I),
    "an on*= event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_portal_headers_templates_have_nothing_inline(template):
    text = (TEMPLATES / template).read_text()
    for what, pattern in INLINE.items():
        assert not pattern.search(text), f"{template} has {what}"


def test_portal_headers_stylesheet_is_served(client):
    page = client.get("/login").get_data(as_text=True)
    href = match(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    response = client.get(href)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "visually-hidden" in response.get_data(as_text=True)


def test_portal_headers_not_on_answers_that_are_no_page(portal, login):
    response = post(login(portal.user()), "/logout")
    assert response.status_code == 302
    assert "Content-Security-Policy" not in response.headers


def test_portal_headers_cmi5_return_page_has_its_own_policy(portal, app, client):
    # The cmi5 returnURL page runs one inline script, inside the player's frames: the
    # portal's policy would refuse both, so it brings its own, with this response's nonce.
    from accounts.models import User
    from core.db import db
    from packages.service import get_course
    from player import attempts

    course = portal.course("Fire safety")
    learner = portal.user()
    with app.app_context():
        _attempt, token = attempts.launch(db.session.get_one(User, learner), get_course(course))
        db.session.commit()
    response = client.get(f"/player/{token}/returned")
    policy = response.headers["Content-Security-Policy"]
    nonce = match(r'<script nonce="([^"]+)">', response.get_data(as_text=True)).group(1)
    assert f"script-src 'nonce-{nonce}'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "'unsafe-inline'" not in policy
