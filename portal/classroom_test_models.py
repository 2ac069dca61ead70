"""Tests of classroom courses: versions, questions, the trainer's opening, each sitting.

portal/classroom_tests.py edits them (a version with answers is never changed: a change
makes the next version), portal/classroom_test_sittings.py opens a session's test and
records answers (as xAPI ``answered`` statements too), portal/classroom_test_analysis.py
analyses them with portal/question_analysis.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Model


class ClassroomTest(Model):
    """One version of a classroom course's test (1, 2, ...); the newest is the one edited."""

    __tablename__ = "portal_classroom_test"
    __table_args__ = (UniqueConstraint("course_id", "number", name="uq_classroom_test_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("package_course.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ClassroomTestQuestion(Model):
    """A single or multiple choice question, in Swedish and/or English.

    ``options`` is a list of ``{"id": "a", "sv": ..., "en": ..., "right": bool}``: the ids
    are the choices' ids in the ``answered`` statements (xAPI 1.0.3 Data §2.4.4.1,
    interaction components), so they never change within a version.
    """

    __tablename__ = "portal_classroom_test_question"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(
        ForeignKey("portal_classroom_test.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    text_sv: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    text_en: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class SessionTest(Model):
    """The test version a session uses (fixed at its first use) and whether it is open.

    Learners take it only while the trainer has it open; the trainer enters paper
    answers at any time.
    """

    __tablename__ = "portal_session_test"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("portal_session.id", ondelete="CASCADE"), primary_key=True
    )
    test_id: Mapped[int] = mapped_column(
        ForeignKey("portal_classroom_test.id", ondelete="CASCADE"), index=True
    )
    open: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    test: Mapped[ClassroomTest] = relationship()


class TestSitting(Model):
    """One person's answers to a session's test: once per person and session.

    ``recorded_by_id`` is the trainer who entered a paper form (None: the learner
    answered in the portal); ``statement_ids`` the ``answered`` statements in the LRS.
    """

    __tablename__ = "portal_test_sitting"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_test_sitting_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("portal_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"))
    test_id: Mapped[int] = mapped_column(
        ForeignKey("portal_classroom_test.id", ondelete="CASCADE"), index=True
    )
    right: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
    statement_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    @property
    def score(self) -> float:
        """The share right, in per cent (one decimal), as the attendance form's score."""
        return round(100 * self.right / self.total, 1) if self.total else 0.0
