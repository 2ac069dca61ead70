"""A small LRS with something of everything, and the GETs that must answer the same after a
round trip (export/import, backup/restore): the same bytes, the same headers that matter.

Used by tests/lrs/test_archive.py and tests/ops/test_backup.py.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from core import create_app
from core.db import db
from tests.conftest import XapiClient
from tests.lrs.test_statements import attachment_for, multipart_body, part_headers

ACTIVITY = "http://example.org/courses/fire-safety"
AGENT = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.org"}
REGISTRATION = "6f1c0d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
DATA = b"Certifikat: Brandskydd \x00\xff"
VERB = "http://adlnet.gov/expapi/verbs/completed"
# Headers that must be the same; Date, the request id and Consistent-Through (the
# clock's "now" when nobody writes) legitimately differ between two instances.
COMPARED_HEADERS = ("Content-Type", "ETag", "Last-Modified", "X-Experience-API-Version")
_BOUNDARY = re.compile(rb"kompetens-[0-9a-f]{32}")


@dataclass(frozen=True)
class Answer:
    """What a GET answered, with the multipart boundary (random per answer) made plain."""

    status: int
    headers: dict[str, str]
    body: bytes


Fetch = Callable[[str], Answer]


def answer(status: int, headers: dict[str, str], body: bytes) -> Answer:
    """An Answer from raw parts, keeping only the compared headers."""
    kept = {
        name: _BOUNDARY.sub(b"BOUNDARY", value.encode()).decode()
        for name, value in headers.items()
        if name in COMPARED_HEADERS
    }
    return Answer(status, kept, _BOUNDARY.sub(b"BOUNDARY", body))


def fill(xapi: XapiClient, make_statement: Callable[..., dict[str, Any]]) -> dict[str, int]:
    """Store statements, attachments, voiding and documents; return the GETs to compare
    with the status each answers (a voided statement asked for by statementId: 404)."""
    statements = [
        make_statement(
            verb={"id": VERB if i % 2 else "http://adlnet.gov/expapi/verbs/attempted"},
            context={"registration": REGISTRATION, "extensions": {"http://ex.org/n": i}},
            result={"score": {"scaled": i / 20}},
        )
        for i in range(14)
    ]
    for start in range(0, len(statements), 5):  # several batches: several stored values
        assert xapi.post("statements", statements[start : start + 5]).status_code == 200
    with_file = make_statement(attachments=[attachment_for(DATA)])
    body, content_type = multipart_body(
        json.dumps(with_file).encode(), [(DATA, part_headers(DATA))]
    )
    sent = xapi.request("POST", "statements", data=body, headers={"Content-Type": content_type})
    assert sent.status_code == 200, sent.json
    voided = statements[3]["id"]
    voiding = make_statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
        object={"objectType": "StatementRef", "id": voided},
    )
    assert xapi.post("statements", voiding).status_code == 200
    referring = make_statement(object={"objectType": "StatementRef", "id": statements[5]["id"]})
    put = xapi.put("statements", referring, query={"statementId": referring["id"]})
    assert put.status_code == 204
    agent = json.dumps(AGENT)
    documents = [
        ("activities/state", {"activityId": ACTIVITY, "agent": agent, "stateId": "bookmark"}),
        (
            "activities/state",
            {
                "activityId": ACTIVITY,
                "agent": agent,
                "stateId": "suspend",
                "registration": REGISTRATION,
            },
        ),
        ("activities/profile", {"activityId": ACTIVITY, "profileId": "settings"}),
        ("agents/profile", {"agent": agent, "profileId": "preferences"}),
    ]
    for path, query in documents:
        stored = xapi.request(
            "PUT",
            path,
            data=json.dumps({"page": 3, "id": str(uuid.uuid4())}),
            headers={"Content-Type": "application/json", "If-None-Match": "*"},
            query=query,
        )
        assert stored.status_code == 204, stored.data
    gets = [
        f"/xapi/statements?statementId={statements[0]['id']}",
        f"/xapi/statements?statementId={with_file['id']}&attachments=true",
        f"/xapi/statements?voidedStatementId={voided}",
        f"/xapi/statements?statementId={voided}",
        "/xapi/statements?limit=4",
        "/xapi/statements?limit=3&ascending=true&attachments=true",
        "/xapi/statements?" + urlencode({"verb": VERB, "limit": 2}),
        "/xapi/statements?"
        + urlencode({"activity": ACTIVITY, "related_activities": "true", "limit": 5}),
        "/xapi/statements?" + urlencode({"agent": agent, "format": "canonical", "limit": 6}),
        "/xapi/statements?" + urlencode({"registration": REGISTRATION, "format": "ids"}),
        "/xapi/activities?" + urlencode({"activityId": ACTIVITY}),
        "/xapi/activities/state?" + urlencode({"activityId": ACTIVITY, "agent": agent}),
        "/xapi/activities/profile?" + urlencode({"activityId": ACTIVITY}),
        "/xapi/agents/profile?" + urlencode({"agent": agent}),
    ]
    gets += [f"/xapi/{path}?{urlencode(query)}" for path, query in documents]
    return {path: 404 if path.endswith(f"?statementId={voided}") else 200 for path in gets}


def assert_same_answers(gets: dict[str, int], before: Fetch, after: Fetch) -> int:
    """Each GET (path: the status expected) and every ``more`` page it leads to answers the
    same; returns how many were compared."""
    compared = 0
    queue = list(gets)
    while queue:
        path = queue.pop(0)
        first, second = before(path), after(path)
        assert first.status == gets.get(path, 200), (path, first.body[:300])
        assert second == first, path
        compared += 1
        if first.headers.get("Content-Type", "").startswith("application/json"):
            more = json.loads(first.body).get("more") if first.body.startswith(b"{") else None
            if more:
                queue.insert(0, more)
    return compared


def recorded(gets: dict[str, int], fetch: Fetch) -> Fetch:
    """The answers of ``gets`` and their ``more`` pages now, to compare with later ones."""
    answers: dict[str, Answer] = {}

    def record(path: str) -> Answer:
        answers[path] = fetch(path)
        return answers[path]

    assert_same_answers(gets, record, record)
    return answers.__getitem__


def empty_database_url(suite_url: str, name: str, directory: Path) -> str:
    """A new empty database beside the suite's: a SQLite file, or PostgreSQL's ``name``."""
    if not suite_url.startswith("postgresql"):
        return f"sqlite:///{directory / (name + '.db')}"
    url = make_url(suite_url)
    database = f"{url.database}_{name}"
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    return url.set(database=database).render_as_string(hide_password=False)


def environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a Kompetens process on ``database_url`` with its own instance dir."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "STORAGE_PATH", "TEST_DATABASE_URL")
    }
    env.update(DATABASE_URL=database_url, INSTANCE_PATH=str(instance), **extra)
    return env


@contextmanager
def second_instance(first: Flask, name: str, directory: Path) -> Iterator[Flask]:
    """A second Kompetens on an empty database, migrated, with its own instance dir."""
    url = empty_database_url(first.config["SQLALCHEMY_DATABASE_URI"], name, directory)
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "second",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(directory / "second"),
            "STORAGE_PATH": str(directory / "second" / "storage"),
        }
    )
    with other.app_context():
        upgrade()
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
