"""Views for the document resources, activities, agents and about (Communication §2.2-2.8).

https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#22-document-resources

The three document resources share one set of handlers, driven by a small table of what
each resource takes.  Views parse the query and headers, call one ``lrs.documents``
function and commit once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, jsonify, request
from werkzeug.http import parse_etags

from core.db import db
from core.errors import BadRequest, Forbidden
from lrs import SUPPORTED_VERSIONS, bp, learner_scope, xapi_version
from lrs.auth import Client, require
from lrs.documents import (
    DEFAULT_CONTENT_TYPE,
    DocumentSet,
    Kind,
    Precondition,
    StoredDocument,
    delete_document,
    delete_documents,
    get_activity,
    get_document,
    list_document_ids,
    person_of,
    post_document,
    put_document,
    put_rule,
)
from lrs.keys import agent_key
from lrs.schemas import check_iri, check_uuid, load_agent_param, parse_timestamp


@dataclass(frozen=True)
class _Resource:
    """What one document resource takes (Communication §2.3, §2.6, §2.7)."""

    kind: Kind
    id_param: str
    read_need: str
    write_need: str
    has_activity: bool
    has_agent: bool
    allow_group: bool = False
    has_registration: bool = False


# https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#23-state-resource
# "agent: The Agent or Identified Group associated with this state."
STATE = _Resource(Kind.STATE, "stateId", "state/read", "state/write", True, True, True, True)
# https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#27-activity-profile-resource
ACTIVITY_PROFILE = _Resource(
    Kind.ACTIVITY_PROFILE, "profileId", "profile/read", "profile/write", True, False
)
# https://github.com/adlnet/xAPI-Spec/blob/1.0.3/xAPI-Communication.md#26-agent-profile-resource
# The agent must be an Agent; an Identified Group's IFI is sent inside an Agent object.
AGENT_PROFILE = _Resource(
    Kind.AGENT_PROFILE, "profileId", "profile/read", "profile/write", False, True
)


@dataclass(frozen=True)
class _Target:
    """The parsed query of a document request."""

    doc_set: DocumentSet
    doc_id: str | None
    since: datetime | None


# -- Query and header parsing ---------------------------------------------------------


def _query(allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, str]:
    """Return the query parameters, after rejecting unknown, miscased, repeated and missing ones.

    Communication §3.2: "The LRS MUST reject with 400 Bad Request status any requests to
    Resources using parameters which the LRS does not recognize in their context"; names
    are case-sensitive.
    """
    allowed = tuple(allowed)
    args = request.args
    for name in args:
        if name not in allowed:
            hint = next((a for a in allowed if a.lower() == name.lower()), None)
            message = (
                f"unknown parameter (names are case-sensitive: use {hint})"
                if hint
                else f"unknown parameter; allowed here: {', '.join(allowed) or 'none'}"
            )
            raise BadRequest(
                f"Unknown query parameter {name!r}",
                errors=[{"path": f"query:{name}", "message": message}],
            )
        if len(args.getlist(name)) > 1:
            raise BadRequest(
                f"The {name} parameter is given more than once",
                errors=[{"path": f"query:{name}", "message": "given more than once"}],
            )
    for name in required:
        if name not in args:
            raise BadRequest(
                f"The {name} parameter is required",
                errors=[{"path": f"query:{name}", "message": "required"}],
            )
    return {name: args[name] for name in args}


def _not_empty(params: dict[str, str], name: str) -> str:
    value = params[name]
    if value == "":
        raise BadRequest(
            f"The {name} parameter must not be empty",
            errors=[{"path": f"query:{name}", "message": "must not be empty"}],
        )
    return value


def _agent(raw: str, allow_group: bool) -> tuple[dict[str, Any], str]:
    """Parse the ``agent`` parameter and return it with its identity key."""
    agent: dict[str, Any] = load_agent_param(raw, name="agent", allow_group=allow_group)
    key = agent_key(agent)
    if key is None:
        raise BadRequest(
            "The agent parameter must identify an Agent (or an Identified Group)",
            errors=[{"path": "query:agent", "message": "no inverse functional identifier"}],
        )
    return agent, key


def _bound_agent_check(client: Client, key: str) -> None:
    """Refuse other learners' data to a learner-bound credential (a player launch)."""
    if client.agent is not None and agent_key(client.agent) != key:
        raise Forbidden("This credential may only access its own learner's documents")


