"""Course evaluations: the organisation's questions and the learners' answers.

portal/evaluations.py asks and records them (the answers are xAPI statements too),
portal/evaluation_summary.py shows them only in aggregate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

#: The Likert scale of every question: 1 "Not at all true" .. 5 "Completely true".
SCALE = (1, 2, 3, 4, 5)


class EvaluationQuestion(Model):
    """One statement the learner rates from 1 to 5, in Swedish and English.

    Admins add, reword, order and deactivate them; one that has answers is never
    deleted (its answers keep pointing at it), only deactivated.
    """

    __tablename__ = "portal_evaluation_question"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_sv: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Evaluation(Model):
    """A learner's evaluation of one course version or one classroom session.

    ``subject`` is what was evaluated, and the group the summaries count in: "v:<id>"
    (a package version), "c:<course id>" (an e-learning result no attempt of ours ties
    to a version) or "s:<session id>". One per person and subject: answering again is
    refused (the statement is in the LRS already). The person is kept so that they are
    asked once; no page shows one person's answers (portal/evaluation_summary.py).
    """

    __tablename__ = "portal_evaluation"
    __table_args__ = (
        UniqueConstraint("user_id", "subject", name="uq_evaluation_subject"),
        Index("ix_evaluation_course_subject", "course_id", "subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(40))
    course_id: Mapped[int] = mapped_column(ForeignKey("package_course.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("package_version.id", ondelete="SET NULL"), nullable=True
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_session.id", ondelete="CASCADE"), nullable=True, index=True
    )
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The "responded" statement the answers were stored as in the LRS.
    statement_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class EvaluationAnswer(Model):
    """One question's value (1..5) in an evaluation."""

    __tablename__ = "portal_evaluation_answer"

    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("portal_evaluation.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("portal_evaluation_question.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    )
    value: Mapped[int] = mapped_column(Integer)
