"""PostgreSQL through a real pgbouncer in transaction mode (DATABASE_TRANSACTION_POOLING).

In ``pool_mode=transaction`` each transaction may run on another server connection:
what a client leaves on the server (psycopg's prepared statements, session advisory
locks) meets other clients. The first test shows the hazard is real with this
pgbouncer; the others run the service through it with the setting on.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import Connection, text

from config import TestConfig
from core import create_app
from core.db import SETUP_LOCK_KEY, db, lock_for_setup
from tests import pgbouncer_server
from tests.conftest import XapiClient, basic

pytestmark = pytest.mark.skipif(
    not TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql"),
    reason="pgbouncer stands in front of PostgreSQL (set TEST_DATABASE_URL)",
)

# psycopg prepares a query on the server after this many runs on one connection.
PREPARE_THRESHOLD = 5


@pytest.fixture(autouse=True)
def _pgbouncer_installed() -> None:
    if not pgbouncer_server.available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the pgbouncer tests, but {pgbouncer_server.BINARY} is missing")
        pytest.skip(f"{pgbouncer_server.BINARY} is missing (make setup-test installs it)")


def _bounced_app(app: Flask, url: str, tmp_path: Path, pooling: bool) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TestConfig.SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": url,
            "DATABASE_TRANSACTION_POOLING": pooling,
            "INSTANCE_PATH": str(tmp_path),
            "STORAGE_PATH": str(tmp_path / "storage"),
        }
    )


@pytest.fixture
def bounced(app: Flask, tmp_path: Path) -> Iterator[Any]:
    """Build an app on the tests' database through pgbouncer with one server connection."""
    made: list[Flask] = []
    with pgbouncer_server.pgbouncer(app.config["SQLALCHEMY_DATABASE_URI"]) as url:

        def build(pooling: bool = True) -> Flask:
            made.append(_bounced_app(app, url, tmp_path / str(len(made)), pooling))
            return made[-1]

        yield build
        for each in made:
            with each.app_context():
                db.session.remove()
                db.engine.dispose()


def _same_query_on_two_connections(bounced_app: Flask) -> None:
    """Two client connections run one query often enough for psycopg to prepare it."""
    with bounced_app.app_context(), db.engine.connect() as first, db.engine.connect() as second:
        for _ in range(PREPARE_THRESHOLD + 1):
            for connection in (first, second):
                connection.execute(text("SELECT :n + 1"), {"n": 1})
                connection.commit()


def test_pgbouncer_prepared_statements_break_without_the_setting(bounced):
    with pytest.raises(Exception, match="prepared statement") as raised:
        _same_query_on_two_connections(bounced(pooling=False))
    assert isinstance(raised.value.__cause__ or raised.value, psycopg.Error)


def test_pgbouncer_transaction_pooling_prepares_nothing(bounced):
    _same_query_on_two_connections(bounced(pooling=True))


def test_pgbouncer_lrs_and_state_through_transaction_pooling(bounced, make_credential):
    bounced_app = bounced()
    auth = basic(*make_credential(["all"]))
    activity = "http://example.org/courses/fire-safety"

    def write_and_read(n: int) -> None:
        xapi = XapiClient(bounced_app.test_client(), auth)
        for i in range(PREPARE_THRESHOLD + 2):
            statement = {
                "id": str(uuid.uuid4()),
                "actor": {"mbox": f"mailto:learner{n}@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": activity, "definition": {"name": {"sv-SE": f"Kurs {i}"}}},
            }
            assert xapi.post("statements", [statement]).status_code == 200
            got = xapi.get("statements", query={"statementId": statement["id"]})
            assert got.status_code == 200, got.get_data(as_text=True)
            agent = json.dumps(statement["actor"])
            state = {"activityId": activity, "agent": agent, "stateId": "s"}
            assert xapi.put("activities/state", {"page": i}, query=state).status_code == 204
            assert xapi.get("activities/state", query=state).json == {"page": i}

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write_and_read, range(4)))


def test_pgbouncer_setup_lock_is_held_per_transaction(app):
    """The setup lock through pgbouncer: held by one transaction, free when it ends."""
    with pgbouncer_server.pgbouncer(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=2) as url:
        holder = _bounced_app(app, url, Path(app.config["INSTANCE_PATH"]) / "lock", True)
        with holder.app_context():
            with db.engine.connect() as first, db.engine.connect() as second:
                lock_for_setup(first)
                assert not _try_lock(second)
                first.commit()
                assert _try_lock(second)
                second.commit()
            db.engine.dispose()


def _try_lock(connection: Connection) -> bool:
    query = text("SELECT pg_try_advisory_xact_lock(:key)")
    return bool(connection.execute(query, {"key": SETUP_LOCK_KEY}).scalar())
