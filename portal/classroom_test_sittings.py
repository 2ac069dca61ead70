"""A session's test: the trainer opens and closes it, people answer once, as statements.

A learner answers in the portal only while the session's trainer has the test open,
only when booked on the session (and not recorded absent), only once, and always as
the signed-in person; the trainer may enter a participant's paper form at any time.
The version a session uses is fixed when it first uses the test (SessionTest), so
every answer of a session is to the same questions.

Each answer is one ``answered`` statement per question, stored through
``lrs.service.store_statements`` as the portal (the classroom's trusted client): the
question as a ``cmi.interaction`` choice activity with its options and
``correctResponsesPattern``, the chosen options as ``result.response`` and whether
they were the right ones as ``result.success`` (xAPI 1.0.3 Data §2.4.4.1 and §2.4.5;
choice responses joined by ``[,]``, Data §2.4.4.1.1), the session's registration, the
trainer as instructor, the test version as parent and the session and course as
grouping (§2.4.6). The share right is the participant's score, offered in the
attendance form as the session's score (portal/classroom.py records it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts.auth import agent_for
from accounts.models import User
from core import vocabulary
from core.db import db
from core.errors import Conflict, Forbidden, NotFound
from core.i18n import N_
from lrs import service as lrs
from lrs.clock import format_timestamp
from packages.models import Course
from portal import classroom, classroom_tests
from portal.classroom_test_models import (
    ClassroomTest,
    ClassroomTestQuestion,
    SessionTest,
    TestSitting,
)
from portal.models import ClassroomSession, Enrolment

DELIMITER = "[,]"  # xAPI 1.0.3 Data §2.4.4.1.1: between the ids of a choice response


def session_test(session: ClassroomSession) -> SessionTest | None:
    """The test the session uses, once it has used one."""
    return db.session.get(SessionTest, session.id)


def _use(session: ClassroomSession) -> SessionTest:
    """The session's test, fixing it to the course's newest version on first use."""
    found = session_test(session)
    if found is not None:
        return found
    test = classroom_tests.newest(session.course_id)
    if test is None or not classroom_tests.questions_of(test):
        raise Conflict(N_("The course has no test yet"))
    found = SessionTest(session_id=session.id, test_id=test.id, open=False)
    db.session.add(found)
    db.session.flush()
    return found


def set_open(session: ClassroomSession, trainer: User, open_: bool) -> SessionTest:
    """Open the session's test to its participants, or close it (the trainer only)."""
    classroom.check_trainer(session, trainer)
    if session.cancelled_at is not None:
        raise Conflict(N_("This session is cancelled"))
    found = _use(session)
    found.open = open_
    if open_:
        found.opened_at = classroom.now()
    db.session.flush()
    return found


def sittings(session: ClassroomSession) -> dict[int, TestSitting]:
    """The session's answered tests by person."""
    stmt = select(TestSitting).where(TestSitting.session_id == session.id)
    return {s.user_id: s for s in db.session.scalars(stmt)}


def sitting_of(session: ClassroomSession, user: User) -> TestSitting | None:
    """The person's own answered test of the session, if any."""
    return sittings(session).get(user.id)


def _participant(session: ClassroomSession, user: User) -> Enrolment:
    """The person's seat on the session: booked, and not recorded as absent."""
    enrolment = classroom.enrolment_of(session, user)
    if enrolment is None or enrolment.status != "booked" or enrolment.attended is False:
        raise Forbidden(N_("Only the session's participants take its test"))
    return enrolment


def for_learner(session: ClassroomSession, user: User) -> SessionTest:
    """The test the signed-in participant may answer now (Forbidden, Conflict otherwise)."""
    _participant(session, user)
    if sitting_of(session, user) is not None:
        raise Conflict(N_("You have answered this test already"))
    found = session_test(session)
    if found is None or not found.open or session.cancelled_at is not None:
        raise Forbidden(N_("The trainer has not opened the test"))
    return found


def take(session: ClassroomSession, user: User, answers: dict[int, list[str]]) -> TestSitting:
    """Record the signed-in participant's own answers (only while the test is open)."""
    found = for_learner(session, user)
    return _record(session, found.test, user, None, answers)


def paper_form(session: ClassroomSession, trainer: User, enrolment_id: int) -> Enrolment:
    """The participant whose paper form the trainer enters (not yet answered)."""
    classroom.check_trainer(session, trainer)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.session_id != session.id:
        raise NotFound(N_("No such participant on this session"))
    if session.cancelled_at is not None:
        raise Conflict(N_("This session is cancelled"))
    _participant(session, enrolment.user)
    if sitting_of(session, enrolment.user) is not None:
        raise Conflict(N_("This participant has answered the test already"))
    return enrolment


