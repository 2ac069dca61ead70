"""The content origin serves content and the runtime only (core/origins.py).

Uploaded content runs there; if a portal page answered there too, a script in an uploaded
SVG could read it (and its CSRF token) with the learner's or admin's cookie, and act as
them. So every portal page on the content host is sent to the portal, and the session is
neither read nor written there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from tests.portal.conftest import CSRF, Portal, post

CONTENT = "http://content.example"
PORTAL = "http://lms.example"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_hosts(app: Flask):
    app.config.update(CONTENT_ORIGIN=CONTENT, PORTAL_URL=PORTAL)
    yield
    app.config.update(CONTENT_ORIGIN="", PORTAL_URL="")


@pytest.fixture
def two_ports(app: Flask):
    # What ``make run`` sets up: the portal on PORT, content on CONTENT_PORT.
    app.config.update(CONTENT_PORT=5001, PORT=5000)
    yield
    app.config.update(CONTENT_PORT=0, PORT=5000)


def _sign_in(app: Flask, client, user_id: int, base_url: str) -> None:
    """A portal session for ``user_id`` on ``base_url``'s host, as signing in gives."""
    from accounts import login_sessions
    from core.db import db

    with app.app_context():
        session_id = login_sessions.start(user_id)
        db.session.commit()
    with client.session_transaction(base_url=base_url) as session:
        session["sid"] = session_id
        session["csrf"] = CSRF


@pytest.mark.parametrize(
    "path", ["/login", "/", "/admin/users", "/catalogue", "/my", "/author", "/reports?unit=1"]
)
def test_content_host_sends_portal_pages_to_the_portal(client, two_hosts, path):
    response = client.get(path, base_url=CONTENT)
    assert response.status_code == 303
    assert response.headers["Location"] == PORTAL + path
    assert "Set-Cookie" not in response.headers


def test_content_host_refuses_sign_in_and_forms(app, client, portal: Portal, two_hosts):
    admin = portal.user("admin@example.org", role="admin", password="correct horse")
    learner = portal.user("lea@example.org")
    # Signing in on the content host would give content a portal session there.
    signed_in = client.post(
        "/login",
        data={"email": "admin@example.org", "password": "correct horse", "csrf_token": CSRF},
        base_url=CONTENT,
    )
    assert signed_in.status_code == 404
    assert "Set-Cookie" not in signed_in.headers
    # The admin's own session cookie, sent to the content host (as a browser would, were
    # the two hosts to share cookies), with the right CSRF token: nothing happens there.
    _sign_in(app, client, admin, PORTAL)
    cookie = client.get_cookie("session", domain="lms.example")
    assert cookie is not None
    made_admin = post(
        client,
        f"/admin/users/{learner}",
        {"role": "admin"},
        base_url=CONTENT,
        headers={"Cookie": f"session={cookie.value}"},
    )
    assert made_admin.status_code == 404
    from accounts.models import User
    from core.db import db

    with app.app_context():
        assert db.session.get_one(User, learner).role == "learner"


def test_content_host_reads_no_portal_cookie(app, portal: Portal, two_ports):
    admin = portal.user("admin@example.org", role="admin")
    client = app.test_client()
    # The cookie is the portal's (127.0.0.1); cookies do not tell ports apart, so the
    # browser sends it to the content port as well.
    _sign_in(app, client, admin, "http://127.0.0.1:5000")
    cookie = client.get_cookie("session", domain="127.0.0.1")
    assert cookie is not None
    headers = {"Cookie": f"session={cookie.value}"}
    page = client.get("/admin/users", base_url="http://127.0.0.1:5000", headers=headers)
    assert page.status_code == 200
    on_content = client.get("/admin/users", base_url="http://localhost:5001", headers=headers)
    assert on_content.status_code == 303
    assert on_content.headers["Location"] == "http://127.0.0.1:5000/admin/users"
    assert "Set-Cookie" not in on_content.headers
    logout = client.post(
        "/logout", data={"csrf_token": CSRF}, base_url="http://localhost:5001", headers=headers
    )
    assert logout.status_code == 404
    assert "Set-Cookie" not in logout.headers


@pytest.mark.parametrize(
    ("portal_url", "content_url"),
    [
        ("http://127.0.0.1:5000", "http://localhost:5001"),
        ("http://localhost:5000", "http://127.0.0.1:5001"),
        ("http://10.1.2.3:5000", "http://10.1.2.3:5001"),
        ("http://lms.kommun.example:5000", "http://lms.kommun.example:5001"),
    ],
)
def test_content_port_is_the_content_origin(
    client, portal: Portal, two_ports, portal_url, content_url
):
    # Content asked for on the portal's port moves to the content port (another origin;
    # on one machine, another host name as well, so even cookies are apart).
    portal.course("Fire safety")

    key = _content_key(client)
    moved = client.get(f"/content/{key}/index.html", base_url=portal_url)
    assert moved.status_code == 308
    assert moved.headers["Location"] == f"{content_url}/content/{key}/index.html"
    served = client.get(f"/content/{key}/index.html", base_url=content_url)
    assert served.status_code == 200
    back = client.get("/catalogue", base_url=content_url)
    assert back.status_code == 303
    assert back.headers["Location"] == f"{portal_url}/catalogue"


def _content_key(client) -> str:
    from core.db import db
    from packages.models import PackageVersion

    with client.application.app_context():
        return db.session.query(PackageVersion.content_hash).scalar()


def test_content_origin_needs_portal_url(tmp_path):
    # Without the portal's address the content host could not send pages there.
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "CONTENT_ORIGIN": CONTENT}
    env.pop("PORTAL_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode != 0
    assert "PORTAL_URL" in done.stderr
