"""A classroom course's test: its versions and questions, as the author edits them.

The newest version is the one edited and the one a session takes when it first uses
the test. While nobody has answered it, it is changed in place; once somebody has, a
change makes the next version (its questions copied, then changed), so that every
answer keeps pointing at the question as it was asked (and its activity in the LRS,
vocabulary.classroom_question_iri, at one definition). Questions are in Swedish and/or
English (a course has no language of its own), shown in the reader's language when
there, else in the other.
"""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import func, select

from core.db import db
from core.errors import NotFound
from core.i18n import N_
from packages.models import Course
from portal import catalogue, classroom
from portal.classroom_test_models import ClassroomTest, ClassroomTestQuestion, TestSitting


def check_classroom(course: Course) -> None:
    """Only classroom courses have tests (e-learning brings its own questions)."""
    if catalogue.course_kind(course.id) != "classroom":
        raise NotFound(N_("Only classroom courses have a test here"))


def words(sv: str | None, en: str | None, locale: str) -> str:
    """A text in the reader's language if written in it, else in the other."""
    first, second = (sv, en) if locale == "sv" else (en, sv)
    return first or second or ""


def versions_of(course_id: int) -> list[ClassroomTest]:
    """The course's test versions, newest first."""
    stmt = (
        select(ClassroomTest)
        .where(ClassroomTest.course_id == course_id)
        .order_by(ClassroomTest.number.desc())
    )
    return list(db.session.scalars(stmt))


def newest(course_id: int) -> ClassroomTest | None:
    """The version edited now and given to sessions that start using the test."""
    found = versions_of(course_id)
    return found[0] if found else None


def questions_of(test: ClassroomTest) -> list[ClassroomTestQuestion]:
    """A version's questions in order."""
    stmt = (
        select(ClassroomTestQuestion)
        .where(ClassroomTestQuestion.test_id == test.id)
        .order_by(ClassroomTestQuestion.position, ClassroomTestQuestion.id)
    )
    return list(db.session.scalars(stmt))


def sittings_count(test: ClassroomTest) -> int:
    """How many people have answered the version (from 1 it is never changed)."""
    stmt = select(func.count()).select_from(TestSitting).where(TestSitting.test_id == test.id)
    return int(db.session.scalar(stmt) or 0)


def question_in(course: Course, question_id: int) -> ClassroomTestQuestion:
    """A question of the course's newest version (one of an older version: NotFound)."""
    test = newest(course.id)
    question = db.session.get(ClassroomTestQuestion, question_id)
    if test is None or question is None or question.test_id != test.id:
        raise NotFound(N_("No such question in the test"))
    return question


def _writable(course: Course) -> tuple[ClassroomTest, dict[int, ClassroomTestQuestion]]:
    """The version to change, and the newest version's questions as they are in it.

    A first version is made when there is none; the next one when the newest has answers.
    """
    check_classroom(course)
    test = newest(course.id)
    if test is not None and sittings_count(test) == 0:
        return test, {q.id: q for q in questions_of(test)}
    fresh = ClassroomTest(
        course_id=course.id, number=(test.number + 1) if test else 1, created_at=classroom.now()
    )
    db.session.add(fresh)
    db.session.flush()
    copies: dict[int, ClassroomTestQuestion] = {}
    for old in questions_of(test) if test is not None else []:
        copies[old.id] = ClassroomTestQuestion(
            test_id=fresh.id,
            position=old.position,
            multiple=old.multiple,
            text_sv=old.text_sv,
            text_en=old.text_en,
            options=[dict(option) for option in old.options],
        )
        db.session.add(copies[old.id])
    db.session.flush()
    return fresh, copies


def _fill(question: ClassroomTestQuestion, data: dict[str, Any]) -> None:
    """Set a question from the form's data; its options get the ids a, b, c..."""
    question.text_sv = data["text_sv"]
    question.text_en = data["text_en"]
    question.multiple = data["multiple"]
    question.options = [
        {"id": string.ascii_lowercase[n], **option} for n, option in enumerate(data["options"])
    ]


def add_question(course: Course, data: dict[str, Any]) -> ClassroomTestQuestion:
    """Add a question at the end of the test (of its next version, if answered)."""
    test, existing = _writable(course)
    last = max((q.position for q in existing.values()), default=0)
    question = ClassroomTestQuestion(test_id=test.id, position=last + 1, options=[])
    _fill(question, data)
    db.session.add(question)
    db.session.flush()
    return question


def change_question(course: Course, question_id: int, data: dict[str, Any]) -> ClassroomTest:
    """Change a question of the newest version; returns the version that now holds it."""
    question_in(course, question_id)
    test, existing = _writable(course)
    _fill(existing[question_id], data)
    db.session.flush()
    return test


def delete_question(course: Course, question_id: int) -> ClassroomTest:
    """Take a question out of the test (out of its next version, if answered)."""
    question_in(course, question_id)
    test, existing = _writable(course)
    db.session.delete(existing[question_id])
    db.session.flush()
    return test
