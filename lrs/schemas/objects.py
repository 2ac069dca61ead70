"""Strict marshmallow schemas, one per xAPI object (Data 2.4), built per version."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from lrs.schemas.fields import (
    Const,
    Extensions,
    Iri,
    LanguageMap,
    ListOf,
    Obj,
    OneOf,
    Str,
    StrictBool,
    StrictNumber,
    Timestamp,
    Uuid,
    _Fast,
    _regex,
)
from lrs.schemas.rules import (
    _COMPONENTS_FOR,
    _HEX,
    _MAILTO,
    _MEDIA_TYPE,
    _SHA1,
    _VERSION_1,
    _VERSION_2,
    COMPONENT_LISTS,
    INTERACTION_TYPES,
    SIGNATURE_USAGE,
    VERSION_1,
    VERSION_2,
    VOIDED,
    _ifi_count,
    _is_duration,
    is_valid_language_tag,
)


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
