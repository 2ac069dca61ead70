"""Retention runs (gallring): a legal hold keeps what it covers, the rest goes consistently.

Through the CLI (``flask retention run [--dry-run] --json``) and the LRS's own HTTP
answers: held statements still answer, culled ones are gone with their filter rows,
attachment bytes and voiding statement, the reports' projection agrees with what is
left, and a run leaves tombstones and an audit entry; a dry run stores nothing.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from accounts import audit
from accounts.models import AuditEvent
from core.db import db
from lrs.models import Statement, StatementFilter
from player.models import Attempt
from portal import retention_rules
from portal.evaluation_models import Evaluation, EvaluationAnswer, EvaluationQuestion
from portal.retention_models import RetentionRun, RetentionTombstone
from tests.portal.retention_helpers import (
    EXPERIENCED,
    LESSON_TYPE,
    World,
    build,
    lrs_counts,
    now,
    projection_consistent,
)


def _rule(app: Flask, **fields: object) -> int:
    data = {
        "name": "Lärloggar",
        "decision_ref": "KS 2026/123",
        "decision_date": date(2026, 3, 1),
        "decision_text": "Gallras efter två år.",
        "kind": "statements",
        "verb_id": None,
        "activity_type": None,
        "keep_count": 2,
        "keep_unit": "years",
        "active": True,
    } | fields
    with app.app_context():
        rule = retention_rules.save_rule(data, None)
        db.session.commit()
        return rule.id


def _hold_person(app: Flask, email: str) -> None:
    with app.app_context():
        retention_rules.place_hold(
            {"kind": "person", "target": email, "reason": "Tvist 2026-11", "until": None},
            None,
            "test",
        )
        db.session.commit()


def _run(runner, *args: str) -> dict:
    result = runner.invoke(args=["retention", "run", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture
def world(app, portal, make_xapi) -> World:
    return build(app, portal, make_xapi(["all"], trusted=True))


def test_retention_run_keeps_held_removes_the_rest(app, world, runner, xapi):
    _rule(app)
    _hold_person(app, "lea@example.org")
    before = lrs_counts(app)
    assert projection_consistent(app) == {world.course: 2}

    dry = _run(runner, "--dry-run")
    # The dry run stores nothing: the same rows, no run, no tombstone.
    assert lrs_counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RetentionRun)) == 0
    (rule,) = dry["rules"]
    # Bo's three statements and his voided one, with its voiding statement; Lea's four held.
    assert rule["counts"] == {"statements": 4, "voiding": 1}
    assert rule["held"] == 3
    assert dry["holds"][0]["kind"] == "person"

    done = _run(runner)
    assert done["rules"][0]["counts"] == {"statements": 4, "voiding": 1, "attachments": 1}
    after = lrs_counts(app)
    assert after["statements"] == before["statements"] - 5
    assert after["attachments"] == 0
    assert after["completions"] == 1  # Lea's

    # What remains answers as before; what went is gone, voided/voiding pair alike.
    for key in ("lea.completed", "lea.lesson", "lea.page"):
        assert (
            xapi.get("statements", query={"statementId": world.statements[key]}).status_code == 200
        )
    for key in ("bo.completed", "bo.lesson", "bo.page", "bo.voiding"):
        assert (
            xapi.get("statements", query={"statementId": world.statements[key]}).status_code == 404
        )
    gone = xapi.get("statements", query={"voidedStatementId": world.statements["bo.noted"]})
    assert gone.status_code == 404
    # Filtered queries find only what is left (no filter row points at a removed statement).
    bo = json.dumps(
        {
            "objectType": "Agent",
            "account": {"homePage": app.config["AGENT_HOMEPAGE"], "name": str(world.people["bo"])},
        }
    )
    assert xapi.get("statements", query={"agent": bo}).json["statements"] == []
    listed = xapi.get("statements", query={"verb": EXPERIENCED}).json["statements"]
    assert {s["id"] for s in listed} == {
        world.statements["lea.lesson"],
        world.statements["lea.page"],
    }
    with app.app_context():
        pks = select(Statement.pk)
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(StatementFilter)
                .where(StatementFilter.statement_pk.not_in(pks))
            )
            == 0
        )

    # Reports agree with the LRS: Lea's completion only, in every total.
    assert projection_consistent(app) == {world.course: 1}

    # Tombstones cite the decision; the run is in the audit log.
    with app.app_context():
        stones = {s.what: s for s in db.session.scalars(select(RetentionTombstone))}
        assert stones["statements"].removed == 4
        assert stones["statements"].decision_ref == "KS 2026/123"
        assert stones["voiding"].removed == 1
        assert stones["attachments"].removed == 1
        assert sum(s.held for s in stones.values()) == 3
        entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.run"))
        assert entry is not None
        assert entry.details["removed"]["KS 2026/123"]["statements"] == 4

    # A second run finds nothing more.
    again = _run(runner)
    assert again["rules"][0]["counts"] == {"statements": 0, "voiding": 0, "attachments": 0}


def test_retention_rule_narrowed_by_verb_and_activity_type(app, world, runner):
    _rule(app, verb_id=EXPERIENCED, activity_type=LESSON_TYPE)
    dry = _run(runner, "--dry-run")
    # Both people's lessons (their own definitions say lesson) and Bo's voided one, paired.
    assert dry["rules"][0]["counts"] == {"statements": 3, "voiding": 1}
    _run(runner)
    assert projection_consistent(app) == {world.course: 2}  # completions untouched


def test_retention_keeps_a_result_in_use_for_mandatory_training(app, world, runner):
    from portal.models import Completion, Requirement, RequirementCourse, RequirementMember

    with app.app_context():
        requirement = Requirement(
            name="Brandskydd", active=True, signature="x", renewal_days=0, created_at=now()
        )
        db.session.add(requirement)
        db.session.flush()
        db.session.add(RequirementCourse(requirement_id=requirement.id, course_id=world.course))
        done = db.session.scalar(
            select(Completion.stored).where(Completion.user_id == world.people["bo"])
        )
        db.session.add(
            RequirementMember(
                requirement_id=requirement.id,
                user_id=world.people["bo"],
                joined_at=now(),
                last_done=done,
            )
        )
        db.session.commit()
    _rule(app)
    dry = _run(runner, "--dry-run")
    assert dry["rules"][0]["in_use"] == 1
    assert (
        dry["rules"][0]["counts"]["statements"] == 8 - 1 - 1
    )  # all but Bo's completion (and the voiding one)


def test_retention_attempts_evaluations_and_audit_rules(app, world, runner, portal, xapi):
    bo_registration = "22222222-2222-4222-8222-222222222222"
    bo_agent = json.dumps(
        {"account": {"homePage": app.config["AGENT_HOMEPAGE"], "name": str(world.people["bo"])}}
    )
    state = {
        "activityId": "http://example.org/lessons/1",
        "agent": bo_agent,
        "stateId": "cmi.suspend_data",
        "registration": bo_registration,
    }
    assert xapi.request("PUT", "activities/state", query=state, data=b"x").status_code == 204
    with app.app_context():
        from packages.models import PackageVersion

        version = db.session.scalars(
            select(PackageVersion).where(PackageVersion.course_id == world.course)
        ).first()
        assert version is not None
        for name, registration in (
            ("lea", "11111111-1111-4111-8111-111111111111"),
            ("bo", bo_registration),
        ):
            db.session.add(
                Attempt(
                    user_id=world.people[name],
                    course_id=world.course,
                    version_id=version.id,
                    number=1,
                    registration=registration,
                    started_at=now() - timedelta(days=800),
                    updated_at=now() - timedelta(days=800),
                )
            )
        question = EvaluationQuestion(text_sv="Bra?", text_en="Good?", created_at=now())
        db.session.add(question)
        db.session.flush()
        for name in ("lea", "bo"):
            audit.record("user.changed", "user", world.people[name], name, actor_name="test")
            evaluation = Evaluation(
                user_id=world.people[name],
                subject=f"c:{world.course}",
                course_id=world.course,
                statement_id=str(uuid.uuid4()),
                created_at=now() - timedelta(days=800),
            )
            db.session.add(evaluation)
            db.session.flush()
            db.session.add(
                EvaluationAnswer(evaluation_id=evaluation.id, question_id=question.id, value=4)
            )
        db.session.flush()
        db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "user.changed")
            .values(at=now() - timedelta(days=800))
        )
        db.session.commit()
    _rule(app, kind="attempts", decision_ref="KS 2026/124")
    _rule(app, kind="audit", decision_ref="KS 2026/125", keep_count=1)
    _rule(app, kind="evaluations", decision_ref="KS 2026/126")
    _hold_person(app, "lea@example.org")
    done = _run(runner)
    by_decision = {r["decision"]: r for r in done["rules"]}
    assert by_decision["KS 2026/124"]["counts"] == {"attempts": 1, "state": 1}
    assert by_decision["KS 2026/126"]["counts"] == {"evaluations": 1}
    assert by_decision["KS 2026/126"]["held"] == 1
    assert by_decision["KS 2026/124"]["held"] == 1
    # Bo's entry goes; Lea's is held; the rules' own entries (retention.*) never go.
    assert by_decision["KS 2026/125"]["counts"] == {"audit": 1}
    with app.app_context():
        assert db.session.scalars(select(Attempt.user_id)).all() == [world.people["lea"]]
        assert db.session.scalars(select(Evaluation.user_id)).all() == [world.people["lea"]]
        assert db.session.scalar(select(func.count()).select_from(EvaluationAnswer)) == 1
        left = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert "user.changed" in left
        assert left.count("user.changed") == 1
        assert "retention.rule_saved" in left


def _dangling_filter_rows(app: Flask) -> int:
    with app.app_context():
        pks = select(Statement.pk)
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(StatementFilter)
                .where(StatementFilter.statement_pk.not_in(pks))
            )
            or 0
        )


def test_retention_statement_ref_kept_when_its_target_goes_then_removed(app, world, runner, xapi):
    home = app.config["AGENT_HOMEPAGE"]
    ref = {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": home, "name": str(world.people["lea"])},
        },
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/commented",
            "display": {"en-US": "commented"},
        },
        "object": {"objectType": "StatementRef", "id": world.statements["bo.page"]},
    }
    assert xapi.post("statements", ref).status_code == 200
    with app.app_context():
        db.session.execute(update(Statement).values(stored=now() - timedelta(days=1000)))
        db.session.commit()
    _rule(app)
    _hold_person(app, "lea@example.org")
    _run(runner)
    # Lea's statement is held; it still names Bo's removed statement (xAPI allows that).
    kept = xapi.get("statements", query={"statementId": ref["id"]})
    assert kept.status_code == 200
    assert kept.json["object"] == {"objectType": "StatementRef", "id": world.statements["bo.page"]}
    assert _dangling_filter_rows(app) == 0
    with app.app_context():
        for hold in retention_rules.holds():
            retention_rules.release_hold(hold.id, None)
        db.session.commit()
    done = _run(runner)
    assert done["rules"][0]["counts"]["statements"] == 4
    assert lrs_counts(app)["statements"] == 0
    # Its inherited rows (from a target no longer stored) went too: nothing points nowhere.
    assert _dangling_filter_rows(app) == 0
    assert lrs_counts(app)["filters"] == 0


def test_retention_hold_on_an_activity_keeps_its_statements(app, world, runner, xapi):
    _rule(app, verb_id=EXPERIENCED)
    with app.app_context():
        retention_rules.place_hold(
            {
                "kind": "activity",
                "target": "http://example.org/lessons/1",
                "reason": "Granskning",
                "until": date.today(),  # in force through today
            },
            None,
            "test",
        )
        db.session.commit()
    done = _run(runner)
    # Both lessons/1 statements held; the pages and Bo's voided lesson (with its pair) go.
    assert done["rules"][0]["held"] == 2
    assert done["rules"][0]["counts"]["statements"] == 3
    for key in ("lea.lesson", "bo.lesson"):
        got = xapi.get("statements", query={"statementId": world.statements[key]})
        assert got.status_code == 200
