"""marshmallow schemas for the portal's forms (HTML form fields arrive as strings)."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from lrs.auth import SCOPES
from portal.models import COURSE_KINDS, ROLES, UNIT_KINDS


class FormSchema(Schema):
    """Forms carry the CSRF token and buttons: ignore unknown fields, blank means missing."""

    class Meta:  # noqa: D106  (marshmallow options)
        unknown = EXCLUDE

    @pre_load
    def _blank_is_missing(self, data: Any, **_: Any) -> Any:
        if hasattr(data, "to_dict"):
            flat = {k: (v if len(v) > 1 else v[0]) for k, v in data.to_dict(flat=False).items()}
        else:
            flat = dict(data)
        return {k: v for k, v in flat.items() if not (isinstance(v, str) and v.strip() == "")}


class UnitSchema(FormSchema):
    """A new organisation unit."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=50))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="department", validate=validate.OneOf(UNIT_KINDS))


class UnitUpdateSchema(FormSchema):
    """A unit's new name, kind and active flag."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="department", validate=validate.OneOf(UNIT_KINDS))
    active = fields.Boolean(load_default=False)


class UserCreateSchema(FormSchema):
    """A new account (admin page)."""

    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))
    role = fields.String(load_default="learner", validate=validate.OneOf(ROLES))
    unit_id = fields.Integer(load_default=None, allow_none=True)


class UserUpdateSchema(FormSchema):
    """An account's name, role, unit and active flag."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    unit_id = fields.Integer(load_default=None, allow_none=True)
    active = fields.Boolean(load_default=False)


class PasswordSchema(FormSchema):
    """A new password set by an admin."""

    password = fields.String(required=True, validate=validate.Length(min=8, max=200))


class PasswordChangeSchema(FormSchema):
    """A user's own password change; the service checks the values (and says what is wrong)."""

    current_password = fields.String(load_default="")
    password = fields.String(load_default="")
    password_again = fields.String(load_default="")


class CredentialSchema(FormSchema):
    """A new LRS credential: a name and its scopes."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1),
    )

    @pre_load
    def _one_scope_is_a_list(self, data: Any, **_: Any) -> Any:
        if isinstance(data.get("scopes"), str):
            data = {**data, "scopes": [data["scopes"]]}
        return data


class SettingsSchema(FormSchema):
    """The user's language (blank: the browser's)."""

    locale = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(("sv", "en"))
    )


class CatalogueQuerySchema(FormSchema):
    """Catalogue search and filters."""

    q = fields.String(load_default="")
    category = fields.String(load_default=None)
    unit = fields.String(load_default=None)  # a unit code, or "shared"
    kind = fields.String(load_default=None, validate=validate.OneOf(COURSE_KINDS))


class CourseMetaSchema(FormSchema):
    """A course's title, description, category and owning unit code."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description = fields.String(load_default="")
    category = fields.String(load_default=None, validate=validate.Length(max=200))
    unit = fields.String(load_default=None)  # a unit code; missing = whole organisation


class UploadSchema(FormSchema):
    """Options of a package upload."""

    title = fields.String(load_default=None, validate=validate.Length(max=500))
    category = fields.String(load_default=None, validate=validate.Length(max=200))
    unit = fields.String(load_default=None)
    publish = fields.Boolean(load_default=False)


class SessionSchema(FormSchema):
    """A classroom session (local date and time)."""

    starts_at = fields.NaiveDateTime(required=True, format="%Y-%m-%dT%H:%M")
    place = fields.String(required=True, validate=validate.Length(min=1, max=300))
    trainer_id = fields.Integer(required=True)
    seats = fields.Integer(required=True, validate=validate.Range(min=1, max=10000))


class AttendanceRowSchema(Schema):
    """What the trainer recorded for one enrolment."""

    attended = fields.Boolean(load_default=False)
    completed = fields.Boolean(load_default=False)
    outcome = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(("passed", "failed"))
    )
    score = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=100)
    )


class AssignmentSchema(FormSchema):
    """A course assigned to a person or a unit."""

    course_id = fields.Integer(required=True)
    user_id = fields.Integer(load_default=None)
    unit_id = fields.Integer(load_default=None)
    due_date = fields.Date(load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class ReportQuerySchema(FormSchema):
    """Report filters: months (YYYY-MM), unit, and HTML or CSV."""

    start = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    end = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))
    unit_id = fields.Integer(load_default=None)
    format = fields.String(load_default="html", validate=validate.OneOf(("html", "csv")))


class WaiveSchema(FormSchema):
    """Waive one AU of a learner's cmi5 attempt (cmi5 §9.3.8, reasons §9.5.4.1)."""

    au_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")
        ),
    )
