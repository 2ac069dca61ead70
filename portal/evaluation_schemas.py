"""The forms of course evaluations: an admin's question, a learner's answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal.evaluation_models import SCALE, EvaluationQuestion
from portal.evaluation_questions import text
from portal.i18n import N_
from portal.schemas import FormSchema, label

COMMENT_MAX = 2000


class QuestionSchema(FormSchema):
    """An evaluation question: its words in both languages, its place, whether it is asked."""

    text_sv = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata=label(N_("Question in Swedish")),
    )
    text_en = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata=label(N_("Question in English")),
    )
    position = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=10000),
        metadata=label(N_("Order")),
    )
    active = fields.Boolean(load_default=False, metadata=label(N_("Asked")))


def answer_schema(questions: list[EvaluationQuestion], locale: str) -> Schema:
    """The answer form: a value of the scale for every question, and an optional comment."""
    answers: dict[str, fields.Field] = {
        f"q{question.id}": fields.Integer(
            required=True,
            validate=validate.OneOf(SCALE),
            error_messages={"required": N_("Choose an answer.")},
            metadata=label(text(question, locale)),
        )
        for question in questions
    }
    answers["comment"] = fields.String(
        load_default=None,
        validate=validate.Length(max=COMMENT_MAX),
        metadata=label(N_("Comment")),
    )
    return FormSchema.from_dict(answers, name="EvaluationAnswerSchema")()
