"""Strict marshmallow schemas that validate xAPI statements (1.0.3 and 2.0.0).

The schemas only *validate*: the LRS stores and returns the JSON it received, so nothing
here relies on marshmallow's transformed output.  xAPI forbids the coercions marshmallow
does by default ("1" -> 1, "true" -> True), so numbers, booleans and strings use the
strict fields below; nulls are rejected everywhere except as extension values.

Spec: https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md (1.0.3, "Data" below).
2.0.0 (IEEE 9274.1.1) adds ``context.contextAgents`` / ``context.contextGroups``; a 1.0.3
request that carries them is rejected as having additional properties.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar, NoReturn

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from core.errors import BadRequest
from core.schemas import flatten_errors

DATA = "https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md"
VERSION_1 = "1.0.3"
VERSION_2 = "2.0.0"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"

# -- Formatted strings (Data 2.2, 4.2-4.6) ---------------------------------------------

# An IRI needs a scheme (Data 2.2 "IRL or IRI values without a scheme"); best effort
# otherwise (Data 2.2 allows it): no whitespace or control characters.
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f<>\"]+$")
_MAILTO = re.compile(r"^mailto:[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+$")
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_MEDIA_TYPE = re.compile(r"^[\w!#$&^.+\-]+/[\w!#$&^.+\-]+\s*(?:;.*)?$", re.DOTALL)
# Statement "version" (Data 2.4.10, Communication 3.3): any 1.0.x; 2.0.x under 2.0.0.
_VERSION_1 = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_2 = re.compile(r"^2\.0\.\d+$")

# RFC 5646 section 2.1 grammar (Data 4.2: "at least validate the sequence of token lengths").
_LANGTAG = re.compile(
    r"""^(?:
      (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})   # language (+ extlang)
      (?:-[a-z]{4})?                               # script
      (?:-(?:[a-z]{2}|[0-9]{3}))?                  # region
      (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*     # variants
      (?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*          # extensions
      (?:-x(?:-[a-z0-9]{1,8})+)?                   # private use
    | x(?:-[a-z0-9]{1,8})+                         # private use only
    | en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo
    | i-navajo|i-pwn|i-tao|i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de
    | art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# ISO 8601 / RFC 3339 date-times (Data 4.5).  2.0.0 requires the RFC 3339 profile with a
# time zone; 1.0.3 also accepts the ISO basic format, +hhmm / +hh offsets and no zone
# (then UTC).  Both reject a negative zero offset, which RFC 3339 section 4.3 reserves for
# "unknown local offset" (conformance suite, configs/timestamps.js).
_TS_STRICT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)
_TS_LOOSE = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})[Tt](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$"
)
# ISO 8601:2004 4.4.3.2 durations (Data 4.6); weeks cannot be combined with other units.
_DURATION = re.compile(
    r"^P(?:(?P<w>\d+(?:[.,]\d+)?W)|(?=\d|T\d)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?"
    r"(?:\d+(?:[.,]\d+)?D)?(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?"
    r"(?:\d+(?:[.,]\d+)?S)?)?)$"
)
_FRACTION = re.compile(r"[.,]\d+[A-Z]")


def is_valid_language_tag(tag: Any) -> bool:
    """Tell whether ``tag`` is a well-formed RFC 5646 language tag (Data 4.2)."""
    return isinstance(tag, str) and _LANGTAG.match(tag) is not None


def _is_iri(value: str) -> bool:
    return _IRI.match(value) is not None


def _fail(path: str, message: str) -> BadRequest:
    return BadRequest(f"{path}: {message}", errors=[{"path": path, "message": message}])


def check_uuid(value: Any, path: str) -> str:
    """Return ``value`` if it is a UUID in standard string form (Data 4.4), else 400."""
    if not isinstance(value, str) or not _UUID.match(value):
        raise _fail(path, "Not a valid UUID.")
    return value


def check_iri(value: Any, path: str) -> str:
    """Return ``value`` if it is an IRI with a scheme (Data 2.2, 4.3), else 400."""
    if not isinstance(value, str) or not _is_iri(value):
        raise _fail(path, "Not a valid IRI.")
    return value


def _timestamp(value: str, strict: bool) -> datetime | None:
    match = (_TS_STRICT if strict else _TS_LOOSE).match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, _zulu, sign, off_h, off_m = match.groups()
    if sign == "-" and int(off_h) == 0 and int(off_m or 0) == 0:
        return None  # "-00:00", "-0000", "-00": unknown offset
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        tz: timezone = UTC
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            tz = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:  # month 13, Feb 30, offset >= 24 h ...
        return None
    return moment.astimezone(UTC)


