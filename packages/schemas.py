"""marshmallow schemas for the packages API: upload options, course edits, responses."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

_TEXT = validate.Length(max=500)
_SHORT = validate.Length(max=200)


class UploadOptionsSchema(Schema):
    """Form fields (multipart) or query parameters (raw zip) that go with an upload."""

    class Meta:  # noqa: D106  (marshmallow options)
        unknown = EXCLUDE  # the multipart "file" field and cache busters

    title = fields.String(validate=_TEXT, load_default=None)
    category = fields.String(validate=_SHORT, load_default=None)
    owner_unit = fields.String(validate=_SHORT, load_default=None)
    draft = fields.Boolean(load_default=False)
    publish = fields.Boolean(load_default=False)


class CourseUpdateSchema(Schema):
    """PATCH body for a course; every field is optional."""

    class Meta:  # noqa: D106  (marshmallow options)
        unknown = RAISE

    title = fields.String(validate=validate.Length(min=1, max=500))
    description = fields.String()
    category = fields.String(validate=_SHORT, allow_none=True)
    owner_unit = fields.String(validate=_SHORT, allow_none=True)
    published = fields.Boolean()


class VersionSchema(Schema):
    """A package version as the API shows it."""

    id = fields.Integer()
    course = fields.Integer(attribute="course_id")
    number = fields.Integer()
    kind = fields.String()
    edition = fields.String()
    title = fields.String()
    published = fields.Boolean()
    review_state = fields.String()
    launch = fields.List(fields.Dict())
    warnings = fields.List(fields.Dict())
    content_hash = fields.String()
    file_count = fields.Integer()
    total_size = fields.Integer()
    created = fields.DateTime(attribute="created_at")


class VersionDetailSchema(VersionSchema):
    """A version with its parsed manifest (for the player and authoring tools)."""

    manifest = fields.Dict()


class CourseSchema(Schema):
    """A course as the API lists it."""

    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    category = fields.String(allow_none=True)
    owner_unit = fields.String(allow_none=True)
    published = fields.Boolean()
    created = fields.DateTime(attribute="created_at")
    updated = fields.DateTime(attribute="updated_at")
