"""A fast path for statement validation: plain Python, no marshmallow.

``statement_ok`` answers True only when the strict marshmallow schemas in ``lrs.schemas``
would accept the statement, and False whenever it is not sure.  ``lrs.schemas`` runs it
first and falls back to marshmallow on False, so a valid statement skips marshmallow and
an invalid one still gets marshmallow's error paths and messages.

Every check below mirrors one schema in ``lrs.schemas.objects`` (named in its docstring)
and uses the same compiled patterns, helpers and rule tables from ``lrs.schemas.rules``.
Where the two could differ, this side is *stricter*: ``type(x) is dict`` rather than any
mapping, ints only for attachment lengths.  A stricter answer only costs a marshmallow
run; a looser one would store an invalid statement.  ``tests/lrs/test_fastcheck.py``
pins the schemas' fields so that a schema change fails until this module follows.

Spec: https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md (1.0.3, "Data" below).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from lrs.schemas.rules import (
    _COMPONENTS_FOR,
    _HEX,
    _LANGTAG,
    _MAILTO,
    _MEDIA_TYPE,
    _SHA1,
    _UUID,
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
    _timestamp,
    is_valid_language_tag,
)
from lrs.schemas.rules import _is_iri as _iri_rule

Check = Callable[[Any], bool]


def _memo(predicate: Callable[[str], bool], size: int) -> Callable[[str], bool]:
    """Remember ``predicate``'s answers for the most recent ``size`` strings.

    Verb ids, activity ids, extension keys, language tags and durations repeat from one
    statement to the next, and the regexes cost most of the fast path (~1 us each, the
    RFC 3987 IRI grammar a few).
    The answer is the pattern's own, so the rule is unchanged; the bound caps memory.
    """
    return lru_cache(maxsize=size)(predicate)


_iri = _memo(_iri_rule, 16384)
_langtag = _memo(lambda value: _LANGTAG.match(value) is not None, 1024)
_duration = _memo(_is_duration, 1024)
_uuid = _UUID.match
_INFINITY = float("inf")
_INTERACTION_TYPES = frozenset(INTERACTION_TYPES)
_NO_COMPONENTS: frozenset[str] = frozenset()


# -- Values (the strict fields) --------------------------------------------------------


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_iri(value: Any) -> bool:
    return type(value) is str and _iri(value)


def _is_uuid(value: Any) -> bool:
    return type(value) is str and _uuid(value) is not None


def _const(expected: str) -> Check:
    """Const: an enumerated string, matched exactly, case included (Data 2.2)."""
    return lambda value: type(value) is str and value == expected


def _is_bool(value: Any) -> bool:
    return value is True or value is False


def _is_number(value: Any) -> bool:
    """StrictNumber: an int (not a bool) or a finite float (Data 2.2)."""
    kind = type(value)
    return kind is int or (kind is float and value == value and abs(value) != _INFINITY)


def _is_language_map(value: Any) -> bool:
    """LanguageMap: ``{RFC 5646 tag: string}`` (Data 4.2)."""
    if type(value) is not dict:
        return False
    for tag, text in value.items():
        if type(tag) is not str or not _langtag(tag) or type(text) is not str:
            return False
    return True


def _is_extensions(value: Any) -> bool:
    """Extensions: IRI keys, any values, null included (Data 4.1)."""
    return type(value) is dict and all(type(key) is str and _iri(key) for key in value)


def _is_timestamp(strict: bool) -> Check:
    """Timestamp field: the schemas' own parser decides (Data 4.5)."""

    def check(value: Any) -> bool:
        return type(value) is str and _timestamp(value, strict) is not None

    return check


def _list_of(check: Check) -> Check:
    """ListOf: a JSON array whose every item passes ``check``."""

    def check_list(value: Any) -> bool:
        return type(value) is list and all(map(check, value))

    return check_list


def _keys_ok(value: Any, checks: Mapping[str, Check], required: frozenset[str]) -> bool:
    """A JSON object with only known keys, the required ones, and each value valid.

    Unknown keys are errors (``unknown = RAISE``), and so is null for any property
    (``allow_none`` is never set): every check below is False for None.
    """
    if type(value) is not dict or not required <= value.keys():
        return False
    for key, item in value.items():
        check = checks.get(key)
        if check is None or not check(item):
            return False
    return True


_NONE: frozenset[str] = frozenset()


# -- Actors (Data 2.4.2) ---------------------------------------------------------------