def parse_timestamp(value: str, path: str, *, strict: bool = False) -> datetime:
    """Parse an ISO 8601 timestamp (Data 4.5) into an aware UTC datetime, else 400.

    ``strict`` asks for the RFC 3339 profile with a time zone (xAPI 2.0.0); otherwise the
    1.0.3 forms are accepted too and a timestamp without zone is taken as UTC.
    """
    moment = _timestamp(value, strict) if isinstance(value, str) else None
    if moment is None:
        raise _fail(path, "Not a valid ISO 8601 timestamp with a time zone.")
    return moment


def _is_duration(value: str) -> bool:
    if _DURATION.match(value) is None:
        return False
    # Only the lowest-order component may carry a decimal fraction (ISO 8601 4.4.3.2).
    fraction = _FRACTION.search(value)
    return fraction is None or fraction.end() == len(value)


# -- Strict fields ---------------------------------------------------------------------


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


_ACTOR_KEYS = ("mbox", "mbox_sha1sum", "openid", "account", "member")


# -- Actors (Data 2.4.2) ---------------------------------------------------------------

_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


def _ifi_count(data: Mapping[str, Any]) -> int:
    return sum(1 for key in _IFIS if key in data)


class XapiSchema(Schema):
    """Base: unknown keys are errors (Data 2.2 "additional properties", S* -> SHALL in 2.0)."""

    class Meta:
        """Reject unknown keys."""

        unknown = RAISE


class AccountSchema(XapiSchema):
    """Account object: homePage IRL + name (Data 2.4.2.4)."""

    homePage = Iri(required=True)
    name = Str(required=True)


class _ActorBase(XapiSchema):
    """Properties shared by Agents and Groups (Data 2.4.2.1, 2.4.2.3)."""

    name = Str()
    mbox = Str(check=_regex(_MAILTO), what="mailto IRI")
    mbox_sha1sum = Str(check=_regex(_SHA1), what="hex-encoded SHA1 sum")
    openid = Iri()
    account = Obj(AccountSchema())


class AgentSchema(_ActorBase):
    """Agent: exactly one Inverse Functional Identifier (Data 2.4.2.1, 2.4.2.3)."""

    objectType = Const("Agent")

    @validates_schema
    def _one_ifi(self, data: dict[str, Any], **kwargs: Any) -> None:
        if _ifi_count(data) != 1:
            raise ValidationError(
                "An Agent needs exactly one of mbox, mbox_sha1sum, openid or account."
            )


class GroupSchema(_ActorBase):
    """Group: anonymous (member required, no IFI) or identified (one IFI) (Data 2.4.2.2)."""

    objectType = Const("Group", required=True)
    # Members are Agents: a Group never contains a Group (Data 2.4.2.2).
    member = ListOf(Obj(AgentSchema()))

    @validates_schema
    def _identified_or_anonymous(self, data: dict[str, Any], **kwargs: Any) -> None:
        count = _ifi_count(data)
        if count > 1:
            raise ValidationError("A Group has at most one of mbox, mbox_sha1sum, openid, account.")
        if count == 0 and "member" not in data:
            raise ValidationError("An anonymous Group needs a member list.", "member")


class AuthorityGroupSchema(GroupSchema):
    """3-legged OAuth authority: an anonymous Group of two Agents (Data 2.4.9)."""

    @validates_schema
    def _oauth_pair(self, data: dict[str, Any], **kwargs: Any) -> None:
        if _ifi_count(data):
            raise ValidationError("An authority Group must be an anonymous Group.")
        members = data.get("member") or []
        if len(members) != 2:
            raise ValidationError("An authority Group has exactly two Agents.", "member")
        # The OAuth consumer is identified by an account (Data 2.4.9 "OAuth Credentials").
        if not any("account" in agent for agent in members):
            raise ValidationError(
                "One authority member must be the OAuth consumer account.", "member"
            )


AGENT = AgentSchema()
GROUP = GroupSchema()
ACTOR = {"Agent": AGENT, "Group": GROUP}


# -- Verb (Data 2.4.3) -----------------------------------------------------------------


class VerbSchema(XapiSchema):
    """Verb: id IRI, display language map (Data 2.4.3)."""

    id = Iri(required=True)
    display = LanguageMap()


# -- Activity (Data 2.4.4.1) -----------------------------------------------------------

INTERACTION_TYPES = (
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
)
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
# Which component lists each interaction type uses ("Interaction Components" table).
_COMPONENTS_FOR = {
    "choice": {"choices"},
    "sequencing": {"choices"},
    "likert": {"scale"},
    "matching": {"source", "target"},
    "performance": {"steps"},
}


