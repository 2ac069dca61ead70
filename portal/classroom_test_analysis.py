"""Question analysis of a classroom test version, by portal/question_analysis.py's tally.

The ``answered`` statements of the sessions that used the version (their registrations,
optionally one session's or one trainer's) are read from the LRS; a participant of a
session is an attempt (a registration and an actor), counted once per question by the
last answer. Questions nobody has answered are listed too, in the test's order, and
named in the reader's language from the test itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from accounts.models import User
from core import vocabulary
from core.db import db
from lrs.queries import statements_in_registrations
from portal import classroom_tests
from portal.classroom_test_models import ClassroomTest, ClassroomTestQuestion, SessionTest
from portal.classroom_test_sittings import DELIMITER
from portal.models import ClassroomSession
from portal.question_analysis import Question, tally


@dataclass
class TestAnalysis:
    """The questions of one test version (as question_analysis.Analysis is a version's)."""

    test: ClassroomTest
    attempts: int
    questions: list[Question]
    rows: dict[str, ClassroomTestQuestion]  # activity id → the question as authored

    def question(self, activity_id: str) -> Question | None:
        """One question by its activity id."""
        return next((q for q in self.questions if q.activity_id == activity_id), None)


def sessions_of(test: ClassroomTest) -> list[ClassroomSession]:
    """The sessions that used the version, by date."""
    stmt = (
        select(ClassroomSession)
        .join(SessionTest, SessionTest.session_id == ClassroomSession.id)
        .where(SessionTest.test_id == test.id)
        .order_by(ClassroomSession.starts_at)
    )
    return list(db.session.scalars(stmt))


def trainers_of(sessions: list[ClassroomSession]) -> list[User]:
    """The trainers of these sessions, by name."""
    found = {s.trainer_id: s.trainer for s in sessions}
    return sorted(found.values(), key=lambda user: user.name)


def analyse(
    test: ClassroomTest,
    locale: str,
    session_id: int | None = None,
    trainer_id: int | None = None,
) -> TestAnalysis:
    """The version's questions over its sessions (or one session's, or one trainer's)."""
    home = current_app.config["AGENT_HOMEPAGE"]
    chosen = [
        s
        for s in sessions_of(test)
        if session_id in (None, s.id) and trainer_id in (None, s.trainer_id)
    ]
    prefix = vocabulary.classroom_test_iri(home, test.id) + "/questions/"
    answered = (
        statement
        for statement in statements_in_registrations(
            [s.registration for s in chosen], vocabulary.VERBS["answered"]
        )
        if str(statement["object"].get("id", "")).startswith(prefix)
    )
    attempts, found = tally(answered)
    rows = {
        vocabulary.classroom_question_iri(home, test.id, q.id): q
        for q in classroom_tests.questions_of(test)
    }
    questions = []
    for ident, row in rows.items():
        question = found.get(ident) or Question(ident, "", "choice")
        question.label = classroom_tests.words(row.text_sv, row.text_en, locale)
        questions.append(question)
    return TestAnalysis(test, attempts, questions, rows)


def response_labels(question: ClassroomTestQuestion, locale: str) -> dict[str, str]:
    """Each option's words by its id, to show a response ("a[,]c") as what was chosen."""
    return {
        option["id"]: classroom_tests.words(option["sv"], option["en"], locale)
        for option in question.options
    }


def response_words(response: str, labels: dict[str, str]) -> str:
    """A choice response in words: "a[,]c" → "A. Fire; C. Smoke"."""
    return "; ".join(
        f"{part.upper()}. {labels.get(part, part)}" for part in response.split(DELIMITER) if part
    )