_ACCOUNT_REQUIRED = frozenset({"homePage", "name"})
_ACCOUNT = {"homePage": _is_iri, "name": _is_str}


def _is_account(value: Any) -> bool:
    """AccountSchema (Data 2.4.2.4)."""
    return _keys_ok(value, _ACCOUNT, _ACCOUNT_REQUIRED)


_ACTOR_BASE: dict[str, Check] = {
    "name": _is_str,
    "mbox": lambda v: type(v) is str and _MAILTO.match(v) is not None,
    "mbox_sha1sum": lambda v: type(v) is str and _SHA1.match(v) is not None,
    "openid": _is_iri,
    "account": _is_account,
}
_AGENT = {**_ACTOR_BASE, "objectType": _const("Agent")}


def _is_agent(value: Any) -> bool:
    """AgentSchema: exactly one IFI (Data 2.4.2.1, 2.4.2.3)."""
    return _keys_ok(value, _AGENT, _NONE) and _ifi_count(value) == 1


_GROUP_REQUIRED = frozenset({"objectType"})
_GROUP = {
    **_ACTOR_BASE,
    "objectType": _const("Group"),
    # Members are Agents, never Groups (Data 2.4.2.2).
    "member": _list_of(_is_agent),
}


def _is_group(value: Any) -> bool:
    """GroupSchema: anonymous (member, no IFI) or identified (one IFI) (Data 2.4.2.2)."""
    if not _keys_ok(value, _GROUP, _GROUP_REQUIRED):
        return False
    count = _ifi_count(value)
    return count == 1 or (count == 0 and "member" in value)


def _is_authority_group(value: Any) -> bool:
    """AuthorityGroupSchema: an anonymous Group of two Agents, one an account (Data 2.4.9)."""
    if not _is_group(value) or _ifi_count(value):
        return False
    members = value["member"]
    return len(members) == 2 and any("account" in agent for agent in members)


def _is_actor(value: Any) -> bool:
    """OneOf(ACTOR, default="Agent"): the objectType tag picks Agent or Group."""
    if type(value) is not dict:
        return False
    tag = value.get("objectType", "Agent")
    if tag == "Agent":
        return _is_agent(value)
    if tag == "Group":
        return _is_group(value)
    return False


def _is_tagged_group(value: Any) -> bool:
    """OneOf({"Group": GROUP}): objectType "Group" required (context.team)."""
    return type(value) is dict and value.get("objectType") == "Group" and _is_group(value)


def _is_authority(value: Any) -> bool:
    """OneOf({"Agent": AGENT, "Group": AuthorityGroupSchema()}, default="Agent")."""
    if type(value) is not dict:
        return False
    tag = value.get("objectType", "Agent")
    if tag == "Agent":
        return _is_agent(value)
    if tag == "Group":
        return _is_authority_group(value)
    return False


# -- Verb (Data 2.4.3) -----------------------------------------------------------------

_VERB_REQUIRED = frozenset({"id"})
_VERB = {"id": _is_iri, "display": _is_language_map}


def _is_verb(value: Any) -> bool:
    """VerbSchema."""
    return _keys_ok(value, _VERB, _VERB_REQUIRED)


# -- Activity (Data 2.4.4.1) -----------------------------------------------------------

_COMPONENT_REQUIRED = frozenset({"id"})
_COMPONENT = {"id": _is_str, "description": _is_language_map}


def _is_component(value: Any) -> bool:
    """InteractionComponentSchema."""
    return _keys_ok(value, _COMPONENT, _COMPONENT_REQUIRED)


_is_component_list = _list_of(_is_component)
_DEFINITION: dict[str, Check] = {
    "name": _is_language_map,
    "description": _is_language_map,
    "type": _is_iri,
    "moreInfo": _is_iri,
    "interactionType": lambda v: type(v) is str and v in _INTERACTION_TYPES,
    "correctResponsesPattern": _list_of(_is_str),
    **{key: _is_component_list for key in COMPONENT_LISTS},
    "extensions": _is_extensions,
}
_INTERACTION_KEYS = ("correctResponsesPattern", *COMPONENT_LISTS)


