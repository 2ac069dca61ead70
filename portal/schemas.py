"""marshmallow schemas for the portal's forms (HTML form fields arrive as strings).

Each field names its label (``metadata={"label": ...}``, the form's own wording): a
refused form shows it beside the message (views/common.py).
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from accounts.audit import ACTIONS
from accounts.models import ROLES, UNIT_KINDS
from lrs.auth import SCOPES
from portal.i18n import N_
from portal.models import COURSE_KINDS


def label(text: str) -> dict[str, str]:
    """A field's metadata: its label, translated where it is shown."""
    return {"label": text}


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

    code = fields.String(
        required=True, validate=validate.Length(min=1, max=50), metadata=label(N_("Code"))
    )
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    kind = fields.String(
        load_default="department", validate=validate.OneOf(UNIT_KINDS), metadata=label(N_("Kind"))
    )
    parent_id = fields.Integer(load_default=None, allow_none=True, metadata=label(N_("Part of")))


class UnitUpdateSchema(FormSchema):
    """A unit's new name, code, kind and active flag."""

    # Missing: the code stays as it is.
    code = fields.String(
        load_default=None, validate=validate.Length(min=1, max=50), metadata=label(N_("Code"))
    )
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    kind = fields.String(
        load_default="department", validate=validate.OneOf(UNIT_KINDS), metadata=label(N_("Kind"))
    )
    active = fields.Boolean(load_default=False, metadata=label(N_("Active")))
    parent_id = fields.Integer(load_default=None, allow_none=True, metadata=label(N_("Part of")))


class UserCreateSchema(FormSchema):
    """A new account (admin page)."""

    email = fields.Email(required=True, metadata=label(N_("E-mail")))
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    password = fields.String(
        required=True, validate=validate.Length(min=8, max=200), metadata=label(N_("Password"))
    )
    role = fields.String(
        load_default="learner", validate=validate.OneOf(ROLES), metadata=label(N_("Role"))
    )
    unit_id = fields.Integer(load_default=None, allow_none=True, metadata=label(N_("Unit")))


class UserUpdateSchema(FormSchema):
    """An account's name, role, unit and active flag."""

    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata=label(N_("Role")))
    unit_id = fields.Integer(load_default=None, allow_none=True, metadata=label(N_("Unit")))
    active = fields.Boolean(load_default=False, metadata=label(N_("Active")))


class PasswordSchema(FormSchema):
    """A new password set by an admin."""

    password = fields.String(
        required=True, validate=validate.Length(min=8, max=200), metadata=label(N_("Password"))
    )


class PasswordChangeSchema(FormSchema):
    """A user's own password change; the service checks the values (and says what is wrong)."""

    current_password = fields.String(load_default="", metadata=label(N_("Current password")))
    password = fields.String(load_default="", metadata=label(N_("New password")))
    password_again = fields.String(load_default="", metadata=label(N_("The new password again")))


class CredentialSchema(FormSchema):
    """A new LRS credential: a name and its scopes."""

    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1, error=N_("Choose at least one scope.")),
        error_messages={"required": N_("Choose at least one scope.")},
        metadata=label(N_("Scopes")),
    )
    # Its completed/passed/failed statements count in reports (lrs_credential.trusted).
    trusted = fields.Boolean(load_default=False, metadata=label(N_("Its results count in reports")))

    @pre_load
    def _one_scope_is_a_list(self, data: Any, **_: Any) -> Any:
        if isinstance(data.get("scopes"), str):
            data = {**data, "scopes": [data["scopes"]]}
        return data


class SettingsSchema(FormSchema):
    """The user's language (blank: the browser's)."""

    locale = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(("sv", "en")),
        metadata=label(N_("Language")),
    )


class CatalogueQuerySchema(FormSchema):
    """Catalogue search and filters."""

    q = fields.String(load_default="", metadata=label(N_("Search")))
    category = fields.String(load_default=None, metadata=label(N_("Category")))
    # A unit code, or "shared".
    unit = fields.String(load_default=None, metadata=label(N_("Organisation unit")))
    kind = fields.String(
        load_default=None, validate=validate.OneOf(COURSE_KINDS), metadata=label(N_("Kind"))
    )


class CourseMetaSchema(FormSchema):
    """A course's title, description, category and owning unit."""

    title = fields.String(
        required=True, validate=validate.Length(min=1, max=500), metadata=label(N_("Title"))
    )
    description = fields.String(load_default="", metadata=label(N_("Description")))
    category = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata=label(N_("Category"))
    )
    # A unit's id; missing = the whole organisation.
    unit = fields.Integer(load_default=None, metadata=label(N_("Owned by")))