def _target(resource: _Resource, client: Client, single: bool, listing: bool) -> _Target:
    """Parse a document request's query.

    Args:
        resource: which document resource.
        client: the authenticated caller.
        single: the document id is required (PUT, POST; DELETE of a profile).
        listing: GET, where ``since`` is accepted and the id is optional.

    """
    allowed = [
        *(["activityId"] if resource.has_activity else []),
        *(["agent"] if resource.has_agent else []),
        *(["registration"] if resource.has_registration else []),
        resource.id_param,
        *(["since"] if listing else []),
    ]
    required = [
        *(["activityId"] if resource.has_activity else []),
        *(["agent"] if resource.has_agent else []),
        *([resource.id_param] if single else []),
    ]
    params = _query(allowed, required)
    activity_id = None
    if resource.has_activity:
        activity_id = check_iri(_not_empty(params, "activityId"), "query:activityId")
    key = None
    if resource.has_agent:
        _, key = _agent(params["agent"], resource.allow_group)
        _bound_agent_check(client, key)
    registration = ""
    if "registration" in params:
        registration = check_uuid(params["registration"], "query:registration").lower()
    doc_id = _not_empty(params, resource.id_param) if resource.id_param in params else None
    since = parse_timestamp(params["since"], "query:since") if "since" in params else None
    return _Target(DocumentSet(resource.kind, activity_id, key, registration), doc_id, since)


def _doc_id(target: _Target) -> str:
    """Return the document id of a request that must name one (``_target`` checked it)."""
    if target.doc_id is None:  # pragma: no cover - _query already required it
        raise BadRequest("A document id is required")
    return target.doc_id


def _etags(header: str, include_weak: bool) -> frozenset[str] | None:
    """Read an If-Match / If-None-Match header as unquoted tags; None when absent."""
    raw = request.headers.get(header)
    if raw is None:
        return None
    etags = parse_etags(raw)
    if etags.star_tag:
        return frozenset({"*"})
    if not etags.as_set(include_weak=True):
        raise BadRequest(
            f"The {header} header is not a list of entity tags",
            errors=[{"path": f"header:{header}", "message": 'expected "<etag>" or *'}],
        )
    # If-Match uses the strong comparison, If-None-Match the weak one (RFC 7232 §2.3.2).
    return frozenset(etags.as_set(include_weak=include_weak))


def _precondition() -> Precondition:
    return Precondition(
        if_match=_etags("If-Match", include_weak=False),
        if_none_match=_etags("If-None-Match", include_weak=True),
    )


def _body() -> tuple[bytes, str]:
    """Return the request body as is, and its Content-Type (octet-stream if none)."""
    content_type = request.headers.get("Content-Type", "").strip() or DEFAULT_CONTENT_TYPE
    return request.get_data(), content_type


def _document_response(document: StoredDocument) -> Response:
    """200 with the stored bytes, Content-Type, quoted ETag and Last-Modified (§2.2, §3.1)."""
    response = Response(document.content, status=200, content_type=document.content_type)
    response.set_etag(document.etag)
    response.last_modified = document.updated
    return response


def _no_content() -> Response:
    return Response(status=204)


# -- Shared handlers --------------------------------------------------------------------


def _get(resource: _Resource) -> Response:
    client = require(resource.read_need)
    target = _target(resource, client, single=False, listing=True)
    if target.doc_id is not None:
        return _document_response(get_document(target.doc_set, target.doc_id))
    listed = list_document_ids(target.doc_set, target.since)
    response = jsonify(listed.ids)
    if listed.last_modified is not None:
        response.last_modified = listed.last_modified
    return response


def _put(resource: _Resource) -> Response:
    client = require(resource.write_need)
    target = _target(resource, client, single=True, listing=False)
    learner_scope.check_document_write(client, target.doc_set, target.doc_id)
    precondition = _precondition()
    content, content_type = _body()
    put_document(
        target.doc_set,
        _doc_id(target),
        content,
        content_type,
        precondition,
        put_rule(resource.kind, xapi_version()),
    )
    db.session.commit()
    return _no_content()


