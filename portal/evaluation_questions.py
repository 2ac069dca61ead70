"""The organisation's evaluation questions: admins add, reword, order and deactivate them.

Every course and session is evaluated with the active questions, in their order, on
one scale (evaluation_models.SCALE). A question with answers is not deleted: the
answers keep their meaning, so it is deactivated instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from core.db import db
from core.errors import BadRequest, Conflict, NotFound
from core.i18n import N_
from portal.evaluation_models import EvaluationAnswer, EvaluationQuestion

#: The words of each step of the scale (evaluation_models.SCALE), translated where shown.
SCALE_LABELS = {
    1: N_("Not at all true"),
    2: N_("Mostly not true"),
    3: N_("Partly true"),
    4: N_("Mostly true"),
    5: N_("Completely true"),
}

#: Questions an organisation may start from (Admin → Evaluation questions).
SUGGESTED = (
    ("Kursen var relevant för mitt arbete", "The course was relevant to my work"),
    ("Innehållet var lätt att förstå", "The content was easy to understand"),
    ("Jag kan använda det jag lärt mig i mitt arbete", "I can use what I learned in my work"),
    (
        "Jag skulle rekommendera kursen till en kollega",
        "I would recommend the course to a colleague",
    ),
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def text(question: EvaluationQuestion, locale: str) -> str:
    """The question in the reader's language (Swedish or English)."""
    return question.text_sv if locale.startswith("sv") else question.text_en


def all_questions() -> list[EvaluationQuestion]:
    """Every question, active or not, in their order."""
    return list(
        db.session.scalars(
            select(EvaluationQuestion).order_by(EvaluationQuestion.position, EvaluationQuestion.id)
        )
    )


def active_questions() -> list[EvaluationQuestion]:
    """The questions learners are asked, in their order."""
    return [q for q in all_questions() if q.active]


def answer_counts() -> dict[int, int]:
    """How many evaluations answered each question (a question with any is kept)."""
    rows = db.session.execute(
        select(EvaluationAnswer.question_id, func.count()).group_by(EvaluationAnswer.question_id)
    )
    return {question_id: int(n) for question_id, n in rows}


def get_question(question_id: int) -> EvaluationQuestion:
    """Return a question, or raise NotFound."""
    question = db.session.get(EvaluationQuestion, question_id)
    if question is None:
        raise NotFound(N_("No such evaluation question"))
    return question


def _texts(text_sv: str, text_en: str) -> tuple[str, str]:
    sv, en = text_sv.strip(), text_en.strip()
    for path, value in (("text_sv", sv), ("text_en", en)):
        if not value:
            raise BadRequest(
                N_("Write the question in Swedish and in English"),
                errors=[{"path": path, "message": "empty"}],
            )
    return sv, en


def create_question(
    text_sv: str, text_en: str, position: int | None = None, active: bool = True
) -> EvaluationQuestion:
    """Add a question (last, unless a position is given)."""
    sv, en = _texts(text_sv, text_en)
    if position is None:
        last = db.session.scalar(select(func.max(EvaluationQuestion.position)))
        position = (last or 0) + 1
    question = EvaluationQuestion(
        text_sv=sv, text_en=en, position=position, active=active, created_at=_now()
    )
    db.session.add(question)
    db.session.flush()
    return question


def update_question(
    question: EvaluationQuestion, text_sv: str, text_en: str, position: int, active: bool
) -> EvaluationQuestion:
    """Reword, move or (de)activate a question."""
    question.text_sv, question.text_en = _texts(text_sv, text_en)
    question.position = position
    question.active = active
    db.session.flush()
    return question


def delete_question(question: EvaluationQuestion) -> int:
    """Delete a question nobody has answered (its id); one with answers is deactivated."""
    if answer_counts().get(question.id):
        raise Conflict(N_("This question has answers: deactivate it instead"))
    question_id = question.id
    db.session.delete(question)
    db.session.flush()
    return question_id


def add_suggested() -> list[EvaluationQuestion]:
    """Add the suggested questions, when there are no questions at all yet."""
    if all_questions():
        raise Conflict(N_("There are questions already"))
    return [create_question(sv, en) for sv, en in SUGGESTED]