class PresentationSchema(FormSchema):
    """How a course looks in the catalogue: a short description, or no picture any more.

    The picture itself is a file field, checked by portal/course_images.py.
    """

    summary = fields.String(
        load_default=None,
        validate=validate.Length(max=300),
        metadata=label(N_("Short description")),
    )
    remove_image = fields.Boolean(load_default=False, metadata=label(N_("Remove the picture")))


class PathSchema(FormSchema):
    """A learning path's title, description and owning unit."""

    title = fields.String(
        required=True, validate=validate.Length(min=1, max=300), metadata=label(N_("Title"))
    )
    description = fields.String(load_default="", metadata=label(N_("Description")))
    unit = fields.Integer(load_default=None, metadata=label(N_("Owned by")))


class PathCourseSchema(FormSchema):
    """A course to put into a learning path."""

    course_id = fields.Integer(required=True, metadata=label(N_("Course")))


class UploadSchema(FormSchema):
    """Options of a package upload."""

    title = fields.String(
        load_default=None, validate=validate.Length(max=500), metadata=label(N_("Title"))
    )
    category = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata=label(N_("Category"))
    )
    unit = fields.Integer(load_default=None, metadata=label(N_("Owned by")))
    publish = fields.Boolean(load_default=False, metadata=label(N_("Publish at once")))


class SessionSchema(FormSchema):
    """A classroom session (local date and time)."""

    starts_at = fields.NaiveDateTime(
        required=True, format="%Y-%m-%dT%H:%M", metadata=label(N_("Date and time"))
    )
    place = fields.String(
        required=True, validate=validate.Length(min=1, max=300), metadata=label(N_("Place"))
    )
    ends_at = fields.NaiveDateTime(
        required=True, format="%Y-%m-%dT%H:%M", metadata=label(N_("Ends"))
    )
    trainer_id = fields.Integer(required=True, metadata=label(N_("Trainer")))
    seats = fields.Integer(
        required=True, validate=validate.Range(min=1, max=10000), metadata=label(N_("Seats"))
    )
    confirm_past = fields.Boolean(
        load_default=False, metadata=label(N_("The start is in the past"))
    )


class CancelSessionSchema(FormSchema):
    """Cancelling a session: the reason the people on it are told."""

    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=2000), metadata=label(N_("Reason"))
    )


class RefuseBookingSchema(FormSchema):
    """A manager's refusal of a booking: the reason the person sees."""

    note = fields.String(
        required=True, validate=validate.Length(min=1, max=2000), metadata=label(N_("Reason"))
    )


class AttendanceRowSchema(Schema):
    """What the trainer recorded for one enrolment."""

    attended = fields.Boolean(load_default=False, metadata=label(N_("Attended")))
    completed = fields.Boolean(load_default=False, metadata=label(N_("Completed")))
    outcome = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(("passed", "failed")),
        metadata=label(N_("Result")),
    )
    score = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=100),
        metadata=label(N_("Score (per cent)")),
    )


class AssignmentSchema(FormSchema):
    """A course assigned to a person or a unit."""

    course_id = fields.Integer(required=True, metadata=label(N_("Course")))
    user_id = fields.Integer(load_default=None, metadata=label(N_("Person")))
    unit_id = fields.Integer(load_default=None, metadata=label(N_("Unit")))
    due_date = fields.Date(load_default=None, metadata=label(N_("Due date")))
    note = fields.String(
        load_default="", validate=validate.Length(max=2000), metadata=label(N_("Note"))
    )


_MONTH = validate.Regexp(
    r"^\d{4}-(0[1-9]|1[0-2])$", error=N_("Enter a month as YYYY-MM, such as 2025-03.")
)


class ReportQuerySchema(FormSchema):
    """Report filters: months (YYYY-MM), unit or manager line, and HTML or CSV."""

    start = fields.String(load_default=None, validate=_MONTH, metadata=label(N_("From month")))
    end = fields.String(load_default=None, validate=_MONTH, metadata=label(N_("To month")))
    unit_id = fields.Integer(load_default=None, metadata=label(N_("Organisation unit")))
    # "unit": the unit tree; "line": the people whose managers lead to ``manager_id``.
    by = fields.String(
        load_default="unit", validate=validate.OneOf(("unit", "line")), metadata=label(N_("View"))
    )
    manager_id = fields.Integer(load_default=None, metadata=label(N_("Manager")))
    format = fields.String(
        load_default="html", validate=validate.OneOf(("html", "csv")), metadata=label(N_("Format"))
    )