def _post(resource: _Resource) -> Response:
    client = require(resource.write_need)
    target = _target(resource, client, single=True, listing=False)
    learner_scope.check_document_write(client, target.doc_set, target.doc_id)
    precondition = _precondition()
    content, content_type = _body()
    post_document(target.doc_set, _doc_id(target), content, content_type, precondition)
    db.session.commit()
    return _no_content()


def _delete(resource: _Resource) -> Response:
    client = require(resource.write_need)
    # Only State has "delete all" (Communication §2.3); profiles need their profileId.
    target = _target(resource, client, single=resource.kind is not Kind.STATE, listing=False)
    learner_scope.check_document_write(client, target.doc_set, target.doc_id)
    precondition = _precondition()
    if target.doc_id is None:
        if precondition.given:
            # An ETag names one document; refusing beats silently deleting them all.
            raise BadRequest(
                "If-Match and If-None-Match apply to one document: give a stateId",
                errors=[{"path": "query:stateId", "message": "required with a precondition"}],
            )
        delete_documents(target.doc_set)
    else:
        delete_document(target.doc_set, target.doc_id, precondition)
    db.session.commit()
    return _no_content()


# -- State: /activities/state (Communication §2.3) -------------------------------------


@bp.get("/activities/state")
def get_state() -> Response:
    """One state document, or the ids of an activity + agent (+ registration)."""
    return _get(STATE)


@bp.put("/activities/state")
def put_state() -> Response:
    """Store a state document."""
    return _put(STATE)


@bp.post("/activities/state")
def post_state() -> Response:
    """Merge into (or create) a state document."""
    return _post(STATE)


@bp.delete("/activities/state")
def delete_state() -> Response:
    """Delete one state document, or all of an activity + agent (+ registration)."""
    return _delete(STATE)


# -- Activity Profile: /activities/profile (Communication §2.7) ------------------------


@bp.get("/activities/profile")
def get_activity_profile() -> Response:
    """One activity profile document, or the ids of an activity's profiles."""
    return _get(ACTIVITY_PROFILE)


@bp.put("/activities/profile")
def put_activity_profile() -> Response:
    """Store an activity profile document."""
    return _put(ACTIVITY_PROFILE)


@bp.post("/activities/profile")
def post_activity_profile() -> Response:
    """Merge into (or create) an activity profile document."""
    return _post(ACTIVITY_PROFILE)


@bp.delete("/activities/profile")
def delete_activity_profile() -> Response:
    """Delete an activity profile document."""
    return _delete(ACTIVITY_PROFILE)


# -- Agent Profile: /agents/profile (Communication §2.6) -------------------------------


@bp.get("/agents/profile")
def get_agent_profile() -> Response:
    """One agent profile document, or the ids of an agent's profiles."""
    return _get(AGENT_PROFILE)


@bp.put("/agents/profile")
def put_agent_profile() -> Response:
    """Store an agent profile document."""
    return _put(AGENT_PROFILE)


@bp.post("/agents/profile")
def post_agent_profile() -> Response:
    """Merge into (or create) an agent profile document."""
    return _post(AGENT_PROFILE)


@bp.delete("/agents/profile")
def delete_agent_profile() -> Response:
    """Delete an agent profile document."""
    return _delete(AGENT_PROFILE)


# -- Activities, Agents and About (Communication §2.4, §2.5, §2.8) ---------------------


@bp.get("/activities")
def get_activities() -> Response:
    """Return the canonical Activity Object for ``activityId`` (Communication §2.5)."""
    require("activities/read")
    params = _query(["activityId"], ["activityId"])
    activity_id = check_iri(_not_empty(params, "activityId"), "query:activityId")
    return jsonify(get_activity(activity_id))


@bp.get("/agents")
def get_agents() -> Response:
    """Return the Person Object for ``agent`` (Communication §2.4)."""
    require("activities/read")
    params = _query(["agent"], ["agent"])
    agent, _ = _agent(params["agent"], allow_group=False)
    return jsonify(person_of(agent))


@bp.get("/about")
def get_about() -> Response:
    """Return the versions served; needs no credentials (Communication §2.8)."""
    _query([])
    return jsonify({"version": list(SUPPORTED_VERSIONS), "extensions": {}})
