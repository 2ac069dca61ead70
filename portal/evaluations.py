"""Course evaluations: who is asked what, and recording an answer (also in the LRS).

A learner is asked to evaluate an e-learning course once its newest result is completed
or passed (the completions projection), for the package version they took (the attempt
with that result's registration), and a classroom session once the trainer recorded
them as attended. Results of the last ``ASK_DAYS`` days are asked about, so that the
first day of evaluations does not ask about everything a person ever took.

One evaluation per person and version (or session): answering again is refused with
409, as the answers are an xAPI statement in the LRS already (replacing them would mean
voiding it). The statement (``responded``, about the course's or session's survey
activity, the values in a result extension, the comment as ``result.response``) has the
learner as actor like every other learning record; the portal shows evaluations only in
aggregate (portal/evaluation_summary.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from accounts.auth import agent_for
from accounts.models import User
from core import vocabulary
from core.db import db
from core.errors import Conflict, Forbidden, NotFound
from core.i18n import N_
from lrs import service as lrs
from lrs.clock import format_timestamp
from packages.models import Course, PackageVersion
from player.models import Attempt
from portal import classroom
from portal.evaluation_models import Evaluation, EvaluationAnswer, EvaluationQuestion
from portal.evaluation_questions import active_questions
from portal.models import ClassroomSession, Completion, CourseKind, Enrolment

#: Results and sessions of the last so many days are asked about.
ASK_DAYS = 90
_DONE = ("completed", "passed")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Target:
    """Something a learner may evaluate: a course version they completed, a session attended."""

    course_id: int
    title: str
    subject: str  # Evaluation.subject
    done_at: datetime
    registration: str | None
    version: PackageVersion | None = None
    session: ClassroomSession | None = None


def _since() -> datetime:
    return _now() - timedelta(days=ASK_DAYS)


def _elearning_targets(user: User, course_id: int | None = None) -> list[Target]:
    """Per e-learning course, its newest completed or passed result of the last days."""
    stmt = (
        select(Completion, Course.title, PackageVersion)
        .join(Course, Course.id == Completion.course_id)
        .outerjoin(CourseKind, CourseKind.course_id == Course.id)
        .outerjoin(
            Attempt,
            (Attempt.registration == Completion.registration)
            & (Attempt.user_id == user.id)
            & Attempt.preview.is_(False),
        )
        .outerjoin(PackageVersion, PackageVersion.id == Attempt.version_id)
        .where(
            Completion.user_id == user.id,
            Completion.verb.in_(_DONE),
            Completion.stored >= _since(),
            func.coalesce(CourseKind.kind, "elearning") == "elearning",
        )
        .order_by(Completion.stored.desc(), Completion.id.desc())
    )
    if course_id is not None:
        stmt = stmt.where(Completion.course_id == course_id)
    found: dict[int, Target] = {}
    for completion, title, version in db.session.execute(stmt):
        course = completion.course_id
        if course is None or course in found:  # joined to a course: never None here
            continue
        subject = f"v:{version.id}" if version is not None else f"c:{course}"
        found[course] = Target(
            course,
            title,
            subject,
            completion.stored,
            completion.registration,
            version,
        )
    return list(found.values())


def _session_targets(user: User, session_id: int | None = None) -> list[Target]:
    """Sessions of the last days the trainer recorded the person as attending, newest first."""
    stmt = (
        select(ClassroomSession, Course.title)
        .join(Enrolment, Enrolment.session_id == ClassroomSession.id)
        .join(Course, Course.id == ClassroomSession.course_id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.attended.is_(True),
            Enrolment.recorded_at >= _since(),
        )
        .order_by(ClassroomSession.starts_at.desc())
    )
    if session_id is not None:
        stmt = stmt.where(ClassroomSession.id == session_id)
    return [
        Target(s.course_id, title, f"s:{s.id}", s.ends_at, s.registration, session=s)
        for s, title in db.session.execute(stmt)
    ]


def _evaluated(user: User) -> set[str]:
    return set(db.session.scalars(select(Evaluation.subject).where(Evaluation.user_id == user.id)))


def due(user: User) -> list[Target]:
    """What the learner is asked to evaluate (nothing while no question is active)."""
    if not active_questions():
        return []
    done = _evaluated(user)
    targets = _elearning_targets(user) + _session_targets(user)
    return sorted(
        (t for t in targets if t.subject not in done), key=lambda t: t.done_at, reverse=True
    )


def _one(targets: list[Target], user: User) -> Target:
    if not targets:
        raise Forbidden(N_("You can evaluate a course once you have completed it or attended it"))
    if targets[0].subject in _evaluated(user):
        raise Conflict(N_("You have evaluated this already"))
    if not active_questions():
        raise NotFound(N_("No evaluation questions have been set"))
    return targets[0]


def course_target(user: User, course_id: int) -> Target:
    """The version of an e-learning course the signed-in learner may evaluate now.

    Forbidden without a recent completed or passed result; Conflict once evaluated.
    """
    return _one(_elearning_targets(user, course_id), user)


def session_target(user: User, session_id: int) -> Target:
    """A session the learner attended and may evaluate now (Forbidden, Conflict as above)."""
    return _one(_session_targets(user, session_id), user)


def submit(user: User, target: Target, values: dict[int, int], comment: str | None) -> Evaluation:
    """Record the learner's answers (one value 1..5 per active question) and the comment.

    Stored in the portal's tables and as one statement in the LRS, in this transaction;
    a second evaluation of the same subject is refused (409), a race included.
    """
    questions = active_questions()
    missing = [q.id for q in questions if q.id not in values]
    if missing:
        raise Conflict(N_("The questions have changed: answer them again"))
    evaluation = Evaluation(
        user_id=user.id,
        subject=target.subject,
        course_id=target.course_id,
        version_id=target.version.id if target.version is not None else None,
        session_id=target.session.id if target.session is not None else None,
        comment=(comment or "").strip() or None,
        statement_id=str(uuid.uuid4()),
        created_at=_now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(evaluation)
            db.session.flush()
    except IntegrityError as exc:  # the same person's other tab, at the same moment
        raise Conflict(N_("You have evaluated this already")) from exc
    for question in questions:
        db.session.add(
            EvaluationAnswer(
                evaluation_id=evaluation.id, question_id=question.id, value=values[question.id]
            )
        )
    db.session.flush()
    lrs.store_statements(
        [_statement(user, target, evaluation, questions, values)],
        classroom.portal_client(),
        "1.0.3",
    )
    return evaluation


def _statement(
    user: User,
    target: Target,
    evaluation: Evaluation,
    questions: list[EvaluationQuestion],
    values: dict[int, int],
) -> dict[str, Any]:
    """The ``responded`` statement of an evaluation (xAPI 1.0.3 Data §2.4).

    Object: the survey activity of the course or session; ``result.extensions`` the
    value of each question by its IRI; ``result.response`` the comment (§2.4.5 Result);
    context: the result's registration, the course (or session) as parent, for a session
    the course as grouping and the trainer as instructor, the version's number in an
    extension (§2.4.6 Context).
    """
    home = current_app.config["AGENT_HOMEPAGE"]
    course_iri = classroom.course_iri(target.course_id)
    about = course_iri if target.session is None else classroom.session_iri(target.session.id)
    activities: dict[str, Any] = {
        "parent": [{"id": about}],
        "category": [{"id": vocabulary.evaluation_category(home)}],
    }
    context: dict[str, Any] = {"contextActivities": activities}
    if target.registration:
        context["registration"] = target.registration
    if target.session is not None:
        activities["grouping"] = [{"id": course_iri}]
        context["instructor"] = agent_for(target.session.trainer)
    if target.version is not None:
        context["extensions"] = {
            vocabulary.evaluation_version_extension(home): target.version.number
        }
    result: dict[str, Any] = {
        "completion": True,
        "extensions": {
            vocabulary.evaluation_answers_extension(home): {
                vocabulary.evaluation_question_iri(home, q.id): values[q.id] for q in questions
            }
        },
    }
    if evaluation.comment:
        result["response"] = evaluation.comment
    return {
        "id": evaluation.statement_id,
        "actor": agent_for(user),
        "verb": vocabulary.verb("responded"),
        "object": {
            "objectType": "Activity",
            "id": vocabulary.evaluation_iri(about),
            "definition": {
                "type": vocabulary.TYPE_SURVEY,
                "name": {"en-US": f"Evaluation: {target.title}"},
            },
        },
        "result": result,
        "context": context,
        "timestamp": format_timestamp(datetime.now(UTC)),
    }