def _is_definition(value: Any) -> bool:
    """ActivityDefinitionSchema, with its interaction rules (``_interaction``)."""
    if not _keys_ok(value, _DEFINITION, _NONE):
        return False
    kind = value.get("interactionType")
    if kind is None:
        # Interaction properties only together with interactionType (XAPI-00064).
        return not any(key in value for key in _INTERACTION_KEYS)
    allowed = _COMPONENTS_FOR.get(kind, _NO_COMPONENTS)
    for key in COMPONENT_LISTS:
        if key in value:
            if key not in allowed:
                return False
            ids = [component["id"] for component in value[key]]
            if len(ids) != len(set(ids)):
                return False  # Interaction component ids must be distinct.
    return True


_ACTIVITY_REQUIRED = frozenset({"id"})
_ACTIVITY = {
    "objectType": _const("Activity"),
    "id": _is_iri,
    "definition": _is_definition,
}


def _is_activity(value: Any) -> bool:
    """ActivitySchema."""
    return _keys_ok(value, _ACTIVITY, _ACTIVITY_REQUIRED)


_STATEMENT_REF_REQUIRED = frozenset({"objectType", "id"})
_STATEMENT_REF = {"objectType": _const("StatementRef"), "id": _is_uuid}


def _is_statement_ref(value: Any) -> bool:
    """StatementRefSchema (Data 2.4.4.3)."""
    return _keys_ok(value, _STATEMENT_REF, _STATEMENT_REF_REQUIRED)


# -- Result (Data 2.4.5) ---------------------------------------------------------------

_SCORE = dict.fromkeys(("scaled", "raw", "min", "max"), _is_number)


def _is_score(value: Any) -> bool:
    """ScoreSchema: scaled in [-1, 1], min < max, min <= raw <= max (Data 2.4.5.1)."""
    if not _keys_ok(value, _SCORE, _NONE):
        return False
    scaled = value.get("scaled")
    low, high, raw = value.get("min"), value.get("max"), value.get("raw")
    return (
        (scaled is None or -1 <= scaled <= 1)
        and (low is None or high is None or low < high)
        and (raw is None or low is None or raw >= low)
        and (raw is None or high is None or raw <= high)
    )


_RESULT = {
    "score": _is_score,
    "success": _is_bool,
    "completion": _is_bool,
    "response": _is_str,
    "duration": lambda v: type(v) is str and _duration(v),
    "extensions": _is_extensions,
}


def _is_result(value: Any) -> bool:
    """ResultSchema (Data 2.4.5, durations Data 4.6)."""
    return _keys_ok(value, _RESULT, _NONE)


# -- Context (Data 2.4.6) --------------------------------------------------------------


def _is_activity_or_list(value: Any) -> bool:
    """ActivityOrList: one Activity or an array of them (Data 2.4.6.2)."""
    if type(value) is list:
        return all(map(_is_activity, value))
    return _is_activity(value)


_CONTEXT_ACTIVITIES = dict.fromkeys(
    ("parent", "grouping", "category", "other"), _is_activity_or_list
)
_RELEVANT_TYPES = _list_of(_is_iri)
_CONTEXT_AGENT_REQUIRED = frozenset({"objectType", "agent"})
_CONTEXT_AGENT = {
    "objectType": _const("contextAgent"),
    "agent": _is_agent,
    "relevantTypes": lambda v: _RELEVANT_TYPES(v) and len(v) >= 1,
}
_CONTEXT_GROUP_REQUIRED = frozenset({"objectType", "group"})
_CONTEXT_GROUP = {
    "objectType": _const("contextGroup"),
    "group": _is_group,
    "relevantTypes": lambda v: _RELEVANT_TYPES(v) and len(v) >= 1,
}
_CONTEXT_1: dict[str, Check] = {
    "registration": _is_uuid,
    "instructor": _is_actor,
    "team": _is_tagged_group,
    "contextActivities": lambda v: _keys_ok(v, _CONTEXT_ACTIVITIES, _NONE),
    "revision": _is_str,
    "platform": _is_str,
    "language": lambda v: type(v) is str and is_valid_language_tag(v),
    "statement": _is_statement_ref,
    "extensions": _is_extensions,
}
# 2.0.0 (IEEE 9274.1.1) adds contextAgents and contextGroups (ContextSchema2).
_CONTEXT_2: dict[str, Check] = {
    **_CONTEXT_1,
    "contextAgents": _list_of(lambda v: _keys_ok(v, _CONTEXT_AGENT, _CONTEXT_AGENT_REQUIRED)),
    "contextGroups": _list_of(lambda v: _keys_ok(v, _CONTEXT_GROUP, _CONTEXT_GROUP_REQUIRED)),
}


# -- Attachments (Data 2.4.11) ---------------------------------------------------------