def test_for_paper(session: ClassroomSession) -> ClassroomTest:
    """The version a paper form is entered for (fixing it, as opening does)."""
    return _use(session).test


def record_paper(
    session: ClassroomSession, trainer: User, enrolment_id: int, answers: dict[int, list[str]]
) -> TestSitting:
    """Record a participant's answers from a paper form, entered by the trainer."""
    enrolment = paper_form(session, trainer, enrolment_id)
    return _record(session, _use(session).test, enrolment.user, trainer, answers)


def _record(
    session: ClassroomSession,
    test: ClassroomTest,
    learner: User,
    recorded_by: User | None,
    answers: dict[int, list[str]],
) -> TestSitting:
    """Store a sitting and its statements in this transaction (a second one: 409)."""
    questions = classroom_tests.questions_of(test)
    if {q.id for q in questions} != set(answers):
        raise Conflict(N_("The test has changed: answer it again"))
    course = db.session.get(Course, session.course_id)
    assert course is not None  # noqa: S101  (FK)
    statements = [
        _statement(session, course, test, q, learner, sorted(set(answers[q.id]))) for q in questions
    ]
    sitting = TestSitting(
        session_id=session.id,
        user_id=learner.id,
        test_id=test.id,
        right=sum(1 for s in statements if s["result"]["success"]),
        total=len(questions),
        recorded_by_id=recorded_by.id if recorded_by is not None else None,
        statement_ids=[s["id"] for s in statements],
        created_at=classroom.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(sitting)
            db.session.flush()
    except IntegrityError as exc:  # the same person's other tab, at the same moment
        raise Conflict(N_("This test has been answered already")) from exc
    lrs.store_statements(statements, classroom.portal_client(), "1.0.3")
    return sitting


def _languages(sv: str | None, en: str | None) -> dict[str, str]:
    """A language map (xAPI 1.0.3 Data §5.2.1) of the texts written."""
    return {tag: text for tag, text in (("sv", sv), ("en", en)) if text}


def _statement(
    session: ClassroomSession,
    course: Course,
    test: ClassroomTest,
    question: ClassroomTestQuestion,
    learner: User,
    chosen: list[str],
) -> dict[str, Any]:
    """One ``answered`` statement of a question (see the module's docstring)."""
    home = current_app.config["AGENT_HOMEPAGE"]
    right = sorted(option["id"] for option in question.options if option["right"])
    text = _languages(question.text_sv, question.text_en)
    return {
        "id": str(uuid.uuid4()),
        "actor": agent_for(learner),
        "verb": vocabulary.verb("answered"),
        "object": {
            "objectType": "Activity",
            "id": vocabulary.classroom_question_iri(home, test.id, question.id),
            "definition": {
                "type": vocabulary.TYPE_INTERACTION,
                "name": text,
                "description": text,
                "interactionType": "choice",
                "correctResponsesPattern": [DELIMITER.join(right)],
                "choices": [
                    {"id": option["id"], "description": _languages(option["sv"], option["en"])}
                    for option in question.options
                ],
            },
        },
        "result": {"response": DELIMITER.join(chosen), "success": chosen == right},
        "context": {
            "registration": session.registration,
            "instructor": agent_for(session.trainer),
            "contextActivities": {
                "parent": [
                    {
                        "id": vocabulary.classroom_test_iri(home, test.id),
                        "definition": {
                            "type": vocabulary.TYPE_ASSESSMENT,
                            "name": {"en": f"{course.title}: test, version {test.number}"},
                        },
                    }
                ],
                "grouping": [
                    {"id": classroom.session_iri(session.id)},
                    {"id": classroom.course_iri(course.id)},
                ],
                "category": [{"id": vocabulary.classroom_category(home)}],
            },
        },
        "timestamp": format_timestamp(datetime.now(UTC)),
    }


def open_for(user: User) -> list[tuple[ClassroomSession, str]]:
    """Sessions whose test the person may answer now, with the course's title."""
    stmt = (
        select(ClassroomSession, Course.title)
        .join(SessionTest, SessionTest.session_id == ClassroomSession.id)
        .join(Enrolment, Enrolment.session_id == ClassroomSession.id)
        .join(Course, Course.id == ClassroomSession.course_id)
        .outerjoin(
            TestSitting,
            (TestSitting.session_id == ClassroomSession.id) & (TestSitting.user_id == user.id),
        )
        .where(
            SessionTest.open.is_(True),
            ClassroomSession.cancelled_at.is_(None),
            Enrolment.user_id == user.id,
            Enrolment.status == "booked",
            Enrolment.attended.is_not(False),
            TestSitting.id.is_(None),
        )
        .order_by(ClassroomSession.starts_at)
    )
    return [(s, title) for s, title in db.session.execute(stmt)]
