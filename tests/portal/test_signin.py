"""Sign-in under attack: no account oracle, atomic failure counts, a per-client limit.

Timing is tested by its mechanism (one password-hash check of the same cost on every
path), never by a clock; concurrency by real threads against the app, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from accounts import service
from accounts.models import User
from core import create_app
from core.db import db
from tests.conftest import basic
from tests.portal.conftest import sign_in

EMAIL, PASSWORD = "lea@example.org", "correct horse"
OTHER_CLIENT = {"REMOTE_ADDR": "198.51.100.7"}


@pytest.fixture
def lea(app: Flask) -> int:
    """An account with a real (default-cost) password hash."""
    with app.app_context():
        user = service.create_user(EMAIL, "Lea", PASSWORD, role="author")
        db.session.commit()
        return user.id


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every password hash the sign-in compares against, in order."""
    calls: list[str] = []
    original = service.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        calls.append(pwhash)
        return original(pwhash, password)

    monkeypatch.setattr(service, "check_password_hash", spy)
    return calls


def _user(app: Flask, **changes: Any) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        assert user is not None
        for name, value in changes.items():
            setattr(user, name, value)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def _method(pwhash: str) -> str:
    return pwhash.split("$", 1)[0]


# -- One hash check of the same cost on every path (no account oracle) --------------------


@pytest.mark.parametrize(
    ("case", "email", "password", "status"),
    [
        ("right password", EMAIL, PASSWORD, 302),
        ("wrong password", EMAIL, "wrong", 401),
        ("unknown e-mail", "nobody@example.org", "wrong", 401),
        ("inactive account", EMAIL, PASSWORD, 401),
        ("locked account", EMAIL, PASSWORD, 401),
    ],
)
def test_portal_signin_checks_one_hash_of_the_same_cost_on_every_path(
    app, client, lea, hash_checks, case, email, password, status
):
    if case == "inactive account":
        _user(app, active=False)
    if case == "locked account":
        _user(app, locked_until=datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5))
    response = sign_in(client, email, password)
    assert response.status_code == status
    assert len(hash_checks) == 1
    assert _method(hash_checks[0]) == _method(generate_password_hash("x"))
    if case in ("unknown e-mail", "inactive account", "locked account"):
        assert hash_checks[0] != _user(app).password_hash  # a dummy, not the account's


@pytest.mark.parametrize(
    ("email", "password", "status"),
    [(EMAIL, PASSWORD, 200), (EMAIL, "wrong", 401), ("nobody@example.org", "wrong", 401)],
)
def test_portal_signin_packages_api_checks_one_hash_on_every_path(
    client, lea, hash_checks, email, password, status
):
    headers = {"Authorization": basic(email, password)}
    response = client.get("/api/packages/courses", headers=headers)
    assert response.status_code == status
    assert len(hash_checks) == 1


# -- Concurrent failures count one each -----------------------------------------------------


def _concurrently(app: Flask, count: int, action: Callable[[Any], Any], monkeypatch) -> list[Any]:
    """Run ``action(client)`` in ``count`` threads, each with its own client and session.

    Every thread holds in the password check until all have reached it, so each has read
    the account before any has written: a read-modify-write counter loses updates here.
    """
    barrier = threading.Barrier(count, timeout=60)
    original = service.check_password_hash

    def gathered(pwhash: str, password: str) -> bool:
        barrier.wait()
        return original(pwhash, password)

    monkeypatch.setattr(service, "check_password_hash", gathered)
    clients = [app.test_client() for _ in range(count)]
    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(action, clients))
    monkeypatch.setattr(service, "check_password_hash", original)
    return results


def test_portal_signin_concurrent_failures_each_count(app, lea, monkeypatch):
    count = app.config["LOCKOUT_ATTEMPTS"] - 1
    results = _concurrently(
        app, count, lambda c: sign_in(c, EMAIL, "wrong").status_code, monkeypatch
    )
    assert results == [401] * count
    assert _user(app).failed_logins == count


def test_portal_signin_concurrent_failures_reach_the_lockout(app, lea, monkeypatch):
    count = app.config["LOCKOUT_ATTEMPTS"]
    _concurrently(app, count, lambda c: sign_in(c, EMAIL, "wrong").status_code, monkeypatch)
    user = _user(app)
    assert user.locked_until is not None
    assert user.failed_logins == 0
    assert sign_in(app.test_client(), EMAIL, PASSWORD).status_code == 401


