"""A small organisation with an old LRS for the retention tests (test_retention*.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from core import vocabulary
from core.db import db
from lrs.models import Attachment, Statement, StatementFilter
from portal.models import Completion, CompletionRollup, LineRollup
from tests.conftest import XapiClient
from tests.lrs.test_statements import attachment_for, multipart_body, part_headers
from tests.portal.conftest import Portal

EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
LESSON_TYPE = "http://adlnet.gov/expapi/activities/lesson"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class World:
    """Who and what the tests cull or keep: ids by name."""

    units: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    course: int = 0
    statements: dict[str, str] = field(default_factory=dict)
    attachment: str = ""


def _agent(app: Flask, user_id: int) -> dict[str, Any]:
    home = app.config["AGENT_HOMEPAGE"]
    return {"objectType": "Agent", "account": {"homePage": home, "name": str(user_id)}}


def _statement(app: Flask, user_id: int, verb: str, object_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": _agent(app, user_id),
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "Activity", "id": object_id, **extra},
    }


def build(app: Flask, portal: Portal, xapi: XapiClient) -> World:
    """Two people (Lea held, Bo not), a course each completed, lessons experienced, a voided pair.

    Every statement is then made three years old (``stored``), as if stored then.
    """
    world = World()
    world.units["care"] = portal.unit("care", "Care")
    world.people["lea"] = portal.user("lea@example.org", unit_id=world.units["care"], name="Lea")
    world.people["bo"] = portal.user("bo@example.org", unit_id=world.units["care"], name="Bo")
    world.people["mia"] = portal.user("mia@example.org", "manager", world.units["care"], "Mia")
    for name in ("lea", "bo"):
        portal.manage(world.people[name], world.people["mia"])
    world.course = portal.course("Fire safety")
    home = app.config["AGENT_HOMEPAGE"]
    course = vocabulary.course_iri(home, world.course)
    lesson = {"definition": {"type": LESSON_TYPE}}
    for name in ("lea", "bo"):
        uid = world.people[name]
        done = _statement(app, uid, COMPLETED, course)
        seen = _statement(app, uid, EXPERIENCED, "http://example.org/lessons/1", **lesson)
        other = _statement(app, uid, EXPERIENCED, "http://example.org/pages/1")
        assert xapi.post("statements", [done, seen, other]).status_code == 200
        world.statements[f"{name}.completed"] = done["id"]
        world.statements[f"{name}.lesson"] = seen["id"]
        world.statements[f"{name}.page"] = other["id"]
    # Bo's lesson with an attachment of its own; voided by an admin.
    data = b"Bo's notes \x00\xff"
    noted = _statement(
        app, world.people["bo"], EXPERIENCED, "http://example.org/lessons/2", **lesson
    )
    noted["attachments"] = [attachment_for(data)]
    body, content_type = multipart_body(json.dumps(noted).encode(), [(data, part_headers(data))])
    sent = xapi.request("POST", "statements", data=body, headers={"Content-Type": content_type})
    assert sent.status_code == 200, sent.json
    world.statements["bo.noted"] = noted["id"]
    world.attachment = attachment_for(data)["sha2"]
    voiding: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@example.org"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": noted["id"]},
    }
    assert xapi.post("statements", voiding).status_code == 200
    world.statements["bo.voiding"] = voiding["id"]
    with app.app_context():
        db.session.execute(update(Statement).values(stored=now() - timedelta(days=3 * 365)))
        db.session.commit()
    return world


def lrs_counts(app: Flask) -> dict[str, int]:
    """Rows of the LRS and the projection, to show what a run changed (or did not)."""
    with app.app_context():
        return {
            "statements": db.session.scalar(select(func.count()).select_from(Statement)) or 0,
            "filters": db.session.scalar(select(func.count()).select_from(StatementFilter)) or 0,
            "attachments": db.session.scalar(select(func.count()).select_from(Attachment)) or 0,
            "completions": db.session.scalar(select(func.count()).select_from(Completion)) or 0,
        }


def projection_consistent(app: Flask) -> dict[int, int]:
    """The monthly totals agree with the completion rows; returns completions per verb."""
    with app.app_context():
        rows = db.session.execute(
            select(Completion.verb, Completion.course_id, Completion.unit_id)
        ).all()
        by_course: dict[int, int] = {}
        for _verb, course_id, _unit in rows:
            by_course[course_id or 0] = by_course.get(course_id or 0, 0) + 1
        totals = dict(
            db.session.execute(
                select(
                    CompletionRollup.ref,
                    func.sum(
                        CompletionRollup.completed
                        + CompletionRollup.passed
                        + CompletionRollup.failed
                    ),
                )
                .where(CompletionRollup.dim == "c")
                .group_by(CompletionRollup.ref)
            ).all()
        )
        assert {k: v for k, v in totals.items() if v} == by_course
        done = func.sum(LineRollup.completed + LineRollup.passed + LineRollup.failed)
        line = dict(
            db.session.execute(
                select(LineRollup.ref, done).where(LineRollup.dim == "c").group_by(LineRollup.ref)
            ).all()
        )
        # Every completion here is of a person in the manager's line.
        assert {k: v for k, v in line.items() if v} == by_course
        return by_course
