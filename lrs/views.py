"""Thin views for the statement resource (xAPI 1.0.3 Communication §2.1).

Each view checks its parameters, calls one service function and shapes the response;
the request commits once, here.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask import Response, current_app, g, jsonify, request
from werkzeug.http import http_date

from core import jsoncodec
from core.db import db
from core.errors import BadRequest
from core.schemas import parse_json
from lrs import bp, multipart, queries, schemas, service, xapi_version
from lrs.attachments import RawAttachment, raw_attachments
from lrs.auth import current_client, require
from lrs.formats import to_canonical, to_ids
from lrs.models import Statement

QUERY_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
SINGLE_PARAMS = frozenset({"statementId", "voidedStatementId", "format", "attachments"})
FORMATS = ("exact", "ids", "canonical")


def check_params(allowed: frozenset[str] | set[str]) -> dict[str, str]:
    """The query parameters, refusing unknown or repeated ones (Communication §3.2)."""
    params: dict[str, str] = {}
    for name, values in request.args.lists():
        if name not in allowed:
            raise BadRequest(
                f"Unknown query parameter {name!r}",
                errors=[
                    {
                        "path": f"query:{name}",
                        "message": "not allowed here (names are case-sensitive)",
                    }
                ],
            )
        if len(values) > 1:
            raise BadRequest(
                f"Query parameter {name!r} is given more than once",
                errors=[{"path": f"query:{name}", "message": "repeated"}],
            )
        params[name] = values[0]
    return params


def _bool_param(params: dict[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise BadRequest(
            f"{name} must be true or false",
            errors=[{"path": f"query:{name}", "message": "expected true or false"}],
        )
    return value == "true"


def _format_param(params: dict[str, str]) -> str:
    value = params.get("format", "exact")
    if value not in FORMATS:
        raise BadRequest(
            "format must be ids, exact or canonical",
            errors=[{"path": "query:format", "message": f"unknown format {value!r}"}],
        )
    return value


# -- Reading request bodies -------------------------------------------------------------


def read_statement_body() -> tuple[Any, list[RawAttachment]]:
    """The statement(s) and raw attachments of a PUT/POST (Communication §1.5)."""
    content_type = request.headers.get("Content-Type", "")
    media = content_type.split(";")[0].strip().lower()
    raw = request.get_data(cache=False)
    if media == "application/json":
        return parse_json(raw), []
    if media == "multipart/mixed":
        parts = multipart.parse(raw, content_type)
        first = parts[0]
        if first.content_type != "application/json":
            raise BadRequest(
                "The first part of a multipart/mixed body must be application/json",
                errors=[{"path": "body[0]", "message": f"Content-Type {first.content_type!r}"}],
            )
        return parse_json(first.body, "body[0]"), raw_attachments(parts)
    raise BadRequest(
        "Statements are sent as application/json or multipart/mixed",
        errors=[{"path": "header:Content-Type", "message": f"unsupported {media or 'none'}"}],
    )


# -- Shaping responses -------------------------------------------------------------------


def _languages() -> list[str]:
    return [lang for lang, _ in request.accept_languages if lang != "*"]


def _render(statements: list[Statement], fmt: str) -> list[dict[str, Any]]:
    if fmt == "exact":
        return [s.data for s in statements]
    if fmt == "ids":
        return [to_ids(s.data) for s in statements]
    activity_ids: set[str] = set()
    for s in statements:
        _collect_activity_ids(s.data, activity_ids)
    definitions = queries.canonical_definitions(activity_ids)
    languages = _languages()
    return [to_canonical(s.data, languages, definitions.get) for s in statements]


def _collect_activity_ids(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        if value.get("objectType", "Activity") == "Activity" and isinstance(value.get("id"), str):
            out.add(value["id"])
        for key, item in value.items():
            if key not in ("extensions", "definition"):
                _collect_activity_ids(item, out)
    elif isinstance(value, list):
        for item in value:
            _collect_activity_ids(item, out)


def _respond(body: Any, statements: list[Statement], with_attachments: bool) -> Response:
    newest: datetime | None = max((s.stored for s in statements), default=None)
    if with_attachments:
        parts = [({"Content-Type": "application/json"}, jsoncodec.dumps_bytes(body))]
        for attachment in queries.attachments_for(statements):
            parts.append(
                (
                    {
                        "Content-Type": attachment.content_type,
                        "Content-Transfer-Encoding": "binary",
                        "X-Experience-API-Hash": attachment.sha2,
                    },
                    attachment.data,
                )
            )
        payload, content_type = multipart.build(parts)
        response = Response(payload, content_type=content_type)
    else:
        response = jsonify(body)
    if newest is not None:
        response.headers["Last-Modified"] = http_date(newest.replace(tzinfo=None))
    return response


# -- "more" links: the whole continuation lives in the link (Data §2.5) -----------------------


def _encode_more(params: dict[str, str], page: queries.Page, last_pk: int) -> str:
    state = {"p": params, "a": last_pk, "m": page.max_pk}
    token = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()
    return "/xapi/statements?more=" + token.rstrip("=")


def _decode_more(token: str) -> tuple[dict[str, str], int, int | None]:
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.urlsafe_b64decode(padded.encode())
        jsoncodec.check_depth(raw)  # (a ValueError: only a forged link is that deep)
        state = json.loads(raw)
        params = {str(k): str(v) for k, v in state["p"].items()}
        return params, int(state["a"]), None if state["m"] is None else int(state["m"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise BadRequest(
            "The more link is not valid", errors=[{"path": "query:more", "message": "malformed"}]
        ) from None


def _parse_query(params: dict[str, str]) -> queries.StatementQuery:
    query = queries.StatementQuery()
    if "agent" in params:
        query.agent = schemas.load_agent_param(params["agent"], name="agent", allow_group=True)
    if "verb" in params:
        query.verb = schemas.check_iri(params["verb"], "query:verb")
    if "activity" in params:
        query.activity = schemas.check_iri(params["activity"], "query:activity")
    if "registration" in params:
        query.registration = schemas.check_uuid(params["registration"], "query:registration")
    query.related_activities = _bool_param(params, "related_activities")
    query.related_agents = _bool_param(params, "related_agents")
    if "since" in params:
        query.since = schemas.parse_timestamp(params["since"], "query:since")
    if "until" in params:
        query.until = schemas.parse_timestamp(params["until"], "query:until")
    if "limit" in params:
        value = params["limit"]
        if not value.isdigit():
            raise BadRequest(
                "limit must be a non-negative integer",
                errors=[
                    {"path": "query:limit", "message": f"not a non-negative integer: {value!r}"}
                ],
            )
        query.limit = int(value)
    query.ascending = _bool_param(params, "ascending")
    return query


# -- Routes ------------------------------------------------------------------------------


@bp.route("/statements", methods=["PUT"])
def put_statement() -> Response:
    """Store one statement under ``statementId`` (204)."""
    client = require("statements/write")
    params = check_params({"statementId"})
    if "statementId" not in params:
        raise BadRequest(
            "PUT needs the statementId parameter",
            errors=[{"path": "query:statementId", "message": "missing"}],
        )
    statement_id = schemas.check_uuid(params["statementId"], "query:statementId")
    body, attachments = read_statement_body()
    result = service.put_statement(statement_id, body, client, xapi_version(), attachments)
    db.session.commit()
    g.consistent_through = result.stored
    return Response(status=204)


@bp.route("/statements", methods=["POST"])
def post_statements() -> Response:
    """Store one statement or a list, atomically; answer the ids in order."""
    client = require("statements/write")
    check_params(set())
    body, attachments = read_statement_body()
    result = service.store_statements(body, client, xapi_version(), attachments)
    db.session.commit()
    # Committed: the batch's stored is a Consistent-Through that holds (lrs/clock.py).
    g.consistent_through = result.stored
    return jsonify(result.ids)


@bp.route("/statements", methods=["GET"])
def get_statements() -> Response:
    """A single statement, or a StatementResult page with a ``more`` link."""
    client = require("statements/read")
    if "more" in request.args:
        extra = [name for name in request.args if name != "more"]
        if extra:
            raise BadRequest(
                "A more link takes no other parameters",
                errors=[{"path": f"query:{extra[0]}", "message": "not allowed with more"}],
            )
        params, after_pk, max_pk = _decode_more(request.args["more"])
    else:
        params = check_params(QUERY_PARAMS | SINGLE_PARAMS)
        after_pk, max_pk = None, None
    fmt = _format_param(params)
    with_attachments = _bool_param(params, "attachments")

    single = [name for name in ("statementId", "voidedStatementId") if name in params]
    if single:
        others = set(params) - SINGLE_PARAMS
        if len(single) > 1 or others:
            raise BadRequest(
                f"{single[0]} can only be combined with format and attachments",
                errors=[
                    {
                        "path": f"query:{sorted(others or set(single[1:]))[0]}",
                        "message": "not allowed here",
                    }
                ],
            )
        name = single[0]
        statement_id = schemas.check_uuid(params[name], f"query:{name}")
        statement = queries.get_statement(statement_id, client, voided=name == "voidedStatementId")
        return _respond(_render([statement], fmt)[0], [statement], with_attachments)

    query = _parse_query(params)
    query.after_pk, query.max_pk = after_pk, max_pk
    page = queries.query_statements(query, client, current_app.config["XAPI_MAX_LIMIT"])
    more = _encode_more(params, page, page.statements[-1].pk) if page.has_more else ""
    body = {"statements": _render(page.statements, fmt), "more": more}
    return _respond(body, page.statements, with_attachments)


@bp.route("/extensions/whoami", methods=["GET"])
def get_whoami() -> Response:
    """The calling credential's scopes and authority (a cheap authenticated endpoint)."""
    client = current_client()
    return jsonify({"scopes": sorted(client.scopes), "authority": client.authority})
