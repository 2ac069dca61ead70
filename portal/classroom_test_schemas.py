"""The forms of classroom tests: an author's question, a person's answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from portal.classroom_test_models import ClassroomTestQuestion
from portal.i18n import N_
from portal.schemas import FormSchema, label

#: Options a question form offers (blank ones are left out).
OPTION_ROWS = 6
TEXT_MAX = 1000


def _text(name: str) -> fields.String:
    return fields.String(
        load_default=None, validate=validate.Length(max=TEXT_MAX), metadata=label(name)
    )


def _option_fields() -> dict[str, fields.Field]:
    found: dict[str, fields.Field] = {}
    for n in range(1, OPTION_ROWS + 1):
        found[f"opt{n}_sv"] = _text(N_("Option in Swedish"))
        found[f"opt{n}_en"] = _text(N_("Option in English"))
        found[f"opt{n}_right"] = fields.Boolean(load_default=False, metadata=label(N_("Right")))
    return found


class _QuestionBase(FormSchema):
    """A question in Swedish and/or English, single or multiple choice, and its options."""

    text_sv = _text(N_("Question in Swedish"))
    text_en = _text(N_("Question in English"))
    multiple = fields.Boolean(load_default=False, metadata=label(N_("More than one right")))

    @validates_schema
    def _complete(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("text_sv") and not data.get("text_en"):
            raise ValidationError(N_("Write the question in Swedish, English or both."), "text_sv")
        rows = _options(data)
        if len(rows) < 2:
            raise ValidationError(N_("Give at least two options."), "opt1_sv")
        right = sum(1 for row in rows if row["right"])
        if right == 0:
            raise ValidationError(N_("Mark the right option."), "opt1_right")
        if right > 1 and not data.get("multiple"):
            raise ValidationError(
                N_("Only one option may be right unless more than one may be."), "multiple"
            )

    @post_load
    def _shape(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {
            "text_sv": (data.get("text_sv") or "").strip() or None,
            "text_en": (data.get("text_en") or "").strip() or None,
            "multiple": bool(data.get("multiple")),
            "options": _options(data),
        }


def _options(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The filled-in option rows, in order (a row needs text in one language at least)."""
    rows = []
    for n in range(1, OPTION_ROWS + 1):
        sv = (data.get(f"opt{n}_sv") or "").strip() or None
        en = (data.get(f"opt{n}_en") or "").strip() or None
        if sv or en:
            rows.append({"sv": sv, "en": en, "right": bool(data.get(f"opt{n}_right"))})
    return rows


QuestionSchema = _QuestionBase.from_dict(_option_fields(), name="ClassroomQuestionSchema")


class _Choices(fields.List):
    """Checkboxes: one ticked arrives as a string, several as a list."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        listed = [value] if isinstance(value, str) else value
        return super()._deserialize(listed, attr, data, **kwargs)


def answer_schema(questions: list[tuple[ClassroomTestQuestion, str]]) -> Schema:
    """The test form: one option (or several) of each question, by its option id."""
    answers: dict[str, fields.Field] = {}
    for question, words in questions:
        ids = [option["id"] for option in question.options]
        choice = fields.String(validate=validate.OneOf(ids))
        answers[f"q{question.id}"] = (
            _Choices(
                choice,
                required=True,
                validate=validate.Length(min=1),
                error_messages={"required": N_("Choose at least one answer.")},
                metadata=label(words),
            )
            if question.multiple
            else fields.String(
                required=True,
                validate=validate.OneOf(ids),
                error_messages={"required": N_("Choose an answer.")},
                metadata=label(words),
            )
        )
    return FormSchema.from_dict(answers, name="ClassroomAnswerSchema")()
