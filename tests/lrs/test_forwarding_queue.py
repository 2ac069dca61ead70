"""The forwarding outbox: written with the statements, filtered, rebuilt by a replay.

Delivery to a real second instance is tests/lrs/test_forwarding_live.py; here the rows
the write path leaves are read back from the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, insert, select

from accounts import service
from core.db import db
from lrs import forward_replay, forward_targets, forwarding
from lrs.forward_models import ForwardOutbox, ForwardTarget
from tests.conftest import XapiClient

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture(autouse=True)
def _fresh_targets(app: Flask) -> Iterator[None]:
    """Each test reads the targets it made (the cache outlives the emptied tables)."""
    with app.app_context():
        forwarding.forget_targets()
    yield
    with app.app_context():
        forwarding.forget_targets()


@pytest.fixture
def make_target(app: Flask) -> Callable[..., int]:
    def make(**values: Any) -> int:
        with app.app_context():
            target = forward_targets.create_target(
                {
                    "name": "Region",
                    "endpoint": "http://127.0.0.1:9/xapi",
                    "key": "k",
                    "secret": "s3cret-value",
                    "version": "1.0.3",
                    **values,
                }
            )
            db.session.commit()
            return target.id

    return make


def _queued(app: Flask, target_id: int | None = None) -> list[tuple[int, str]]:
    with app.app_context():
        query = select(ForwardOutbox.target_id, ForwardOutbox.statement_id).order_by(
            ForwardOutbox.id
        )
        if target_id is not None:
            query = query.where(ForwardOutbox.target_id == target_id)
        rows = [tuple(r) for r in db.session.execute(query)]
        db.session.rollback()
        return rows  # type: ignore[return-value]


def test_forwarding_nothing_is_queued_without_targets(
    app: Flask, xapi: XapiClient, make_statement: Callable[..., dict[str, Any]]
) -> None:
    assert xapi.post("statements", [make_statement(), make_statement()]).status_code == 200
    assert _queued(app) == []


def test_forwarding_queues_single_and_batch_in_order(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    make_target: Callable[..., int],
) -> None:
    target = make_target()
    one, batch = make_statement(), [make_statement() for _ in range(12)]
    assert xapi.post("statements", one).status_code == 200
    assert xapi.post("statements", batch).status_code == 200
    put = make_statement()
    assert xapi.put("statements", put, query={"statementId": put["id"]}).status_code == 204
    # Sent again unchanged: stored once, queued once.
    assert xapi.post("statements", one).status_code == 200
    ids = [one["id"], *[s["id"] for s in batch], put["id"]]
    assert _queued(app) == [(target, i) for i in ids]


def test_forwarding_a_refused_batch_queues_nothing(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    make_target: Callable[..., int],
) -> None:
    make_target()
    stored = make_statement()
    assert xapi.post("statements", stored).status_code == 200
    changed = {**stored, "verb": {"id": ATTEMPTED}}
    assert xapi.post("statements", [make_statement(), changed]).status_code == 409
    assert [sid for _, sid in _queued(app)] == [stored["id"]]


def test_forwarding_filters_by_verb_activity_and_unit(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    make_target: Callable[..., int],
) -> None:
    with app.app_context():
        top = service.create_unit("soc", "Social", "department", None)
        below = service.create_unit("soc-1", "Home care", "unit", top.id)
        other = service.create_unit("edu", "School", "department", None)
        inside = service.create_user(
            "in@example.org", "In", "pw-Long-enough-1", "learner", below.id
        )
        outside = service.create_user(
            "out@example.org", "Out", "pw-Long-enough-1", "learner", other.id
        )
        db.session.commit()
        top_id, people = top.id, (inside.id, outside.id)
        homepage = app.config["AGENT_HOMEPAGE"]
    by_verb = make_target(verbs=[COMPLETED])
    by_activity = make_target(activities=["http://example.org/courses/*", "http://x.org/a"])
    by_unit = make_target(unit_id=top_id)

    def person(pid: int) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": homepage, "name": str(pid)}}

    course = {"objectType": "Activity", "id": "http://example.org/courses/fire"}
    exact = {"objectType": "Activity", "id": "http://x.org/a"}
    statements = {
        "completed-course-inside": make_statement(actor=person(people[0]), object=course),
        "attempted-exact-outside": make_statement(
            actor=person(people[1]), verb={"id": ATTEMPTED}, object=exact
        ),
        "completed-elsewhere": make_statement(
            object={"objectType": "Activity", "id": "http://example.org/other"}
        ),
    }
    assert xapi.post("statements", list(statements.values())).status_code == 200
    names = {s["id"]: name for name, s in statements.items()}
    got = {t: [names[sid] for sid in ids] for t, ids in _by_target(_queued(app)).items()}
    assert got == {
        by_verb: ["completed-course-inside", "completed-elsewhere"],
        by_activity: ["completed-course-inside", "attempted-exact-outside"],
        by_unit: ["completed-course-inside"],
    }
    # A voiding statement follows the statement it voids, whatever its own verb.
    voiding = make_statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": statements["completed-course-inside"]["id"]},
    )
    assert xapi.post("statements", voiding).status_code == 200
    for target in (by_verb, by_activity, by_unit):
        assert _queued(app, target)[-1] == (target, voiding["id"])


def _by_target(rows: list[tuple[int, str]]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for target, sid in rows:
        out.setdefault(target, []).append(sid)
    return out


def test_forwarding_replay_from_a_statement_keeps_what_waits_and_the_order(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    make_target: Callable[..., int],
) -> None:
    target = make_target()
    sent = [make_statement() for _ in range(6)]
    for statement in sent:
        assert xapi.post("statements", statement).status_code == 200
    with app.app_context():
        # As if the first four were delivered: the last two wait.
        first_waiting = db.session.scalars(
            select(ForwardOutbox.id).where(ForwardOutbox.statement_id == sent[4]["id"])
        ).one()
        db.session.execute(delete(ForwardOutbox).where(ForwardOutbox.id < first_waiting))
        db.session.commit()
        forward_replay.start(forward_targets.get_target(target), None, sent[2]["id"])
        db.session.commit()
        queued = forward_replay.run(target)
    assert queued == 4
    assert [sid for _, sid in _queued(app)] == [s["id"] for s in sent[2:]]
    # From a moment after everything: what waits stays.
    with app.app_context():
        later = datetime.now(UTC) + timedelta(hours=1)
        forward_replay.start(forward_targets.get_target(target), later, None)
        db.session.commit()
        assert forward_replay.run(target) == 4
    assert [sid for _, sid in _queued(app)] == [s["id"] for s in sent[2:]]


def test_forwarding_secret_is_sealed_and_a_removed_target_gets_nothing(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    make_target: Callable[..., int],
) -> None:
    target = make_target()
    with app.app_context():
        row = db.session.get(ForwardTarget, target)
        assert row is not None
        assert "s3cret-value" not in row.secret_sealed
        assert forward_targets.unseal(row.secret_sealed) == "s3cret-value"
        forward_targets.remove_target(row)
        db.session.commit()
    assert xapi.post("statements", make_statement(id=str(uuid.uuid4()))).status_code == 200
    assert _queued(app) == []


def test_forwarding_a_target_added_on_another_node_is_queued_for_once_the_cache_expires(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each node caches the targets for FORWARDING_CACHE_SECONDS, then reads them again."""
    monkeypatch.setitem(app.config, "FORWARDING_CACHE_SECONDS", 3600)  # however slow the test
    assert xapi.post("statements", make_statement()).status_code == 200  # cached: none
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # "another node"
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(ForwardTarget).values(
                    name="Region",
                    endpoint="http://127.0.0.1:9/xapi/",
                    key="k",
                    secret_sealed="x",
                    version="2.0.0",
                    verbs=[],
                    activities=[],
                    created_at=datetime(2026, 12, 7),
                )
            )
    finally:
        engine.dispose()
    seen_late = make_statement()
    assert xapi.post("statements", seen_late).status_code == 200
    assert _queued(app) == []  # this node's list is still the cached one
    with app.app_context():
        cached_until, rules = app.extensions["lrs.forwarding"]
        app.extensions["lrs.forwarding"] = (cached_until - 3600, rules)  # as if it expired
    seen = make_statement()
    assert xapi.post("statements", seen).status_code == 200
    assert [sid for _, sid in _queued(app)] == [seen["id"]]
