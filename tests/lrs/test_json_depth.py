"""Deeply nested JSON: a 400 naming the problem at every depth, never a 500.

RFC 8259 §9 lets a parser limit nesting.  The LRS takes arrays and objects nested at most
``MAX_DEPTH`` levels (counted from the body's root, which is level 1), wherever it parses
JSON: statement bodies (plain, multipart, alternate syntax), documents, JSON query
parameters, ``more`` links and signatures.  What it takes, it can store, walk (validation,
canonical definitions, statement comparison, signature checks) and answer on both
databases; deeper JSON was a RecursionError, or orjson's own 1024-level limit, i.e. a 500.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from core import jsoncodec
from core.jsoncodec import MAX_DEPTH
from tests.conftest import basic
from tests.lrs.test_signature import jws, post_signed, statement
from tests.lrs.test_statements import multipart_body

DEPTHS = [500, 1000, 1025, 5000, 100_000]
EXT = "http://example.org/ext/deep"
AGENT = '{"mbox": "mailto:ada@example.org"}'
ACTIVITY = "http://example.org/courses/fire-safety"


def nested(levels: int, kind: str = "array") -> str:
    """JSON text of ``levels`` arrays (or objects) inside each other."""
    if kind == "array":
        return "[" * levels + "]" * levels
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


def with_extension(statement_: dict[str, Any], depth: int, kind: str = "array") -> str:
    """The statement's body, its result extension making it ``depth`` levels deep."""
    body = json.dumps({**statement_, "result": {"extensions": {EXT: 0}}})
    # root object, result, extensions: three levels above the value.
    return body.replace(f'"{EXT}": 0', f'"{EXT}": {nested(depth - 3, kind)}')


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def too_deep(response, path: str = "body") -> None:
    assert response.status_code == 400, response.status_code
    assert response.json["status"] == 400
    assert path in [row["path"] for row in response.json["errors"]]
    assert "nested" in response.json["message"]
    assert str(MAX_DEPTH) in response.json["message"]


def send(xapi, method: str, path: str, body: str | bytes, content_type: str, **kwargs):
    return xapi.request(method, path, data=body, headers={"Content-Type": content_type}, **kwargs)


# -- Statements ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_statement_post_is_400(xapi, make_statement, depth, kind):
    body = with_extension(make_statement(), depth, kind)
    too_deep(send(xapi, "POST", "statements", body, "application/json"))
    assert xapi.get("statements").json["statements"] == []


@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_bare_arrays_are_400(xapi, depth):
    too_deep(send(xapi, "POST", "statements", nested(depth), "application/json"))


@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_statement_put_is_400(xapi, make_statement, depth):
    statement_ = make_statement()
    body = with_extension(statement_, depth)
    query = {"statementId": statement_["id"]}
    too_deep(send(xapi, "PUT", "statements", body, "application/json", query=query))


@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_multipart_statement_is_400(xapi, make_statement, depth):
    body, content_type = multipart_body(with_extension(make_statement(), depth).encode(), [])
    too_deep(send(xapi, "POST", "statements", body, content_type), "body[0]")


@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_alternate_syntax_content_is_400(client, make_credential, depth):
    auth = basic(*make_credential(["all"]))
    form = urlencode(
        {
            "Authorization": auth,
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            "content": nested(depth),
        }
    )
    response = client.post(
        "/xapi/statements?method=POST",
        data=form,
        content_type="application/x-www-form-urlencoded",
    )
    too_deep(response)


# -- Documents -------------------------------------------------------------------------

DOCUMENTS = {
    "state": (
        "activities/state",
        {"activityId": ACTIVITY, "agent": AGENT, "stateId": "s"},
    ),
    "activity_profile": ("activities/profile", {"activityId": ACTIVITY, "profileId": "p"}),
    "agent_profile": ("agents/profile", {"agent": AGENT, "profileId": "p"}),
}


@pytest.mark.parametrize("method", ["PUT", "POST"])
@pytest.mark.parametrize("resource", DOCUMENTS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_documents_are_400(xapi, resource, method, depth):
    path, query = DOCUMENTS[resource]
    headers = {"Content-Type": "application/json", "If-None-Match": "*"}
    response = xapi.request(method, path, data=nested(depth), headers=headers, query=query)
    too_deep(response)
    assert xapi.get(path, query=query).status_code == 404


# -- JSON in query parameters and links --------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("statements", {}),
        ("agents", {}),
        ("activities/state", {"activityId": ACTIVITY}),
        ("agents/profile", {}),
    ],
)
@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_agent_parameter_is_400(xapi, path, query, depth):
    response = xapi.get(path, query={**query, "agent": nested(depth, "object")})
    too_deep(response, "query:agent")


