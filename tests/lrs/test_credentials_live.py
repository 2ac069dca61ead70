"""A change to a credential counts from the very next request, whoever made it.

Each worker reuses what it built from a credential's row only while the row is the same
(lrs/auth.py, docs/ARCHITECTURE.md "LRS credentials"), so a revocation, a narrower scope
or a deactivated learner stops the credential at once: here the credential is used
first (the process has it at hand), then changed by another process (the CLI), another
engine on the same database, or the portal's deactivation, and refused on the next
request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from core.db import db
from tests.conftest import XapiClient, basic

REPO = Path(__file__).resolve().parents[2]
COURSE = "http://example.org/courses/fire-safety"


@pytest.fixture
def other_engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database: another node, or an admin's SQL."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    yield engine
    engine.dispose()


def _post(xapi: XapiClient, make_statement: Callable[..., dict[str, Any]]) -> int:
    return xapi.post("statements", make_statement()).status_code


def test_a_credential_revoked_by_the_cli_in_another_process_is_refused_at_once(
    app: Flask,
    client: FlaskClient,
    make_credential: Callable[..., tuple[str, str]],
    make_statement: Callable[..., dict[str, Any]],
) -> None:
    key, secret = make_credential(["all"])
    xapi = XapiClient(client, basic(key, secret))
    assert _post(xapi, make_statement) == 200
    assert xapi.get("statements").status_code == 200
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_PATH=app.config["INSTANCE_PATH"],
        STORAGE_PATH=app.config["STORAGE_PATH"],
    )
    done = subprocess.run(  # noqa: S603  (our own CLI, fixed arguments)
        [sys.executable, "-m", "flask", "--app", "wsgi", "credentials", "revoke", key],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    refused = xapi.post("statements", make_statement())
    assert refused.status_code == 401
    assert "revoked" in refused.get_json()["message"]
    assert xapi.get("statements").status_code == 401
    assert xapi.get("extensions/whoami").status_code == 401


def test_a_credential_revoked_through_another_engine_is_refused_at_once(
    client: FlaskClient,
    make_credential: Callable[..., tuple[str, str]],
    make_statement: Callable[..., dict[str, Any]],
    other_engine: Engine,
) -> None:
    key, secret = make_credential(["all"])
    xapi = XapiClient(client, basic(key, secret))
    for _ in range(3):
        assert _post(xapi, make_statement) == 200
    with other_engine.begin() as connection:
        connection.execute(
            text("UPDATE lrs_credential SET revoked_at = :now WHERE key = :key"),
            {"now": datetime.now(UTC).replace(tzinfo=None), "key": key},
        )
    statement = make_statement()
    assert xapi.post("statements", statement).status_code == 401
    # Nothing of the refused request was stored.
    with other_engine.connect() as connection:
        stored = connection.execute(
            text("SELECT count(*) FROM lrs_statement WHERE statement_id = :id"),
            {"id": statement["id"]},
        ).scalar_one()
    assert stored == 0


def test_a_narrowed_scope_counts_from_the_next_request(
    client: FlaskClient,
    make_credential: Callable[..., tuple[str, str]],
    make_statement: Callable[..., dict[str, Any]],
    other_engine: Engine,
) -> None:
    key, secret = make_credential(["all"])
    xapi = XapiClient(client, basic(key, secret))
    assert _post(xapi, make_statement) == 200
    with other_engine.begin() as connection:
        connection.execute(
            text("UPDATE lrs_credential SET scopes = :scopes WHERE key = :key"),
            {"scopes": '["statements/read"]', "key": key},
        )
    assert _post(xapi, make_statement) == 403
    assert xapi.get("statements").status_code == 200
    assert xapi.get("extensions/whoami").get_json()["scopes"] == ["statements/read"]
    # And widened again: writing is allowed at once too.
    with other_engine.begin() as connection:
        connection.execute(
            text("UPDATE lrs_credential SET scopes = :scopes WHERE key = :key"),
            {"scopes": '["statements/read", "statements/write"]', "key": key},
        )
    assert _post(xapi, make_statement) == 200


def test_a_changed_secret_counts_from_the_next_request(
    client: FlaskClient,
    make_credential: Callable[..., tuple[str, str]],
    make_statement: Callable[..., dict[str, Any]],
    other_engine: Engine,
) -> None:
    key, secret = make_credential(["all"])
    xapi = XapiClient(client, basic(key, secret))
    assert _post(xapi, make_statement) == 200
    with other_engine.begin() as connection:
        connection.execute(
            text("UPDATE lrs_credential SET secret_salt = 'other-salt' WHERE key = :key"),
            {"key": key},
        )
    assert _post(xapi, make_statement) == 401


def test_a_deactivated_learners_launch_credential_stops_at_once(
    app: Flask,
    client: FlaskClient,
    make_credential: Callable[..., tuple[str, str]],
    make_statement: Callable[..., dict[str, Any]],
) -> None:
    from accounts import service as accounts
    from accounts.auth import agent_for

    with app.app_context():
        admin = accounts.create_user("admin@example.se", "Admin", "pw-0123456789", "admin")
        learner = accounts.create_user("lea@example.se", "Lea", "pw-0123456789")
        db.session.commit()
        learner_id, agent = learner.id, agent_for(learner)
        assert admin.id  # the last admin may not be deactivated: this one stays
    registration = str(uuid.uuid4())
    key, secret = make_credential(
        ["statements/write", "statements/read/mine", "state"],
        agent=agent,
        registration=registration,
        activity_roots=[COURSE],
        expires_at=datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1),
    )
    xapi = XapiClient(client, basic(key, secret))

    def own_statement() -> dict[str, Any]:
        return make_statement(actor=agent, context={"registration": registration})

    assert xapi.post("statements", own_statement()).status_code == 200
    with app.app_context():
        accounts.update_user(accounts.get_user(learner_id), active=False)
        db.session.commit()
    assert xapi.post("statements", own_statement()).status_code == 401