class InteractionComponentSchema(XapiSchema):
    """Interaction component: id + description (Data 2.4.4.1 "Interaction Components")."""

    id = Str(required=True)
    description = LanguageMap()


class ActivityDefinitionSchema(XapiSchema):
    """Activity definition (Data 2.4.4.1 "Activity Definition", "Interaction Activities")."""

    name = LanguageMap()
    description = LanguageMap()
    type = Iri()
    moreInfo = Iri()
    interactionType = Str(validate=validate.OneOf(INTERACTION_TYPES))
    correctResponsesPattern = ListOf(Str())
    choices = ListOf(Obj(InteractionComponentSchema()))
    scale = ListOf(Obj(InteractionComponentSchema()))
    source = ListOf(Obj(InteractionComponentSchema()))
    target = ListOf(Obj(InteractionComponentSchema()))
    steps = ListOf(Obj(InteractionComponentSchema()))
    extensions = Extensions()

    @validates_schema
    def _interaction(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("interactionType")
        used = [key for key in ("correctResponsesPattern", *COMPONENT_LISTS) if key in data]
        errors: dict[str, list[str]] = {}
        if kind is None:
            # "An Activity Definition uses interactionType if any of correctResponsesPattern,
            # choices, scale, source, target or steps are used" (conformance XAPI-00064).
            for key in used:
                errors[key] = ["Only allowed together with interactionType."]
        else:
            allowed = _COMPONENTS_FOR.get(kind, set())
            for key in used:
                if key != "correctResponsesPattern" and key not in allowed:
                    errors[key] = [f"Not used with interactionType {kind!r}."]
        for key in COMPONENT_LISTS:
            ids = [component["id"] for component in data.get(key, ())]
            if len(ids) != len(set(ids)):
                # "Within an array of Interaction Components, all id values MUST be distinct."
                errors.setdefault(key, []).append("Interaction component ids must be distinct.")
        if errors:
            raise ValidationError(errors)


class ActivitySchema(XapiSchema):
    """Activity: objectType optional, id IRI, definition (Data 2.4.4.1)."""

    objectType = Const("Activity")
    id = Iri(required=True)
    definition = Obj(ActivityDefinitionSchema())


ACTIVITY = ActivitySchema()


class StatementRefSchema(XapiSchema):
    """StatementRef: objectType + UUID id (Data 2.4.4.3 "Statement References")."""

    objectType = Const("StatementRef", required=True)
    id = Uuid(required=True)


STATEMENT_REF = StatementRefSchema()


# -- Result (Data 2.4.5) ---------------------------------------------------------------


class ScoreSchema(XapiSchema):
    """Score: scaled in [-1, 1], min < max, raw within [min, max] (Data 2.4.5.1)."""

    scaled = StrictNumber(validate=validate.Range(-1, 1))
    raw = StrictNumber()
    min = StrictNumber()
    max = StrictNumber()

    @validates_schema
    def _bounds(self, data: dict[str, Any], **kwargs: Any) -> None:
        low, high, raw = data.get("min"), data.get("max"), data.get("raw")
        if low is not None and high is not None and not low < high:
            raise ValidationError("Must be less than max.", "min")
        if raw is not None and low is not None and raw < low:
            raise ValidationError("Must not be less than min.", "raw")
        if raw is not None and high is not None and raw > high:
            raise ValidationError("Must not be greater than max.", "raw")


class ResultSchema(XapiSchema):
    """Result (Data 2.4.5); duration in ISO 8601:2004 4.4.3.2 format (Data 4.6)."""

    score = Obj(ScoreSchema())
    success = StrictBool()
    completion = StrictBool()
    response = Str()
    duration = Str(check=_is_duration, what="ISO 8601 duration")
    extensions = Extensions()


# -- Context (Data 2.4.6) --------------------------------------------------------------


class ActivityOrList(_Fast, fields.Field):
    """A contextActivities value: one Activity or an array of them (Data 2.4.6.2)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict):
            return ACTIVITY.load(value)
        if not isinstance(value, list):
            raise ValidationError("Must be an Activity or an array of Activities.")
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            try:
                if not isinstance(item, dict):
                    raise ValidationError("Invalid input type.")
                ACTIVITY.load(item)
            except ValidationError as exc:
                errors[index] = exc.messages
        if errors:
            raise ValidationError(errors)
        return value


class ContextActivitiesSchema(XapiSchema):
    """contextActivities: parent, grouping, category, other (Data 2.4.6.2)."""

    parent = ActivityOrList()
    grouping = ActivityOrList()
    category = ActivityOrList()
    other = ActivityOrList()


class ContextAgentSchema(XapiSchema):
    """2.0.0 contextAgent: objectType, agent, non-empty relevantTypes IRIs (9274.1.1)."""

    objectType = Const("contextAgent", required=True)
    agent = Obj(AGENT, required=True)
    relevantTypes = ListOf(Iri(), validate=validate.Length(min=1))


class ContextGroupSchema(XapiSchema):
    """2.0.0 contextGroup: objectType, group, non-empty relevantTypes IRIs (9274.1.1)."""

    objectType = Const("contextGroup", required=True)
    group = Obj(GROUP, required=True)
    relevantTypes = ListOf(Iri(), validate=validate.Length(min=1))


class ContextSchema(XapiSchema):
    """Context, 1.0.3 (Data 2.4.6); revision/platform are checked by the Statement."""

    registration = Uuid()
    instructor = OneOf(ACTOR, default="Agent")
    team = OneOf({"Group": GROUP})
    contextActivities = Obj(ContextActivitiesSchema())
    revision = Str()
    platform = Str()
    language = Str(check=is_valid_language_tag, what="RFC 5646 language tag")
    statement = Obj(STATEMENT_REF)
    extensions = Extensions()


class ContextSchema2(ContextSchema):
    """Context, 2.0.0: adds contextAgents and contextGroups."""

    contextAgents = ListOf(Obj(ContextAgentSchema()))
    contextGroups = ListOf(Obj(ContextGroupSchema()))


# -- Attachments (Data 2.4.11) ---------------------------------------------------------


class AttachmentSchema(XapiSchema):
    """Attachment metadata (Data 2.4.11); signatures must be octet-streams (Data 2.6)."""

    usageType = Iri(required=True)
    display = LanguageMap(required=True)
    description = LanguageMap()
    contentType = Str(required=True, check=_regex(_MEDIA_TYPE), what="media type")
    length = StrictNumber(integer=True, required=True, validate=validate.Range(min=0))
    sha2 = Str(required=True, check=_regex(_HEX), what="hex SHA-2 hash")
    fileUrl = Iri()

    @validates_schema
    def _signature(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (
            data["usageType"] == SIGNATURE_USAGE
            and data["contentType"].split(";")[0].strip() != "application/octet-stream"
        ):
            raise ValidationError(
                "A signature attachment must be application/octet-stream.", "contentType"
            )


# -- Statements (Data 2.4) -------------------------------------------------------------


def _statement_rules(data: dict[str, Any]) -> None:
    """Cross-field rules shared by Statements and SubStatements."""
    target = data["object"]
    if data["verb"]["id"] == VOIDED and target.get("objectType") != "StatementRef":
        # Data 2.3.2: a voiding statement's object is a StatementRef.
        raise ValidationError("A voiding statement's object must be a StatementRef.", "object")
    context = data.get("context")
    if context and target.get("objectType", "Activity") != "Activity":
        # Data 2.4.6: revision and platform only when the object is an Activity.
        message = ["Only allowed when the object is an Activity."]
        bad = {key: message for key in ("revision", "platform") if key in context}
        if bad:
            raise ValidationError({"context": bad})


class _StatementBase(XapiSchema):
    """Fields shared by Statement and SubStatement (Data 2.4, 2.4.4.3)."""

    actor = OneOf(ACTOR, default="Agent", required=True)
    verb = Obj(VerbSchema(), required=True)
    result = Obj(ResultSchema())
    attachments = ListOf(Obj(AttachmentSchema()))


def _object_field(substatement: Schema | None) -> OneOf:
    choices: dict[str, Schema] = {
        "Activity": ACTIVITY,
        "Agent": AGENT,
        "Group": GROUP,
        "StatementRef": STATEMENT_REF,
    }
    if substatement is not None:
        choices["SubStatement"] = substatement
    return OneOf(choices, default="Activity", required=True)


def _make_schemas(version: str) -> Schema:
    """Build the Statement schema for one xAPI version."""
    strict = version == VERSION_2
    context_schema = ContextSchema2() if strict else ContextSchema()
    version_re = _VERSION_2 if strict else None

    class SubStatementSchema(_StatementBase):
        """SubStatement: no id/stored/version/authority, no nesting (Data 2.4.4.3)."""

        objectType = Const("SubStatement", required=True)
        object = _object_field(None)
        context = Obj(context_schema)
        # A SubStatement MAY carry a future timestamp (Data 2.4.7).
        timestamp = Timestamp(strict)

        @validates_schema
        def _rules(self, data: dict[str, Any], **kwargs: Any) -> None:
            _statement_rules(data)

    class StatementSchema(_StatementBase):
        """Statement (Data 2.4)."""

        rules: ClassVar[tuple[re.Pattern[str] | None, ...]] = (_VERSION_1, version_re)

        id = Uuid()
        object = _object_field(SubStatementSchema())
        context = Obj(context_schema)
        timestamp = Timestamp(strict)
        # Set by the LRS, but accepted (and validated) on input (Data 2.4.8, 2.4.9).
        stored = Timestamp(strict)
        authority = OneOf({"Agent": AGENT, "Group": AuthorityGroupSchema()}, default="Agent")
        version = Str()

        @validates_schema
        def _rules(self, data: dict[str, Any], **kwargs: Any) -> None:
            given = data.get("version")
            if given is not None and not any(r and r.match(given) for r in self.rules):
                # Data 2.4.10: 1.0.x only (plus 2.0.x under 2.0.0 rules).
                raise ValidationError(
                    "Must be 1.0 or 1.0.x" + (" or 2.0.x." if strict else "."), "version"
                )
            _statement_rules(data)

    return StatementSchema()


_STATEMENT = {VERSION_1: _make_schemas(VERSION_1), VERSION_2: _make_schemas(VERSION_2)}


# -- Public API ------------------------------------------------------------------------

_MAX_ERRORS = 50


def _schema_for(version: str) -> Schema:
    try:
        return _STATEMENT[version]
    except KeyError:
        raise ValueError(f"unsupported xAPI version {version!r}") from None


def _errors(data: Any, schema: Schema, prefix: str) -> list[dict[str, str]]:
    if not isinstance(data, dict):
        return [{"path": prefix or "$", "message": "A statement must be a JSON object."}]
    try:
        schema.load(data)
    except ValidationError as exc:
        return flatten_errors(exc.messages, prefix)
    return []


def _raise(rows: list[dict[str, str]], what: str) -> NoReturn:
    rows = rows[:_MAX_ERRORS]
    first = rows[0]
    raise BadRequest(f"Invalid {what}: {first['path']}: {first['message']}", errors=rows)


def validate_statement(data: Any, version: str) -> None:
    """Validate one statement under the rules of ``version`` ("1.0.3" or "2.0.0").

    Raises:
        BadRequest: naming each bad property by path, e.g. ``object.definition.choices[1].id``.

    """
    rows = _errors(data, _schema_for(version), "")
    if rows:
        _raise(rows, "statement")


def validate_statements(data: Any, version: str) -> list[dict[str, Any]]:
    """Validate a statement or an array of statements; return them as a list.

    An empty array is valid (nothing to store).  Paths are prefixed ``[i]`` for arrays.
    Two statements with the same id in one batch are rejected (Communication 2.1.2,
    S* in 1.0.3 and SHALL in 2.0.0).

    Raises:
        BadRequest: when any statement is invalid; the whole batch is refused.

    """
    schema = _schema_for(version)
    if isinstance(data, dict):
        rows = _errors(data, schema, "")
        if rows:
            _raise(rows, "statement")
        return [data]
    if not isinstance(data, list):
        message = "Expected a statement or an array of statements."
        _raise([{"path": "$", "message": message}], "request")
    rows = []
    seen: dict[str, int] = {}
    for index, statement in enumerate(data):
        rows.extend(_errors(statement, schema, f"[{index}]"))
        if len(rows) >= _MAX_ERRORS:
            break
        ident = statement.get("id") if isinstance(statement, dict) else None
        if isinstance(ident, str):
            key = ident.lower()
            if key in seen:
                rows.append(
                    {"path": f"[{index}].id", "message": f"Same id as statement [{seen[key]}]."}
                )
            seen.setdefault(key, index)
    if rows:
        _raise(rows, "statements")
    return data


def load_agent_param(raw: str, *, name: str = "agent", allow_group: bool = True) -> dict[str, Any]:
    """Parse and validate a JSON Agent (or identified Group) query parameter (Data 2.2).

    Raises:
        BadRequest: with path ``query:<name>`` when it is not JSON or not a valid actor.

    """
    path = f"query:{name}"
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise _fail(path, "Must be a JSON Agent object.")
    kind = value.get("objectType", "Agent")
    schema = GROUP if allow_group and kind == "Group" else AGENT
    try:
        schema.load(value)
    except ValidationError as exc:
        rows = flatten_errors(exc.messages)
        detail = "; ".join(f"{row['path']}: {row['message']}" for row in rows)
        raise _fail(path, detail) from None
    if kind == "Group" and not _ifi_count(value):
        raise _fail(path, "A Group parameter must be an identified Group.")
    return value
