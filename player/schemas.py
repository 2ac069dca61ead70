"""Request bodies of the runtime JSON API (strict: unknown fields are refused)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

#: Navigation requests the shell sends: SCORM 2004 adl.nav.request values (RTE §4.4.2,
#: "{target=ID}choice" / "{target=ID}jump" are split into request + target by the view),
#: plus "start" (launch or resume), "returned" (back from an own-window cmi5 AU) and
#: "close" (the pagehide beacon of a cmi5/xAPI launch).
NAV_REQUESTS = (
    "start",
    "returned",
    "close",
    "continue",
    "previous",
    "choice",
    "jump",
    "exit",
    "exitAll",
    "abandon",
    "abandonAll",
    "suspendAll",
    "_none_",
)
#: The requests that name their target activity.
TARGETED = ("choice", "jump")


class RefusedSchema(Schema):
    """A value the runtime frame refused at SetValue (player/static/rules.js)."""

    class Meta:  # noqa: D106  (marshmallow options)
        unknown = RAISE

    element = fields.String(required=True, validate=validate.Length(min=1, max=255))
    value = fields.String(required=True, validate=validate.Length(max=4000))
    code = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=999))
    message = fields.String(load_default="", validate=validate.Length(max=500))


class CommitSchema(Schema):
    """One commit of the running SCO (player/static/player.js, ``httpService``)."""

    class Meta:  # noqa: D106  (marshmallow options)
        unknown = RAISE

    sco = fields.String(required=True, validate=validate.Length(min=1, max=255))
    session = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    terminate = fields.Boolean(load_default=False)
    closing = fields.Boolean(load_default=False)
    cmi = fields.Dict(keys=fields.String(), load_default=dict)
    adl = fields.Dict(keys=fields.String(), load_default=None, allow_none=True)
    nav = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    # Values refused at SetValue since the last commit, for the course's authors.
    refused = fields.List(
        fields.Nested(RefusedSchema), load_default=list, validate=validate.Length(max=20)
    )


class NavigateSchema(Schema):
    """A navigation request from the shell (buttons, TOC, adl.nav.request)."""

    class Meta:  # noqa: D106  (marshmallow options)
        unknown = RAISE

    request = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    target = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    sco = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    session = fields.Integer(load_default=None, allow_none=True)
