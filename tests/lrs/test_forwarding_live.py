"""Forwarding to a second Kompetens, taken down and brought back in the middle of a run.

The target is a real second process (tests/lrs/forward_target.py); this suite's app is
the source. Every statement must arrive exactly once, in the order it was stored here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, update

from core import jobs
from core.db import db
from core.ops import metrics
from lrs import forward_delivery, forward_replay, forward_targets, forwarding
from lrs.forward_models import ForwardOutbox, ForwardTarget
from tests.conftest import XapiClient
from tests.lrs.forward_target import TargetLrs, start_target
from tests.lrs.test_statements import attachment_for, multipart_body, part_headers
from tests.portal.mail_helpers import drain

VOIDED = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}


@pytest.fixture(scope="module")
def target_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetLrs]:
    yield from start_target(tmp_path_factory.mktemp("target") / "instance")


@pytest.fixture
def forwarding_to(app: Flask, target_lrs: TargetLrs) -> Iterator[int]:
    """A forwarding target pointing at the second instance; small batches."""
    app.config["FORWARDING_BATCH"] = 5
    with app.app_context():
        forwarding.forget_targets()
        target = forward_targets.create_target(
            {
                "name": "The region's LRS",
                "endpoint": target_lrs.endpoint,
                "key": target_lrs.key,
                "secret": target_lrs.secret,
                "version": "1.0.3",
            }
        )
        db.session.commit()
        target_id = target.id
    yield target_id
    app.config["FORWARDING_BATCH"] = 100
    with app.app_context():
        forwarding.forget_targets()
    if target_lrs.process is None:
        target_lrs.start()


def _state(app: Flask, target_id: int) -> tuple[int, ForwardTarget]:
    with app.app_context():
        pending = db.session.scalar(
            select(func.count()).where(ForwardOutbox.target_id == target_id)
        )
        target = db.session.get(ForwardTarget, target_id)
        assert target is not None
        db.session.expunge(target)
        db.session.rollback()
        return int(pending or 0), target


def _make_due(app: Flask, target_id: int) -> None:
    """As if the backoff's wait had passed."""
    with app.app_context():
        db.session.execute(
            update(ForwardTarget)
            .where(ForwardTarget.id == target_id)
            .values(next_attempt_at=datetime(2000, 1, 1))
        )
        db.session.commit()


def _deliver(app: Flask, target_id: int, **kwargs: Any) -> forward_delivery.Outcome:
    with app.app_context():
        return forward_delivery.deliver(target_id, **kwargs)