_ATTACHMENT_REQUIRED = frozenset({"usageType", "display", "contentType", "length", "sha2"})
_ATTACHMENT: dict[str, Check] = {
    "usageType": _is_iri,
    "display": _is_language_map,
    "description": _is_language_map,
    "contentType": lambda v: type(v) is str and _MEDIA_TYPE.match(v) is not None,
    # Stricter than StrictNumber(integer=True): 27.0 is left to marshmallow.
    "length": lambda v: type(v) is int and v >= 0,
    "sha2": lambda v: type(v) is str and _HEX.match(v) is not None,
    "fileUrl": _is_iri,
}


def _is_attachment(value: Any) -> bool:
    """AttachmentSchema; signatures must be octet-streams (Data 2.6)."""
    return _keys_ok(value, _ATTACHMENT, _ATTACHMENT_REQUIRED) and (
        value["usageType"] != SIGNATURE_USAGE
        or value["contentType"].split(";")[0].strip() == "application/octet-stream"
    )


# -- Statements (Data 2.4) -------------------------------------------------------------


def _rules_ok(statement: dict[str, Any]) -> bool:
    """``_statement_rules``: the cross-property rules of Statements and SubStatements.

    A voiding statement's object is a StatementRef (Data 2.3.2); revision and platform
    only when the object is an Activity (Data 2.4.6).
    """
    target = statement["object"]
    if statement["verb"]["id"] == VOIDED and target.get("objectType") != "StatementRef":
        return False
    context = statement.get("context")
    return not (
        context
        and target.get("objectType", "Activity") != "Activity"
        and ("revision" in context or "platform" in context)
    )


_OBJECT: dict[str, Check] = {
    "Activity": _is_activity,
    "Agent": _is_agent,
    "Group": _is_group,
    "StatementRef": _is_statement_ref,
}


def _object_check(choices: dict[str, Check]) -> Check:
    """The object's OneOf: objectType picks the schema, Activity when absent (Data 2.4.4)."""

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return False
        tag = value.get("objectType", "Activity")
        chosen = choices.get(tag) if type(tag) is str else None
        return chosen is not None and chosen(value)

    return check


_STATEMENT_BASE_REQUIRED = frozenset({"actor", "verb", "object"})
_SUBSTATEMENT_REQUIRED = _STATEMENT_BASE_REQUIRED | {"objectType"}


def _statement_checks(version: str) -> tuple[dict[str, Check], dict[str, Check]]:
    """The Statement and SubStatement property checks under one version (``_make_schemas``)."""
    strict = version == VERSION_2
    context = _CONTEXT_2 if strict else _CONTEXT_1
    timestamp = _is_timestamp(strict)
    base: dict[str, Check] = {
        "actor": _is_actor,
        "verb": _is_verb,
        "result": _is_result,
        "attachments": _list_of(_is_attachment),
        "context": lambda v: _keys_ok(v, context, _NONE),
        "timestamp": timestamp,
    }
    substatement = {
        **base,
        "objectType": _const("SubStatement"),
        # No nesting: a SubStatement's object is never a SubStatement (Data 2.4.4.3).
        "object": _object_check(_OBJECT),
    }

    def is_substatement(value: Any) -> bool:
        return _keys_ok(value, substatement, _SUBSTATEMENT_REQUIRED) and _rules_ok(value)

    versions = (_VERSION_1, _VERSION_2) if strict else (_VERSION_1,)
    statement = {
        **base,
        "id": _is_uuid,
        "object": _object_check({**_OBJECT, "SubStatement": is_substatement}),
        "stored": timestamp,
        "authority": _is_authority,
        # Data 2.4.10: 1.0.x only (plus 2.0.x under 2.0.0 rules).
        "version": lambda v: type(v) is str and any(r.match(v) for r in versions),
    }
    return statement, substatement


_TABLES = {version: _statement_checks(version) for version in (VERSION_1, VERSION_2)}
_STATEMENT = {version: tables[0] for version, tables in _TABLES.items()}
_SUBSTATEMENT = {version: tables[1] for version, tables in _TABLES.items()}


def statement_ok(data: Any, version: str) -> bool:
    """True only if ``data`` is certainly a valid statement under ``version``'s schema.

    False means "not sure": validate with marshmallow for the verdict and the errors.
    """
    checks = _STATEMENT.get(version)
    return (
        checks is not None and _keys_ok(data, checks, _STATEMENT_BASE_REQUIRED) and _rules_ok(data)
    )