@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_more_link_is_400(xapi, depth):
    token = base64.urlsafe_b64encode(nested(depth).encode()).decode().rstrip("=")
    response = xapi.get("statements", query={"more": token})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:more"


@pytest.mark.parametrize("part", ["header", "payload"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_signature_is_400(xapi, key, part, depth):
    signed = statement()
    compact = jws(key, signed).decode().split(".")
    deep = base64.urlsafe_b64encode(nested(depth).encode()).decode().rstrip("=")
    compact[0 if part == "header" else 1] = deep
    response = post_signed(xapi, signed, ".".join(compact).encode())
    assert response.status_code == 400
    assert "attachments:signature" in [row["path"] for row in response.json["errors"]]
    assert "nested" in response.json["message"]


# -- Up to the limit: stored, walked and answered --------------------------------------------


@pytest.mark.parametrize("kind", ["array", "object"])
def test_lrs_json_depth_limit_statement_stored_and_answered(xapi, make_statement, kind):
    statement_ = make_statement()
    body = with_extension(statement_, MAX_DEPTH, kind)
    sent = json.loads(body)
    assert send(xapi, "POST", "statements", body, "application/json").status_code == 200
    for fmt in ("exact", "ids", "canonical"):
        got = xapi.get("statements", query={"statementId": sent["id"], "format": fmt})
        assert got.status_code == 200
        assert got.json["result"]["extensions"][EXT] == sent["result"]["extensions"][EXT]
    # Sent again: compared with the stored one (Data 2.3.1), the same, so accepted.
    assert send(xapi, "POST", "statements", body, "application/json").status_code == 200
    assert xapi.get("statements").json["statements"][0]["result"] == sent["result"]
    # One level more is refused.
    deeper = with_extension(make_statement(), MAX_DEPTH + 1, kind)
    too_deep(send(xapi, "POST", "statements", deeper, "application/json"))


def test_lrs_json_depth_limit_batch_and_definitions(xapi, make_statement):
    # In a batch (the root array, level 1) the value of object.definition.extensions
    # starts at level 6: statement, object, definition, extensions are levels 2 to 5.
    levels = MAX_DEPTH - 5
    value = json.loads(nested(levels))
    batch = []
    for _ in range(12):  # twelve statements take the bulk insert path
        item = make_statement()
        item["object"]["definition"]["extensions"] = {EXT: value}
        batch.append(item)
    assert xapi.post("statements", batch).status_code == 200
    got = xapi.get("activities", query={"activityId": batch[0]["object"]["id"]})
    assert got.status_code == 200
    assert got.json["definition"]["extensions"][EXT] == value
    canonical = xapi.get("statements", query={"format": "canonical", "limit": 12})
    assert canonical.status_code == 200
    assert len(canonical.json["statements"]) == 12
    for item in batch:
        item["id"] = make_statement()["id"]
    item["object"]["definition"]["extensions"] = {EXT: [value]}
    too_deep(xapi.post("statements", batch))


def test_lrs_json_depth_limit_signed_statement(xapi, key):
    signed = statement()
    signed["result"]["extensions"] = {EXT: json.loads(nested(MAX_DEPTH - 3))}
    received = copy.deepcopy(signed)
    response = post_signed(xapi, received, jws(key, signed))
    assert response.status_code == 200, response.json


def test_lrs_json_depth_limit_document_stored_and_merged(xapi):
    path, query = DOCUMENTS["state"]
    document = '{"deep": ' + nested(MAX_DEPTH - 1) + "}"
    headers = {"Content-Type": "application/json"}
    assert xapi.request("PUT", path, data=document, headers=headers, query=query).status_code == 204
    assert xapi.get(path, query=query).data == document.encode()
    merged = xapi.request("POST", path, data='{"more": 1}', headers=headers, query=query)
    assert merged.status_code == 204
    assert json.loads(xapi.get(path, query=query).data) == {
        "deep": json.loads(nested(MAX_DEPTH - 1)),
        "more": 1,
    }


# -- The shared reader (Flask's request.get_json, JSON columns) --------------------------


@pytest.mark.parametrize("depth", DEPTHS)
def test_lrs_json_depth_shared_reader_raises_value_error(depth):
    # A ValueError, which request.get_json answers with 400, not a RecursionError (500).
    text = nested(depth)
    if depth <= 1024:  # orjson's own limit
        assert isinstance(jsoncodec.loads(text), list)
    else:
        with pytest.raises(ValueError, match="nested"):
            jsoncodec.loads(text)
        with pytest.raises(ValueError, match="nested"):
            jsoncodec.loads(text.replace("[]", "[1" + "0" * 25 + "]"))
