"""Strict marshmallow fields for xAPI values: no coercion, no nulls (Data 2.2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from lrs.schemas.rules import _ACTOR_KEYS, _LANGTAG, _UUID, _is_iri, _timestamp


class _Fast:
    """Skip marshmallow's per-value ``And()`` of validators when a field has none.

    Field validation runs for every property of every statement; building an empty
    ``And`` each time costs about a tenth of the whole validation.
    """

    validators: list[Any]

    def _validate(self, value: Any) -> None:
        if self.validators:
            super()._validate(value)  # type: ignore[misc]


class Str(_Fast, fields.String):
    """A JSON string; optional regex / predicate format check."""

    def __init__(self, *, check: Any = None, what: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.what = what

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError("Not a valid string.")
        if self.check is not None and not self.check(value):
            raise ValidationError(f"Not a valid {self.what}.")
        return value


def _regex(pattern: re.Pattern[str]) -> Any:
    return lambda value: pattern.match(value) is not None


def Iri(**kwargs: Any) -> Str:
    """Make a field for an IRI (or IRL) string with a scheme (Data 2.2, 4.3)."""
    return Str(check=_is_iri, what="IRI", **kwargs)


def Uuid(**kwargs: Any) -> Str:
    """Make a field for a UUID in standard string form (Data 4.4)."""
    return Str(check=_regex(_UUID), what="UUID", **kwargs)


def Timestamp(strict: bool, **kwargs: Any) -> Str:
    """Make a field for an ISO 8601 timestamp (Data 4.5), RFC 3339 with zone if ``strict``."""
    return Str(
        check=lambda v: _timestamp(v, strict) is not None,
        what="ISO 8601 timestamp with a time zone",
        **kwargs,
    )


def Const(value: str, **kwargs: Any) -> Str:
    """Make a field for an enumerated string matched exactly, case included (Data 2.2)."""
    return Str(validate=validate.Equal(value, error=f"Must be {value!r}."), **kwargs)


class StrictBool(_Fast, fields.Field):
    """A JSON boolean, not "true" or 1 (Data 2.2)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if value is not True and value is not False:
            raise ValidationError("Not a valid boolean.")
        return value


class StrictNumber(_Fast, fields.Field):
    """A JSON number, not a numeric string or a boolean (Data 2.2)."""

    def __init__(self, *, integer: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.integer = integer

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        kind = type(value)
        if kind is int or (kind is float and value == value and abs(value) != float("inf")):
            if self.integer and kind is float and not value.is_integer():
                raise ValidationError("Not a valid integer.")
            return value
        raise ValidationError("Not a valid integer." if self.integer else "Not a valid number.")


class LanguageMap(_Fast, fields.Field):
    """``{RFC 5646 tag: string}`` (Data 4.2)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("Not a valid language map.")
        errors: dict[str, list[str]] = {}
        for key, text in value.items():
            if _LANGTAG.match(key) is None:
                errors[key] = ["Not a valid RFC 5646 language tag."]
            elif not isinstance(text, str):
                errors[key] = ["Not a valid string."]
        if errors:
            raise ValidationError(errors)
        return value


class Extensions(_Fast, fields.Field):
    """``{IRI: any JSON}``; values may be anything, null included (Data 4.1)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("Not a valid extensions object.")
        bad = {key: ["Extension keys must be IRIs."] for key in value if not _is_iri(key)}
        if bad:
            raise ValidationError(bad)
        return value


class ListOf(_Fast, fields.List):
    """A JSON array (marshmallow's List also takes tuples and sets; JSON has neither)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        inner = self.inner
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            try:
                inner.deserialize(item)
            except ValidationError as exc:
                errors[index] = exc.messages
        if errors:
            raise ValidationError(errors)
        return value


class Obj(_Fast, fields.Nested):
    """A nested JSON object validated by one schema instance."""

    def _deserialize(
        self, value: Any, attr: Any, data: Any, partial: Any = None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("Invalid input type.")
        return self.schema.load(value)


class OneOf(_Fast, fields.Field):
    """A tagged union on ``objectType``: the tag picks the schema that validates the value.

    ``default`` is the schema used when ``objectType`` is absent (None = required).
    """

    def __init__(
        self,
        choices: Mapping[str, Schema],
        default: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.choices = dict(choices)
        self.default = default
        self.allowed = ", ".join(repr(k) for k in self.choices)
        # As an object, an Agent or Group must say so (Data 2.4.4.2): without objectType
        # the object is an Activity, and an IFI there deserves a clearer message.
        self.tag_hint = "Agent" in self.choices and default == "Activity"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise ValidationError("Invalid input type.")
        tag = value.get("objectType", self.default)
        if self.tag_hint and "objectType" not in value and any(k in value for k in _ACTOR_KEYS):
            raise ValidationError(
                {"objectType": ["Required when the object is an Agent or a Group."]}
            )
        if tag is None:
            raise ValidationError({"objectType": ["Missing data for required field."]})
        schema = self.choices.get(tag) if isinstance(tag, str) else None
        if schema is None:
            raise ValidationError({"objectType": [f"Must be one of {self.allowed}."]})
        return schema.load(value)
