"""Shared fixtures: the app, clients, an authenticated xAPI client and factories.

Runs on SQLite by default; set TEST_DATABASE_URL (e.g. postgresql+psycopg://...) to run
the same suite on PostgreSQL.  Tables are built by the Alembic migrations once per run
and emptied after each test.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from config import TestConfig
from core import create_app
from core.db import db
from tests.s3_server import on_s3, s3_server  # noqa: F401  (fixtures for every test)

# ../shared beside the checkout (CI puts it there); SHARED_DIR overrides.
SHARED = Path(os.environ.get("SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
CORPUS = SHARED / "corpus" / "scorm"


NO_CORPUS = (
    f"needs the package corpus at {CORPUS} (put ../shared beside the checkout or set SHARED_DIR)"
)


def require_corpus() -> None:
    """For fixtures that import corpus packages: skip the test when the corpus is missing."""
    if not CORPUS.is_dir():
        pytest.skip(NO_CORPUS)


def _needs_corpus(item: pytest.Item) -> bool:
    """A test needs ../shared's corpus when marked so, or when its module holds a path
    into ../shared (CORPUS = SHARED / ...); fixtures that need it call require_corpus()."""
    if item.get_closest_marker("corpus"):
        return True
    module = getattr(item, "module", None)
    return (
        any(
            isinstance(value, Path) and value.is_relative_to(SHARED)
            for value in vars(module).values()
        )
        if module is not None
        else False
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus: reads packages from ../shared/corpus/scorm")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without ../shared (a clone somewhere else) the corpus tests skip, all with one
    reason naming what is missing; under CI they must run, so CI fails instead."""
    if CORPUS.is_dir():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI runs the corpus tests, but {CORPUS} does not exist")
    skip = pytest.mark.skip(reason=NO_CORPUS)
    for item in items:
        if _needs_corpus(item):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the whole run, on a fresh database built by the migrations."""
    instance = tmp_path_factory.mktemp("instance")
    url = TestConfig.SQLALCHEMY_DATABASE_URI
    if url == "sqlite://":
        url = f"sqlite:///{instance / 'test.db'}"
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TestConfig.SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance),
            "STORAGE_PATH": str(instance / "storage"),
        }
    )
    with application.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()  # close pooled connections before the interpreter exits


@pytest.fixture(autouse=True)
def _jobs_in_the_test_app(app: Flask) -> Iterator[None]:
    """Jobs, and the run rows huey's signals write, use the suite's app; a test's jobs end
    with it.

    Every ``create_app`` points ``core.jobs`` at the newest app (a process has one app,
    but tests build others). A test that built one must not leave it to the tests after
    it: their enqueues would open connections in that app's pool, left open when the
    app is garbage collected (psycopg's ResourceWarning, in whatever test runs then).

    The queue (a file in the run's instance directory) outlives a test, so the jobs a
    test enqueued and did not run are emptied out after it: else a later test's
    ``drain`` would run them on that test's rows, whose ids SQLite gives out again (the
    LRS forwarding tests' replay and delivery jobs ran in the admin forwarding test's
    drain, on its own target).
    """
    from core import jobs

    if jobs.app() is not app:
        jobs.init_app(app)
    yield
    if jobs.app() is not app:
        jobs.init_app(app)
    jobs.huey.flush()


@pytest.fixture(autouse=True)
def _clean_tables(app: Flask) -> Iterator[None]:
    """Empty every table after each test so tests never see each other's rows.

    Why not one transaction rolled back per test: the application writes outside the
    request's transaction on purpose (a sign-in session's last use, a credential's
    renewal, its xAPI version) and asks the database whether another connection holds
    a write (the LRS's stored clock, SQLite's write lock); inside one test-wide
    transaction on one connection those paths would behave unlike production, and the
    live-server tests (browser, SCIM) commit from other threads anyway. Instead the
    clean-up asks, in one query, which tables have rows and deletes only from those
    (a test writes a handful of the 34), in one round trip on PostgreSQL.
    """
    yield
    with app.app_context():
        db.session.remove()
        for attempt in range(5):
            try:
                with db.engine.begin() as conn:
                    _empty_written_tables(conn)
                break
            except OperationalError:
                # A browser test's late request (a pagehide beacon) can still hold row
                # locks; PostgreSQL then picks the clean-up as the deadlock victim.
                if attempt == 4:
                    raise


def _empty_written_tables(conn: Connection) -> None:
    """Delete the rows of every table that has any, children before parents."""
    quote = conn.dialect.identifier_preparer.quote
    tables = [quote(table.name) for table in reversed(db.metadata.sorted_tables)]
    # Table names from our own metadata, quoted: nothing here comes from outside.
    probe = " UNION ALL ".join(
        f"SELECT {i} FROM (SELECT 1 FROM {name} LIMIT 1) AS t{i}"  # noqa: S608
        for i, name in enumerate(tables)
    )
    written = sorted(row[0] for row in conn.exec_driver_sql(probe))
    deletes = [f"DELETE FROM {tables[i]}" for i in written]  # noqa: S608
    if not deletes:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("; ".join(deletes))  # one round trip
    else:
        for delete in deletes:  # sqlite3 runs one statement per call
            conn.exec_driver_sql(delete)


@pytest.fixture
def review_off(app: Flask) -> Iterator[None]:
    """COURSE_REVIEW off for one test: authors publish their own uploads, as before review."""
    saved = app.config["COURSE_REVIEW"]
    app.config["COURSE_REVIEW"] = False
    yield
    app.config["COURSE_REVIEW"] = saved


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A plain test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_credential(app: Flask) -> Callable[..., tuple[str, str]]:
    """Create an LRS credential; returns (key, secret)."""
    from lrs import auth

    def make(scopes: list[str] | None = None, name: str = "test", **kwargs: Any) -> tuple[str, str]:
        with app.app_context():
            credential, secret = auth.create_credential(name, scopes or ["all"], **kwargs)
            db.session.commit()
            return credential.key, secret

    return make


def signed_in(client: FlaskClient, user_id: int, csrf: str = "test-csrf-token") -> FlaskClient:
    """Give ``client`` a portal session of the user, as signing in does; the CSRF token is ``csrf``.

    The session is a server-side record (accounts/login_sessions.py): a cookie holding
    only a user id signs nobody in.
    """
    from accounts import login_sessions

    with client.application.app_context():
        session_id = login_sessions.start(user_id)
        db.session.commit()
    with client.session_transaction() as session:
        session["sid"] = session_id
        session["csrf"] = csrf
    return client


def basic(key: str, secret: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class XapiClient:
    """A test client that sends credentials and the version header on every call."""

    def __init__(self, client: FlaskClient, auth: str, version: str = "1.0.3") -> None:
        self.client = client
        self.auth = auth
        self.version = version

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: Any = None,
        headers: dict[str, str | None] | None = None,
        query: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """Send one request; ``path`` is relative to /xapi/ unless it starts with '/'.

        A header given as None is left out (e.g. to send no version header)."""
        url = path if path.startswith("/") else "/xapi/" + path
        sent: dict[str, str | None] = {"Authorization": self.auth}
        if self.version:
            sent["X-Experience-API-Version"] = self.version
        sent.update(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        sent = {k: v for k, v in sent.items() if v is not None}
        return self.client.open(
            url, method=method, data=data, headers=sent, query_string=query, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, json_body=body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, json_body=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def xapi(client: FlaskClient, make_credential: Callable[..., tuple[str, str]]) -> XapiClient:
    """An all-scope xAPI client speaking 1.0.3 (set ``xapi.version = "2.0.0"`` to switch)."""
    return XapiClient(client, basic(*make_credential(["all"])))


@pytest.fixture
def make_xapi(
    client: FlaskClient, make_credential: Callable[..., tuple[str, str]]
) -> Callable[..., XapiClient]:
    """Build an xAPI client with the given scopes and version."""

    def make(scopes: list[str] | None = None, version: str = "1.0.3", **kwargs: Any) -> XapiClient:
        return XapiClient(client, basic(*make_credential(scopes or ["all"], **kwargs)), version)

    return make


@pytest.fixture
def make_statement() -> Callable[..., dict[str, Any]]:
    """A valid statement; keyword arguments replace top-level properties."""

    def make(**overrides: Any) -> dict[str, Any]:
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.org"},
            "verb": {
                "id": "http://adlnet.gov/expapi/verbs/completed",
                "display": {"en-US": "completed"},
            },
            "object": {
                "objectType": "Activity",
                "id": "http://example.org/courses/fire-safety",
                "definition": {"name": {"en-US": "Fire safety"}},
            },
        }
        statement.update(overrides)
        return {k: v for k, v in statement.items() if v is not None}

    return make


def match(pattern: str | re.Pattern[str], text: str) -> re.Match[str]:
    """``re.search`` that fails the test, naming the pattern, when nothing matches."""
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not found"
    return found


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say once, at the end, why the corpus tests were skipped."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if NO_CORPUS in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} tests skipped: {NO_CORPUS}")
