"""Strict marshmallow schemas that validate xAPI statements (1.0.3 and 2.0.0).

The schemas only *validate*: the LRS stores and returns the JSON it received, so nothing
here relies on marshmallow's transformed output.  xAPI forbids the coercions marshmallow
does by default ("1" -> 1, "true" -> True), so numbers, booleans and strings use the
strict fields (``fields.py``); nulls are rejected everywhere except as extension values.

Spec: https://github.com/adlnet/xAPI-Spec/blob/master/xAPI-Data.md (1.0.3, "Data" below).
2.0.0 (IEEE 9274.1.1) adds ``context.contextAgents`` / ``context.contextGroups``; a 1.0.3
request that carries them is rejected as having additional properties.

- ``rules.py``: formatted strings (IRI, UUID, timestamps, language tags...) and rule
  tables, shared with the plain-Python fast path ``lrs.fastcheck``;
- ``fields.py``: the strict marshmallow fields;
- ``objects.py``: one schema per xAPI object, and the Statement schema per version;
- here: the public API.  ``validate_statement(s)`` first ask ``lrs.fastcheck``, which
  answers True only for statements these schemas accept (about 8x cheaper), and run
  marshmallow for the rest, so errors always come from the schemas.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from marshmallow import Schema, ValidationError

from core.errors import BadRequest
from core.jsoncodec import JSONTooDeep, check_depth
from core.schemas import flatten_errors

# A module reference: lrs.fastcheck imports lrs.schemas.rules, hence this package.
from lrs import fastcheck
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
)
from lrs.schemas.objects import (
    _STATEMENT,
    ACTIVITY,
    ACTOR,
    AGENT,
    GROUP,
    STATEMENT_REF,
    AccountSchema,
    ActivityDefinitionSchema,
    ActivityOrList,
    ActivitySchema,
    AgentSchema,
    AttachmentSchema,
    AuthorityGroupSchema,
    ContextActivitiesSchema,
    ContextAgentSchema,
    ContextGroupSchema,
    ContextSchema,
    ContextSchema2,
    GroupSchema,
    InteractionComponentSchema,
    ResultSchema,
    ScoreSchema,
    StatementRefSchema,
    VerbSchema,
    XapiSchema,
)
from lrs.schemas.rules import (
    COMPONENT_LISTS,
    DATA,
    INTERACTION_TYPES,
    SIGNATURE_USAGE,
    VERSION_1,
    VERSION_2,
    VOIDED,
    _fail,
    _ifi_count,
    check_iri,
    check_uuid,
    is_valid_language_tag,
    parse_timestamp,
)

__all__ = [
    "ACTIVITY",
    "ACTOR",
    "AGENT",
    "COMPONENT_LISTS",
    "DATA",
    "GROUP",
    "INTERACTION_TYPES",
    "SIGNATURE_USAGE",
    "STATEMENT_REF",
    "VERSION_1",
    "VERSION_2",
    "VOIDED",
    "AccountSchema",
    "ActivityDefinitionSchema",
    "ActivityOrList",
    "ActivitySchema",
    "AgentSchema",
    "AttachmentSchema",
    "AuthorityGroupSchema",
    "Const",
    "ContextActivitiesSchema",
    "ContextAgentSchema",
    "ContextGroupSchema",
    "ContextSchema",
    "ContextSchema2",
    "Extensions",
    "GroupSchema",
    "InteractionComponentSchema",
    "Iri",
    "LanguageMap",
    "ListOf",
    "Obj",
    "OneOf",
    "ResultSchema",
    "ScoreSchema",
    "StatementRefSchema",
    "Str",
    "StrictBool",
    "StrictNumber",
    "Timestamp",
    "Uuid",
    "VerbSchema",
    "XapiSchema",
    "check_iri",
    "check_uuid",
    "is_valid_language_tag",
    "load_agent_param",
    "parse_timestamp",
    "validate_statement",
    "validate_statements",
]

# -- Public API ------------------------------------------------------------------------

_MAX_ERRORS = 50


def _schema_for(version: str) -> Schema:
    try:
        return _STATEMENT[version]
    except KeyError:
        raise ValueError(f"unsupported xAPI version {version!r}") from None


def _errors(data: Any, version: str, prefix: str) -> list[dict[str, str]]:
    # Valid statements take the plain-Python fast path; marshmallow gives the verdict,
    # and the error paths and messages, only when the fast path is not sure.
    if fastcheck.statement_ok(data, version):
        return []
    if not isinstance(data, dict):
        return [{"path": prefix or "$", "message": "A statement must be a JSON object."}]
    try:
        _schema_for(version).load(data)
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
    _schema_for(version)
    rows = _errors(data, version, "")
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
    _schema_for(version)
    if isinstance(data, dict):
        rows = _errors(data, version, "")
        if rows:
            _raise(rows, "statement")
        return [data]
    if not isinstance(data, list):
        message = "Expected a statement or an array of statements."
        _raise([{"path": "$", "message": message}], "request")
    rows = []
    seen: dict[str, int] = {}
    for index, statement in enumerate(data):
        rows.extend(_errors(statement, version, f"[{index}]"))
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
        check_depth(raw)
        value = json.loads(raw) if isinstance(raw, str) else None
    except JSONTooDeep as exc:
        raise _fail(path, f"The JSON {exc}.") from None
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
