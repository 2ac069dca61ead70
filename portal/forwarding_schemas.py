"""The forms of Admin → Forwarding: a target, and a replay."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates

from core.iri import is_iri
from lrs.forward_targets import VERSIONS
from portal.i18n import N_
from portal.schemas import FormSchema, label


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class TargetSchema(FormSchema):
    """Another LRS: where, with which credential and version, and which statements."""

    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    endpoint = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=500),
        metadata=label(N_("Endpoint")),
    )
    key = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Key"))
    )
    # Required for a new target; on an existing one, empty keeps the stored secret.
    secret = fields.String(
        load_default="", validate=validate.Length(max=500), metadata=label(N_("Secret"))
    )
    version = fields.String(
        load_default="2.0.0", validate=validate.OneOf(VERSIONS), metadata=label(N_("xAPI version"))
    )
    verbs = fields.String(load_default="", metadata=label(N_("Verbs")))
    activities = fields.String(load_default="", metadata=label(N_("Activities")))
    unit_id = fields.Integer(load_default=None, metadata=label(N_("Unit")))

    @validates("verbs")
    def _verbs_are_iris(self, value: str, **_: Any) -> None:
        if any(not is_iri(v) for v in _lines(value)):
            raise ValidationError(N_("Give one verb IRI a line."))

    @validates("activities")
    def _activities_are_iris(self, value: str, **_: Any) -> None:
        if any(not is_iri(a.removesuffix("*")) for a in _lines(value)):
            raise ValidationError(N_("Give one activity IRI a line; end it with * for a prefix."))

    @post_load
    def _as_lists(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "verbs": _lines(data["verbs"]), "activities": _lines(data["activities"])}


class NewTargetSchema(TargetSchema):
    """A new target: its secret is required."""

    secret = fields.String(
        required=True, validate=validate.Length(min=1, max=500), metadata=label(N_("Secret"))
    )


class ReplaySchema(FormSchema):
    """Replay from a moment (in the admin's time zone) or from a statement."""

    since = fields.NaiveDateTime(load_default=None, metadata=label(N_("From the time")))
    statement_id = fields.UUID(load_default=None, metadata=label(N_("From the statement")))