def test_forwarding_live_every_statement_arrives_once_in_order_across_an_outage(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    forwarding_to: int,
) -> None:
    sent: list[dict[str, Any]] = []

    def store(*statements: dict[str, Any]) -> None:
        body: Any = statements[0] if len(statements) == 1 else list(statements)
        assert xapi.post("statements", body).status_code == 200
        sent.extend(statements)

    store(*[make_statement() for _ in range(7)])  # a batch
    for _ in range(4):
        store(make_statement())  # one at a time
    # Two batches of five go; then the target is taken down.
    outcome = _deliver(app, forwarding_to, max_batches=2)
    assert (outcome.delivered, outcome.error) == (10, None)
    target_lrs.stop()

    store(*[make_statement() for _ in range(6)])
    voided = sent[2]
    store(make_statement(verb=VOIDED, object={"objectType": "StatementRef", "id": voided["id"]}))
    outcome = _deliver(app, forwarding_to)
    assert outcome.delivered == 0
    assert outcome.error is not None
    assert "could not be reached" in outcome.error
    pending, target = _state(app, forwarding_to)
    assert pending == len(sent) - 10
    assert target.failures == 1
    assert target.last_error == outcome.error
    assert target.next_attempt_at is not None
    assert target.last_error_at is not None
    first_wait = target.next_attempt_at - target.last_error_at
    assert first_wait == timedelta(seconds=app.config["FORWARDING_RETRY_SECONDS"])
    # Not due yet: nothing is tried (the backoff holds).
    assert _deliver(app, forwarding_to).busy
    _make_due(app, forwarding_to)
    assert _deliver(app, forwarding_to).error is not None
    _, target = _state(app, forwarding_to)
    assert target.failures == 2
    assert target.next_attempt_at is not None
    assert target.last_error_at is not None
    assert target.next_attempt_at - target.last_error_at == 2 * first_wait

    store(*[make_statement() for _ in range(3)])  # more while it is down
    target_lrs.start()
    _make_due(app, forwarding_to)
    outcome = _deliver(app, forwarding_to)
    assert (outcome.delivered, outcome.error) == (len(sent) - 10, None)
    pending, target = _state(app, forwarding_to)
    assert (pending, target.failures, target.delivered) == (0, 0, len(sent))

    # Each by id, once; the full query: the same ids in the same order (less the voided).
    for statement in sent:
        wanted = "voidedStatementId" if statement is voided else "statementId"
        answer = target_lrs.get("statements", **{wanted: statement["id"]})
        assert answer.status_code == 200, statement["id"]
    assert target_lrs.get("statements", statementId=voided["id"]).status_code == 404
    there = target_lrs.all_statements()
    assert [s["id"] for s in there] == [s["id"] for s in sent if s is not voided]
    stored = [s["stored"] for s in there]
    assert stored == sorted(stored)

    # A replay from the first statement sends everything again: the target keeps one each.
    with app.app_context():
        forward_replay.start(forward_targets.get_target(forwarding_to), None, sent[0]["id"])
        db.session.commit()
        replayed = forward_replay.run(forwarding_to)
    assert replayed == len(sent)
    assert _deliver(app, forwarding_to).delivered == len(sent)
    assert [s["id"] for s in target_lrs.all_statements()] == [s["id"] for s in there]
    # And the metrics say so.
    label = str(forwarding_to)
    assert metrics.FORWARDED.labels(label)._value.get() >= 2 * len(sent)
    assert metrics.FORWARD_FAILURES.labels(label)._value.get() >= 2
    with app.app_context():
        scraped = metrics.exposition("").decode()
    assert f'kompetens_lrs_forwarding_pending{{target="{label}"}} 0.0' in scraped
    assert f'kompetens_lrs_forwarding_failing_attempts{{target="{label}"}} 0.0' in scraped


