"""Behind a reverse proxy: forwarded headers count only from configured proxies.

The session cookie is ``Secure`` whenever the request came over HTTPS, directly or
through a trusted proxy (X-Forwarded-Proto), and never because a client says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request

from core import create_app
from core.db import db

PROXY = "10.0.0.5"
CLIENT = "203.0.113.9"
FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "portal.example.org",
    "X-Forwarded-For": "192.0.2.44",
}


@pytest.fixture
def make_app(app: Flask) -> Iterator[Any]:
    """Another app on the test database with some settings changed, and a probe route."""
    made: list[Flask] = []

    def make(**settings: Any) -> Flask:
        base = {
            key: app.config[key]
            for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH")
        }
        other = create_app(base | settings)

        @other.get("/_probe")
        def probe() -> Any:
            return jsonify(
                url_root=request.url_root, remote_addr=request.remote_addr, secure=request.is_secure
            )

        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _session_cookie(app: Flask, **kwargs: Any) -> str:
    """The Set-Cookie header of the sign-in page (it puts a CSRF token in the session)."""
    response = app.test_client().get("/login", **kwargs)
    assert response.status_code == 200
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")]
    assert cookies, response.headers
    return cookies[0]


def test_proxy_headers_from_a_client_are_ignored(make_app):
    app = make_app(TRUSTED_PROXIES=PROXY)
    sent = {"headers": FORWARDED, "environ_base": {"REMOTE_ADDR": CLIENT}}
    probe = app.test_client().get("/_probe", **sent).get_json()
    assert probe == {"url_root": "http://localhost/", "remote_addr": CLIENT, "secure": False}
    assert "Secure" not in _session_cookie(app, **sent)


def test_proxy_headers_are_ignored_when_no_proxy_is_configured(make_app):
    app = make_app()
    sent = {"headers": FORWARDED, "environ_base": {"REMOTE_ADDR": PROXY}}
    probe = app.test_client().get("/_probe", **sent).get_json()
    assert probe == {"url_root": "http://localhost/", "remote_addr": PROXY, "secure": False}
    assert "Secure" not in _session_cookie(app, **sent)


@pytest.mark.parametrize("trusted", [PROXY, "10.0.0.0/24", "192.0.2.1, 10.0.0.5"])
def test_proxy_headers_from_a_configured_proxy_count(make_app, trusted):
    app = make_app(TRUSTED_PROXIES=trusted)
    sent = {"headers": FORWARDED, "environ_base": {"REMOTE_ADDR": PROXY}}
    probe = app.test_client().get("/_probe", **sent).get_json()
    assert probe == {
        "url_root": "https://portal.example.org/",
        "remote_addr": "192.0.2.44",
        "secure": True,
    }
    cookie = _session_cookie(app, **sent)
    assert "Secure" in cookie
    assert "HttpOnly" in cookie


def test_proxy_only_the_configured_number_of_hops_is_believed(make_app):
    app = make_app(TRUSTED_PROXIES=PROXY)
    # A client put its own X-Forwarded-For in front; the one proxy appended the real one.
    headers = {**FORWARDED, "X-Forwarded-For": "6.6.6.6, 192.0.2.44"}
    sent = {"headers": headers, "environ_base": {"REMOTE_ADDR": PROXY}}
    assert app.test_client().get("/_probe", **sent).get_json()["remote_addr"] == "192.0.2.44"


def test_proxy_direct_https_makes_the_cookie_secure(make_app):
    app = make_app()
    assert "Secure" in _session_cookie(app, base_url="https://localhost")
    assert "Secure" not in _session_cookie(app, base_url="http://localhost")


def test_proxy_secure_cookie_can_be_forced(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    assert "Secure" in _session_cookie(app, base_url="http://localhost")


def test_proxy_the_client_limit_counts_the_forwarded_client(make_app, portal):
    """Behind a trusted proxy the sign-in limit is per client, not per proxy."""
    from tests.portal.conftest import sign_in

    portal.user("lea@example.org", password="correct horse")
    app = make_app(TRUSTED_PROXIES=PROXY, SIGNIN_RATE_LIMIT=2)
    spray: dict[str, Any] = {
        "headers": {"X-Forwarded-For": "192.0.2.44"},
        "environ_base": {"REMOTE_ADDR": PROXY},
    }
    for n in range(2):
        assert sign_in(app.test_client(), f"g{n}@example.org", "wrong", **spray).status_code == 401
    refused = sign_in(app.test_client(), "lea@example.org", "correct horse", **spray)
    assert refused.status_code == 429
    other: dict[str, Any] = {
        "headers": {"X-Forwarded-For": "192.0.2.45"},
        "environ_base": {"REMOTE_ADDR": PROXY},
    }
    response = sign_in(app.test_client(), "lea@example.org", "correct horse", **other)
    assert response.status_code == 302