def test_portal_signin_concurrent_failures_reach_the_client_limit(app, lea, monkeypatch):
    count = 4
    monkeypatch.setitem(app.config, "SIGNIN_RATE_LIMIT", count)
    _concurrently(
        app, count, lambda c: sign_in(c, f"x{id(c)}@example.org", "wrong").status_code, monkeypatch
    )
    assert sign_in(app.test_client(), EMAIL, PASSWORD).status_code == 429


def test_portal_signin_success_clears_the_failure_count(app, client, lea):
    sign_in(client, EMAIL, "wrong")
    sign_in(client, EMAIL, "wrong")
    assert _user(app).failed_logins == 2
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302
    assert _user(app).failed_logins == 0


# -- A per-client limit on failed sign-ins ---------------------------------------------------


@pytest.fixture
def limit(app, monkeypatch) -> int:
    monkeypatch.setitem(app.config, "SIGNIN_RATE_LIMIT", 3)
    return 3


def _spray(client, count: int, **kwargs: Any) -> None:
    """Failed sign-ins on as many accounts (no account lockout is reached)."""
    for n in range(count):
        assert sign_in(client, f"guess{n}@example.org", "wrong", **kwargs).status_code == 401


def test_portal_signin_client_limit_answers_429_with_retry_after(app, client, lea, limit):
    _spray(client, limit)
    response = sign_in(client, EMAIL, PASSWORD)  # even the right password, from this client
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert 0 < retry <= app.config["SIGNIN_RATE_WINDOW"]
    page = response.get_data(as_text=True)
    assert "Too many failed sign-ins" in page
    assert 'name="email"' in page
    assert client.get("/").status_code == 302  # not signed in


def test_portal_signin_client_limit_message_in_swedish(client, lea, limit):
    _spray(client, limit)
    response = sign_in(client, EMAIL, PASSWORD, headers={"Accept-Language": "sv"})
    assert response.status_code == 429
    assert "För många misslyckade inloggningar" in response.get_data(as_text=True)


def test_portal_signin_client_limit_is_per_client(app, client, lea, limit):
    _spray(client, limit)
    other = app.test_client()
    assert sign_in(other, EMAIL, PASSWORD, environ_base=OTHER_CLIENT).status_code == 302


def test_portal_signin_client_limit_groups_an_ipv6_network(app, lea, limit):
    first, second = app.test_client(), app.test_client()
    _spray(first, limit, environ_base={"REMOTE_ADDR": "2001:db8:1:2::1"})
    other_host = {"REMOTE_ADDR": "2001:db8:1:2:ffff::9"}
    assert sign_in(second, EMAIL, PASSWORD, environ_base=other_host).status_code == 429
    other_network = {"REMOTE_ADDR": "2001:db8:1:3::1"}
    assert sign_in(second, EMAIL, PASSWORD, environ_base=other_network).status_code == 302


def test_portal_signin_client_limit_holds_across_workers(app, lea, limit):
    """Two app instances (workers, nodes) on one database share the count."""
    second = create_app(
        {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")}
        | {"INSTANCE_PATH": app.config["INSTANCE_PATH"], "SIGNIN_RATE_LIMIT": limit}
    )
    try:
        _spray(app.test_client(), limit - 1)
        _spray(second.test_client(), 1)
        assert sign_in(app.test_client(), EMAIL, PASSWORD).status_code == 429
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_portal_signin_client_limit_ends_with_its_window(app, client, lea, limit):
    from accounts.models import SignInThrottle

    _spray(client, limit)
    assert sign_in(client, EMAIL, PASSWORD).status_code == 429
    window = timedelta(seconds=app.config["SIGNIN_RATE_WINDOW"] + 1)
    with app.app_context():
        for row in db.session.scalars(select(SignInThrottle)):
            row.window_start -= window
        db.session.commit()
    assert sign_in(client, EMAIL, PASSWORD).status_code == 302


def test_portal_signin_client_limit_covers_the_packages_api(client, lea, limit):
    for n in range(limit):
        wrong = basic(f"guess{n}@example.org", "wrong")
        response = client.get("/api/packages/courses", headers={"Authorization": wrong})
        assert response.status_code == 401
    right = basic(EMAIL, PASSWORD)
    response = client.get("/api/packages/courses", headers={"Authorization": right})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["status"] == 429


def test_portal_signin_client_limit_is_checked_before_the_password(client, lea, limit, hash_checks):
    _spray(client, limit)
    hash_checks.clear()
    assert sign_in(client, EMAIL, PASSWORD).status_code == 429
    assert hash_checks == []