def test_forwarding_live_a_statement_the_target_has_otherwise_is_not_sent_twice(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    forwarding_to: int,
) -> None:
    """The target answers 409 for the batch: one by one, its own copy is kept, the rest go."""
    batch = [make_statement() for _ in range(4)]
    theirs = {**batch[1], "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}
    answer = requests.put(
        target_lrs.endpoint + "statements",
        params={"statementId": theirs["id"]},
        json=theirs,
        headers={"X-Experience-API-Version": "1.0.3"},
        auth=(target_lrs.key, target_lrs.secret),
        timeout=30,
    )
    assert answer.status_code == 204
    assert xapi.post("statements", batch).status_code == 200
    outcome = _deliver(app, forwarding_to)
    assert (outcome.delivered, outcome.conflicts, outcome.error) == (4, 1, None)
    for statement in batch:
        got = target_lrs.get("statements", statementId=statement["id"]).json()
        wanted = theirs["verb"]["id"] if statement is batch[1] else statement["verb"]["id"]
        assert got["verb"]["id"] == wanted


def test_forwarding_live_a_paused_target_waits_and_a_wrong_secret_is_a_failure(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    forwarding_to: int,
) -> None:
    statement = make_statement()
    with app.app_context():
        forward_targets.set_paused(forward_targets.get_target(forwarding_to), True)
        db.session.commit()
    assert xapi.post("statements", statement).status_code == 200
    assert _deliver(app, forwarding_to).busy
    with app.app_context():
        target = forward_targets.get_target(forwarding_to)
        forward_targets.set_paused(target, False)
        values = {
            "name": target.name,
            "endpoint": target.endpoint,
            "key": target.key,
            "version": target.version,
            "secret": "not-the-secret",
        }
        forward_targets.update_target(target, values)
        db.session.commit()
    outcome = _deliver(app, forwarding_to)
    assert outcome.error is not None
    assert "HTTP 401" in outcome.error
    assert "not-the-secret" not in outcome.error
    assert target_lrs.get("statements", statementId=statement["id"]).status_code == 404
    pending, _ = _state(app, forwarding_to)
    assert pending == 1


def test_forwarding_live_statements_stored_during_a_replay_follow_it_once_in_order(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    forwarding_to: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A replay queues in chunks while writes go on: the target gets each once, in order."""
    monkeypatch.setattr(forward_replay, "CHUNK", 3)
    before = [make_statement() for _ in range(8)]
    for statement in before:  # one write each: eight different ``stored``
        assert xapi.post("statements", statement).status_code == 200
    with app.app_context():
        forward_replay.start(forward_targets.get_target(forwarding_to), None, before[2]["id"])
        db.session.commit()
        assert forward_replay.run(forwarding_to, max_chunks=1) is None  # half done
    during = [make_statement() for _ in range(4)]
    for statement in during:
        assert xapi.post("statements", statement).status_code == 200
    # Not delivered to while it queues: what is queued is not yet all that goes first.
    assert _deliver(app, forwarding_to).busy
    _, target = _state(app, forwarding_to)
    assert target.replay_until is not None
    assert target.replay_queued == 3
    with app.app_context():
        # The first two were waiting (older than the point): they are kept, before the rest.
        assert forward_replay.run(forwarding_to) == len(before)
        order = db.session.scalars(
            select(ForwardOutbox.statement_id)
            .where(ForwardOutbox.target_id == forwarding_to)
            .order_by(ForwardOutbox.lane, ForwardOutbox.id)
        ).all()
        db.session.rollback()
    everything = [s["id"] for s in before + during]
    assert order == everything
    outcome = _deliver(app, forwarding_to)
    assert (outcome.delivered, outcome.conflicts, outcome.error) == (len(everything), 0, None)
    there = [s["id"] for s in target_lrs.all_statements() if s["id"] in set(everything)]
    assert there == everything


def test_forwarding_live_the_background_job_delivers_after_the_commit(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    forwarding_to: int,
) -> None:
    """A write that queues statements enqueues the delivery job once it has committed."""
    drain(jobs.huey)  # whatever earlier tests left
    forwarding._last_kick[0] = 0.0  # this process has not kicked lately
    statement = make_statement()
    assert xapi.post("statements", statement).status_code == 200
    assert jobs.huey.pending_count() >= 1
    drain(jobs.huey)
    assert target_lrs.get("statements", statementId=statement["id"]).status_code == 200
    assert _state(app, forwarding_to)[0] == 0


def test_forwarding_live_attachments_go_with_their_statements(
    app: Flask,
    xapi: XapiClient,
    make_statement: Callable[..., dict[str, Any]],
    target_lrs: TargetLrs,
    forwarding_to: int,
) -> None:
    """Communication §1.5.2: the data travels as a multipart/mixed part, once per hash."""
    data = b"Intyg: Brandskydd \x00\xff"
    statements = [make_statement(attachments=[attachment_for(data)]) for _ in range(2)]
    body, content_type = multipart_body(
        json.dumps(statements).encode(), [(data, part_headers(data))]
    )
    stored = xapi.request("POST", "statements", data=body, headers={"Content-Type": content_type})
    assert stored.status_code == 200
    outcome = _deliver(app, forwarding_to)
    assert (outcome.delivered, outcome.error) == (2, None)
    for statement in statements:
        answer = target_lrs.get("statements", statementId=statement["id"], attachments="true")
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("multipart/mixed")
        assert data in answer.content