class AuditQuerySchema(FormSchema):
    """The audit log's filter: what, who, from and to which day."""

    action = fields.String(
        load_default=None, validate=validate.OneOf(list(ACTIONS)), metadata=label(N_("Event"))
    )
    who = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata=label(N_("Person"))
    )
    since = fields.Date(load_default=None, metadata=label(N_("From")))
    until = fields.Date(load_default=None, metadata=label(N_("To")))
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=100_000), metadata=label(N_("Page"))
    )


class WaiveSchema(FormSchema):
    """Waive one AU of a learner's cmi5 attempt (cmi5 §9.3.8, reasons §9.5.4.1)."""

    au_id = fields.String(
        required=True, validate=validate.Length(min=1, max=255), metadata=label(N_("AU"))
    )
    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")
        ),
        metadata=label(N_("Reason")),
    )


class _Many(fields.List):
    """A field a form sends once or several times (a multiple select, checkboxes)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        return super()._deserialize(value if isinstance(value, list) else [value], attr, data)


class RequirementSchema(FormSchema):
    """Mandatory training: courses, audience, due rule, validity and renewal window."""

    name = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata=label(N_("Name"))
    )
    course_ids = _Many(fields.Integer(), required=True, metadata=label(N_("Courses")))
    audience_unit = _Many(
        fields.Integer(), load_default=list, metadata=label(N_("Units (with the units below)"))
    )
    audience_role = _Many(
        fields.String(validate=validate.OneOf(ROLES)),
        load_default=list,
        metadata=label(N_("Roles")),
    )
    audience_title = fields.String(
        load_default="", validate=validate.Length(max=2000), metadata=label(N_("Titles"))
    )
    audience_person = fields.String(
        load_default="", validate=validate.Length(max=20000), metadata=label(N_("People"))
    )
    due_kind = fields.String(
        load_default="days",
        validate=validate.OneOf(("date", "days")),
        metadata=label(N_("Due")),
    )
    due_date = fields.Date(load_default=None, metadata=label(N_("Due date")))
    due_days = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0, max=3650),
        metadata=label(N_("Days after joining")),
    )
    validity_months = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=600),
        metadata=label(N_("Valid for (months)")),
    )
    renewal_days = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=3650),
        metadata=label(N_("Renewal window (days before expiry)")),
    )
    owner_unit_id = fields.Integer(load_default=None, metadata=label(N_("Belongs to")))


class ExemptionSchema(FormSchema):
    """A person let off a requirement, or the exemption withdrawn."""

    user_id = fields.Integer(required=True, metadata=label(N_("Person")))
    reason = fields.String(
        load_default="", validate=validate.Length(max=2000), metadata=label(N_("Reason"))
    )
    withdraw = fields.Boolean(load_default=False, metadata=label(N_("Withdraw")))


class SubmitReviewSchema(FormSchema):
    """An author sends a version to review, with a note for the reviewer."""

    note = fields.String(
        load_default="",
        validate=validate.Length(max=2000),
        metadata=label(N_("Note to the reviewer")),
    )


class DecisionSchema(FormSchema):
    """A reviewer's decision; each checklist item's tick and comment are read by its ref."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(("approve", "return")),
        metadata=label(N_("Decision")),
    )
    comment = fields.String(
        load_default="", validate=validate.Length(max=5000), metadata=label(N_("Comment"))
    )
    # Not sent: names the checklist where a refusal points at it (packages/review.py).
    checklist = fields.Raw(load_default=None, metadata=label(N_("Checklist")))


class ReviewerSchema(FormSchema):
    """Admin → Course review: a person who reviews a unit's courses (none: every course)."""

    email = fields.Email(required=True, metadata=label(N_("E-mail")))
    unit = fields.Integer(
        load_default=None, allow_none=True, metadata=label(N_("Reviews courses of"))
    )


class ChecklistItemSchema(FormSchema):
    """A checklist item's text."""

    text = fields.String(
        required=True, validate=validate.Length(min=1, max=300), metadata=label(N_("Item"))
    )


class AccessibilityReportSchema(FormSchema):
    """A report of an accessibility problem (the accessibility statement's form)."""

    message = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata=label(N_("Describe the problem")),
    )
    page = fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata=label(N_("Which page or course is it about?")),
    )
    name = fields.String(
        load_default="", validate=validate.Length(max=200), metadata=label(N_("Your name"))
    )
    email = fields.Email(
        load_default="",
        validate=validate.Length(max=255),
        metadata=label(N_("Your e-mail address")),
    )
