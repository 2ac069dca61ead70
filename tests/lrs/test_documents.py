"""The document resources through HTTP: State, Activity Profile, Agent Profile.

xAPI 1.0.3 Communication §2.2-2.7 and §3.1, plus the 2.0.0 differences (409 for State,
Last-Modified).  Every rule that repeats across resources or versions is a table.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.db import db
from lrs.models import Document
from tests.conftest import XapiClient

ACTIVITY = "http://example.org/activities/fire-safety"
OTHER_ACTIVITY = "http://example.org/activities/first-aid"
AGENT = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.org"}
OTHER_AGENT = {"objectType": "Agent", "mbox": "mailto:bob@example.org"}
VERSIONS = ["1.0.3", "2.0.0"]


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    id_param: str
    base: dict[str, str]

    def params(self, doc_id: str | None = "doc-1", **extra: str) -> dict[str, str]:
        params = dict(self.base)
        if doc_id is not None:
            params[self.id_param] = doc_id
        params.update(extra)
        return params


STATE = Resource(
    "state", "activities/state", "stateId", {"activityId": ACTIVITY, "agent": json.dumps(AGENT)}
)
ACTIVITY_PROFILE = Resource(
    "activity_profile", "activities/profile", "profileId", {"activityId": ACTIVITY}
)
AGENT_PROFILE = Resource(
    "agent_profile", "agents/profile", "profileId", {"agent": json.dumps(AGENT)}
)
RESOURCES = [STATE, ACTIVITY_PROFILE, AGENT_PROFILE]
by_resource = pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.name)
by_version = pytest.mark.parametrize("version", VERSIONS)


@pytest.fixture
def lrs(make_xapi: Callable[..., XapiClient]) -> Callable[[str], XapiClient]:
    """An all-scope client for a given xAPI version."""

    def make(version: str = "1.0.3") -> XapiClient:
        return make_xapi(["all"], version)

    return make


def put_raw(
    api: XapiClient,
    resource: Resource,
    body: bytes | str,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    **params: Any,
) -> Any:
    """PUT a document; without ``headers`` it sends If-None-Match: * (create)."""
    preconditions = {"If-None-Match": "*"} if headers is None else headers
    sent = {"Content-Type": content_type, **preconditions}
    return api.request(
        "PUT", resource.path, data=body, headers=sent, query=resource.params(**params)
    )


def post_raw(
    api: XapiClient,
    resource: Resource,
    body: bytes | str,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    **params: Any,
) -> Any:
    sent = {"Content-Type": content_type, **(headers or {})}
    return api.request(
        "POST", resource.path, data=body, headers=sent, query=resource.params(**params)
    )


def get_doc(api: XapiClient, resource: Resource, **params: Any) -> Any:
    return api.get(resource.path, query=resource.params(**params))


def quoted_sha1(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'


# -- PUT, GET, HEAD, DELETE -------------------------------------------------------------


@by_version
@by_resource
def test_lrs_document_put_get_roundtrip(lrs, resource, version):
    api = lrs(version)
    body = b'{"bookmark": "page-3", "score": 0.5}'
    assert put_raw(api, resource, body).status_code == 204

    response = get_doc(api, resource)
    assert response.status_code == 200
    assert response.get_data() == body
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["ETag"] == quoted_sha1(body)
    modified = parsedate_to_datetime(response.headers["Last-Modified"])
    assert abs((datetime.now(UTC) - modified).total_seconds()) < 5
    assert response.headers["X-Experience-API-Version"] == version


@by_version
@by_resource
def test_lrs_document_head_is_get_without_body(lrs, resource, version):
    api = lrs(version)
    put_raw(api, resource, b'{"a": 1}')
    got = get_doc(api, resource)
    head = api.request("HEAD", resource.path, query=resource.params())
    assert head.status_code == 200
    assert head.get_data() == b""
    for header in ("ETag", "Last-Modified", "Content-Type"):
        assert head.headers[header] == got.headers[header]


@by_version
@by_resource
def test_lrs_document_get_missing_is_404(lrs, resource, version):
    response = get_doc(lrs(version), resource, doc_id="nothing-here")
    assert response.status_code == 404
    assert response.is_json


@by_version
@by_resource
def test_lrs_document_delete_removes_it(lrs, resource, version):
    api = lrs(version)
    put_raw(api, resource, b'{"a": 1}')
    assert api.delete(resource.path, query=resource.params()).status_code == 204
    assert get_doc(api, resource).status_code == 404
    # Deleting what is not there is not an error.
    assert api.delete(resource.path, query=resource.params()).status_code == 204


@by_resource
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00"),
        ("text/plain; charset=utf-8", "suspend data åäö".encode()),
        ("application/octet-stream", b""),
        ("application/json", b"[1, 2, 3]"),
        ("application/json", b'"just a string"'),
    ],
    ids=["png", "text", "empty", "json-array", "json-string"],
)
def test_lrs_document_any_content_is_stored_as_is(lrs, resource, content_type, body):
    api = lrs()
    assert put_raw(api, resource, body, content_type).status_code == 204
    response = get_doc(api, resource)
    assert response.get_data() == body
    assert response.headers["Content-Type"] == content_type
    assert response.headers["ETag"] == quoted_sha1(body)


@by_resource
def test_lrs_document_missing_content_type_is_octet_stream(lrs, resource):
    api = lrs()
    assert put_raw(api, resource, b"\x00\x01raw", content_type=None).status_code == 204
    assert get_doc(api, resource).headers["Content-Type"] == "application/octet-stream"


@by_resource
@pytest.mark.parametrize("body", [b"{not json", b"", b'{"a": NaN}', b"\xff\xfe"])
def test_lrs_document_put_invalid_json_is_400(lrs, resource, body):
    api = lrs()
    response = put_raw(api, resource, body)
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "body"
    assert get_doc(api, resource).status_code == 404


@by_version
@by_resource
def test_lrs_document_put_replaces_with_if_match(lrs, resource, version):
    api = lrs(version)
    put_raw(api, resource, b'{"a": 1}')
    etag = get_doc(api, resource).headers["ETag"]
    response = put_raw(api, resource, b"new", "text/plain", headers={"If-Match": etag})
    assert response.status_code == 204
    got = get_doc(api, resource)
    assert got.get_data() == b"new"
    assert got.headers["Content-Type"] == "text/plain"
    assert got.headers["ETag"] == quoted_sha1(b"new")


# -- POST: JSON merge (Communication §2.2) -----------------------------------------------


MERGES = [
    # stored (type, body), posted (type, body), status, document afterwards
    pytest.param(
        ("application/json", {"a": 1, "b": {"x": 1, "y": 2}}),
        ("application/json", {"b": {"z": 3}, "c": 4}),
        204,
        {"a": 1, "b": {"z": 3}, "c": 4},
        id="top-level-merge-replaces-whole-property",
    ),
    pytest.param(
        ("application/json", {"a": 1}),
        ("application/json; charset=utf-8", {"a": 2}),
        204,
        {"a": 2},
        id="json-with-charset",
    ),
    pytest.param(None, ("application/json", {"a": 1}), 204, {"a": 1}, id="missing-json-creates"),
    pytest.param(None, ("text/plain", "abc"), 204, "abc", id="missing-text-creates"),
    pytest.param(
        ("application/json", {"a": 1}), ("text/plain", "abc"), 400, {"a": 1}, id="posted-not-json"
    ),
    pytest.param(
        ("text/plain", "abc"), ("application/json", {"a": 1}), 400, "abc", id="stored-not-json"
    ),
    pytest.param(
        ("application/json", {"a": 1}), ("application/json", [1]), 400, {"a": 1}, id="posted-array"
    ),
    pytest.param(
        ("application/json", [1]), ("application/json", {"a": 1}), 400, [1], id="stored-array"
    ),
    pytest.param(
        ("application/json", {"a": 1}),
        ("application/json", '{"b": 2'),
        400,
        {"a": 1},
        id="posted-invalid-json",
    ),
    pytest.param(None, ("application/json", "[1]"), 400, None, id="missing-posted-array"),
]


def _encode(value: Any, content_type: str) -> bytes:
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value).encode()


@by_resource
@pytest.mark.parametrize(("stored", "posted", "status", "after"), MERGES)
def test_lrs_document_post_merge(lrs, resource, stored, posted, status, after):
    api = lrs()
    if stored is not None:
        assert put_raw(api, resource, _encode(stored[1], stored[0]), stored[0]).status_code == 204
    response = post_raw(api, resource, _encode(posted[1], posted[0]), posted[0])
    assert response.status_code == status
    if status == 400:
        assert response.json["message"]
    got = get_doc(api, resource)
    if after is None:
        assert got.status_code == 404
    elif isinstance(after, str):
        assert got.get_data() == after.encode()
    else:
        assert got.json == after


@by_resource
def test_lrs_document_post_merge_updates_etag_and_type(lrs, resource):
    api = lrs("2.0.0")
    post_raw(api, resource, b'{"a": 1}')
    before = get_doc(api, resource).headers["ETag"]
    post_raw(api, resource, b'{"b": 2}')
    got = get_doc(api, resource)
    assert got.headers["ETag"] != before
    assert got.headers["ETag"] == quoted_sha1(got.get_data())
    assert got.headers["Content-Type"] == "application/json"
    assert got.json == {"a": 1, "b": 2}


# -- Concurrency (Communication §3.1) ----------------------------------------------------


def _expect_409(resource: Resource, version: str) -> bool:
    """PUT without preconditions: profiles always 409; State only under 2.0.0."""
    return resource is not STATE or version == "2.0.0"


@by_version
@by_resource
def test_lrs_document_put_existing_without_precondition(lrs, resource, version):
    api = lrs(version)
    put_raw(api, resource, b'{"a": 1}')
    response = put_raw(api, resource, b'{"a": 2}', headers={})
    if _expect_409(resource, version):
        assert response.status_code == 409
        assert "If-Match" in response.json["message"]
        assert "ETag" in response.json["message"]
        assert get_doc(api, resource).json == {"a": 1}
    else:
        assert response.status_code == 204
        assert get_doc(api, resource).json == {"a": 2}


NEW_WITHOUT_PRECONDITION = [
    # 1.0.3 profiles: the 1.0.3 conformance suite wants an error (XAPI-00273).
    (STATE, "1.0.3", 204),
    (STATE, "2.0.0", 204),
    (ACTIVITY_PROFILE, "1.0.3", 400),
    (ACTIVITY_PROFILE, "2.0.0", 204),
    (AGENT_PROFILE, "1.0.3", 400),
    (AGENT_PROFILE, "2.0.0", 204),
]


@pytest.mark.parametrize(
    ("resource", "version", "status"),
    NEW_WITHOUT_PRECONDITION,
    ids=[f"{r.name}-{v}" for r, v, _ in NEW_WITHOUT_PRECONDITION],
)
def test_lrs_document_put_new_without_precondition(lrs, resource, version, status):
    api = lrs(version)
    response = put_raw(api, resource, b'{"a": 1}', headers={})
    assert response.status_code == status
    if status == 400:
        assert "If-None-Match" in response.json["message"]
        assert response.json["errors"][0]["path"] == "header:If-None-Match"
        assert get_doc(api, resource).status_code == 404


CONCURRENCY = [
    # method, headers (ETAG = the stored document's ETag), exists before, status
    ("PUT", {"If-Match": "ETAG"}, True, 204),
    ("PUT", {"If-Match": "*"}, True, 204),
    ("PUT", {"If-Match": '"0000000000000000000000000000000000000000"'}, True, 412),
    ("PUT", {"If-Match": "WEAK"}, True, 412),
    ("PUT", {"If-Match": "UNQUOTED"}, True, 204),
    ("PUT", {"If-Match": '"other", ETAG'}, True, 204),
    ("PUT", {"If-Match": "*"}, False, 412),
    ("PUT", {"If-Match": '"abc"'}, False, 412),
    ("PUT", {"If-None-Match": "*"}, True, 412),
    ("PUT", {"If-None-Match": "ETAG"}, True, 412),
    ("PUT", {"If-None-Match": '"other"'}, True, 204),
    ("PUT", {"If-None-Match": "*"}, False, 204),
    ("POST", {"If-Match": "ETAG"}, True, 204),
    ("POST", {"If-Match": '"wrong"'}, True, 412),
    ("POST", {"If-Match": '"wrong"'}, False, 412),
    ("POST", {"If-None-Match": "*"}, True, 412),
    ("POST", {"If-None-Match": "*"}, False, 204),
    ("DELETE", {"If-Match": "ETAG"}, True, 204),
    ("DELETE", {"If-Match": '"wrong"'}, True, 412),
    ("DELETE", {"If-Match": '"wrong"'}, False, 412),
    ("DELETE", {"If-None-Match": "*"}, True, 412),
]


def _fill(headers: dict[str, str], etag: str) -> dict[str, str]:
    tokens = {"UNQUOTED": etag.strip('"'), "WEAK": f"W/{etag}", "ETAG": etag}
    filled = {}
    for name, value in headers.items():
        for token, replacement in tokens.items():
            value = value.replace(token, replacement)
        filled[name] = value
    return filled


@by_version
@by_resource
@pytest.mark.parametrize(("method", "headers", "exists", "status"), CONCURRENCY)
def test_lrs_document_concurrency(lrs, resource, version, method, headers, exists, status):
    api = lrs(version)
    original = b'{"a": 1}'
    etag = quoted_sha1(original)
    if exists:
        put_raw(api, resource, original)
        assert get_doc(api, resource).headers["ETag"] == etag
    sent = {"Content-Type": "application/json", **_fill(headers, etag)}
    response = api.request(
        method, resource.path, data=b'{"b": 2}', headers=sent, query=resource.params()
    )
    assert response.status_code == status, response.get_data()
    got = get_doc(api, resource)
    if status == 412:
        assert response.json["errors"][0]["path"] in {"header:If-Match", "header:If-None-Match"}
        # Nothing changes on a failed precondition.
        if exists:
            assert got.get_data() == original
        else:
            assert got.status_code == 404
    elif method == "DELETE":
        assert got.status_code == 404
    elif method == "POST" and exists:
        assert got.json == {"a": 1, "b": 2}
    else:
        assert got.json == {"b": 2}


@by_resource
@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
@pytest.mark.parametrize("value", ["", '"unterminated'])
def test_lrs_document_malformed_precondition_is_400(lrs, resource, header, value):
    api = lrs("2.0.0")
    response = put_raw(api, resource, b'{"a": 1}', headers={header: value})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == f"header:{header}"


# -- Id lists and since -------------------------------------------------------------------


@by_version
@by_resource
def test_lrs_document_list_ids(lrs, resource, version):
    api = lrs(version)
    for doc_id in ("one", "two", "three"):
        put_raw(api, resource, b"{}", doc_id=doc_id)
    response = api.get(resource.path, query=resource.params(doc_id=None))
    assert response.status_code == 200
    assert sorted(response.json) == ["one", "three", "two"]
    newest = get_doc(api, resource, doc_id="three").headers["Last-Modified"]
    assert response.headers["Last-Modified"] == newest


@by_resource
def test_lrs_document_list_empty(lrs, resource):
    response = lrs("2.0.0").get(resource.path, query=resource.params(doc_id=None))
    assert response.status_code == 200
    assert response.json == []


@by_resource
def test_lrs_document_list_since_filters_on_updated(lrs, resource):
    api = lrs()
    put_raw(api, resource, b"{}", doc_id="old")
    put_raw(api, resource, b"{}", doc_id="rewritten")
    since = datetime.now(UTC).isoformat()
    put_raw(api, resource, b"{}", doc_id="new")
    post_raw(api, resource, b'{"x": 1}', doc_id="rewritten")
    response = api.get(resource.path, query=resource.params(doc_id=None, since=since))
    assert sorted(response.json) == ["new", "rewritten"]
    later = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    response = api.get(resource.path, query=resource.params(doc_id=None, since=later))
    assert response.json == []


@by_resource
def test_lrs_document_list_is_scoped_to_its_set(lrs, resource):
    api = lrs()
    put_raw(api, resource, b"{}", doc_id="mine")
    other: dict[str, Any] = {"activityId": OTHER_ACTIVITY, "agent": json.dumps(OTHER_AGENT)}
    put_raw(api, resource, b"{}", doc_id="theirs", **{k: other[k] for k in resource.base})
    response = api.get(resource.path, query=resource.params(doc_id=None))
    assert response.json == ["mine"]


@by_resource
@pytest.mark.parametrize("since", ["yesterday", "2024-13-01T00:00:00Z", ""])
def test_lrs_document_list_bad_since_is_400(lrs, resource, since):
    response = lrs().get(resource.path, query=resource.params(doc_id=None, since=since))
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:since"


# -- State: registration and delete-all (Communication §2.3) -------------------------------


REG_1 = str(uuid.uuid4())
REG_2 = str(uuid.uuid4())


def test_lrs_state_registration_scopes_documents(lrs):
    api = lrs()
    put_raw(api, STATE, b'{"r": 0}', "application/json")
    put_raw(api, STATE, b'{"r": 1}', registration=REG_1)
    put_raw(api, STATE, b'{"r": 2}', registration=REG_2)
    assert get_doc(api, STATE).json == {"r": 0}
    assert get_doc(api, STATE, registration=REG_1).json == {"r": 1}
    assert get_doc(api, STATE, registration=REG_2.upper()).json == {"r": 2}
    put_raw(api, STATE, b"{}", doc_id="only-in-1", registration=REG_1)
    listed = api.get(STATE.path, query=STATE.params(doc_id=None, registration=REG_1)).json
    assert sorted(listed) == ["doc-1", "only-in-1"]
    # Without a registration the list spans every registration (Communication §2.3).
    everything = api.get(STATE.path, query=STATE.params(doc_id=None)).json
    assert sorted(everything) == ["doc-1", "only-in-1"]


def test_lrs_state_delete_all_with_registration(lrs):
    api = lrs()
    for reg in (REG_1, REG_2):
        put_raw(api, STATE, b"{}", doc_id="a", registration=reg)
        put_raw(api, STATE, b"{}", doc_id="b", registration=reg)
    put_raw(api, STATE, b"{}", doc_id="a")
    response = api.delete(STATE.path, query=STATE.params(doc_id=None, registration=REG_1))
    assert response.status_code == 204
    assert api.get(STATE.path, query=STATE.params(None, registration=REG_1)).json == []
    assert sorted(api.get(STATE.path, query=STATE.params(None, registration=REG_2)).json) == [
        "a",
        "b",
    ]
    assert sorted(api.get(STATE.path, query=STATE.params(None)).json) == ["a", "b"]
    # Without a registration, delete-all covers every registration.
    assert api.delete(STATE.path, query=STATE.params(doc_id=None)).status_code == 204
    assert api.get(STATE.path, query=STATE.params(None, registration=REG_2)).json == []
    assert get_doc(api, STATE, doc_id="a").status_code == 404


@pytest.mark.parametrize("header", ["If-Match", "If-None-Match"])
def test_lrs_state_delete_all_with_precondition_is_400(lrs, header):
    api = lrs("2.0.0")
    put_raw(api, STATE, b"{}")
    etag = get_doc(api, STATE).headers["ETag"]
    response = api.delete(STATE.path, query=STATE.params(doc_id=None), headers={header: etag})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:stateId"
    assert get_doc(api, STATE).status_code == 200


@by_version
def test_lrs_state_delete_all_keeps_other_agents_and_activities(lrs, version):
    api = lrs(version)
    put_raw(api, STATE, b"{}", doc_id="a")
    put_raw(api, STATE, b"{}", doc_id="b")
    put_raw(api, STATE, b"{}", doc_id="a", agent=json.dumps(OTHER_AGENT))
    put_raw(api, STATE, b"{}", doc_id="a", activityId=OTHER_ACTIVITY)
    assert api.delete(STATE.path, query=STATE.params(doc_id=None)).status_code == 204
    assert api.get(STATE.path, query=STATE.params(None)).json == []
    assert get_doc(api, STATE, doc_id="a", agent=json.dumps(OTHER_AGENT)).status_code == 200
    assert get_doc(api, STATE, doc_id="a", activityId=OTHER_ACTIVITY).status_code == 200


def test_lrs_state_same_agent_by_other_object_type_spelling(lrs):
    api = lrs()
    put_raw(api, STATE, b'{"a": 1}', agent=json.dumps({"mbox": "mailto:ada@example.org"}))
    assert get_doc(api, STATE).json == {"a": 1}


def test_lrs_state_accepts_identified_group(lrs):
    api = lrs()
    group = json.dumps({"objectType": "Group", "mbox": "mailto:team@example.org"})
    assert put_raw(api, STATE, b'{"a": 1}', agent=group).status_code == 204
    assert get_doc(api, STATE, agent=group).json == {"a": 1}


@pytest.mark.parametrize("resource", [ACTIVITY_PROFILE, AGENT_PROFILE], ids=lambda r: r.name)
def test_lrs_profile_delete_without_profile_id_is_400(lrs, resource):
    response = lrs().delete(resource.path, query=resource.params(doc_id=None))
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:profileId"


# -- Parameters: missing, unknown, miscased, malformed -----------------------------------


MISSING = [
    (resource, method, name)
    for resource in RESOURCES
    for method in ("GET", "PUT", "POST", "DELETE")
    for name in [*resource.base, resource.id_param]
    if not (name == resource.id_param and method == "GET")
    and not (name == resource.id_param and resource is STATE and method == "DELETE")
]


@pytest.mark.parametrize(
    ("resource", "method", "name"),
    MISSING,
    ids=[f"{r.name}-{m}-{n}" for r, m, n in MISSING],
)
def test_lrs_document_missing_param_is_400(lrs, resource, method, name):
    params = resource.params()
    del params[name]
    response = lrs().request(
        method,
        resource.path,
        data=b"{}",
        query=params,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == f"query:{name}"


UNKNOWN = [
    (STATE, "GET", "StateId"),
    (STATE, "PUT", "activityID"),
    (STATE, "PUT", "since"),
    (STATE, "DELETE", "profileId"),
    (STATE, "POST", "Agent"),
    (ACTIVITY_PROFILE, "PUT", "registration"),
    (ACTIVITY_PROFILE, "GET", "agent"),
    (ACTIVITY_PROFILE, "DELETE", "ProfileId"),
    (AGENT_PROFILE, "POST", "activityId"),
    (AGENT_PROFILE, "GET", "foo"),
    (AGENT_PROFILE, "PUT", "method"),
]


@pytest.mark.parametrize(
    ("resource", "method", "name"),
    UNKNOWN,
    ids=[f"{r.name}-{m}-{n}" for r, m, n in UNKNOWN],
)
def test_lrs_document_unknown_param_is_400(lrs, resource, method, name):
    api = lrs()
    response = api.request(
        method,
        resource.path,
        data=b"{}",
        headers={"Content-Type": "application/json"},
        query={**resource.params(), name: "x"},
    )
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == f"query:{name}"


def test_lrs_document_miscased_param_names_the_right_one(lrs):
    response = lrs().get(STATE.path, query={**STATE.params(doc_id=None), "StateId": "x"})
    assert "stateId" in response.json["errors"][0]["message"]


def test_lrs_document_repeated_param_is_400(lrs):
    query = [(k, v) for k, v in STATE.params().items()] + [("stateId", "again")]
    response = lrs().get(STATE.path, query=query)
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:stateId"


BAD_VALUES = [
    (STATE, {"agent": "not json"}, "query:agent"),
    (STATE, {"agent": json.dumps({"name": "no ifi"})}, "query:agent"),
    (STATE, {"agent": json.dumps({"mbox": "ada@example.org"})}, "query:agent"),
    (STATE, {"agent": json.dumps(["mailto:ada@example.org"])}, "query:agent"),
    (STATE, {"registration": "not-a-uuid"}, "query:registration"),
    (STATE, {"activityId": "not an iri"}, "query:activityId"),
    (STATE, {"stateId": ""}, "query:stateId"),
    (ACTIVITY_PROFILE, {"activityId": ""}, "query:activityId"),
    (ACTIVITY_PROFILE, {"profileId": ""}, "query:profileId"),
    (
        AGENT_PROFILE,
        {"agent": json.dumps({"objectType": "Group", "mbox": "mailto:t@x.org"})},
        "query:agent",
    ),
    (AGENT_PROFILE, {"agent": "{"}, "query:agent"),
]


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
@pytest.mark.parametrize(
    ("resource", "override", "path"), BAD_VALUES, ids=[f"{r.name}-{p}" for r, _, p in BAD_VALUES]
)
def test_lrs_document_bad_param_value_is_400(lrs, resource, override, path, method):
    api = lrs()
    response = api.request(
        method,
        resource.path,
        data=b"{}",
        headers={"Content-Type": "application/json"},
        query={**resource.params(), **override},
    )
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == path


# -- Scopes and credentials ---------------------------------------------------------------


SCOPES = [
    # scopes, resource, method, allowed
    (["state"], STATE, "PUT", True),
    (["state"], STATE, "GET", True),
    (["state"], ACTIVITY_PROFILE, "GET", False),
    (["state"], AGENT_PROFILE, "PUT", False),
    (["profile"], ACTIVITY_PROFILE, "PUT", True),
    (["profile"], AGENT_PROFILE, "DELETE", True),
    (["profile"], STATE, "GET", False),
    (["all/read"], STATE, "GET", True),
    (["all/read"], STATE, "PUT", False),
    (["all/read"], AGENT_PROFILE, "POST", False),
    (["all/read"], ACTIVITY_PROFILE, "GET", True),
    (["statements/write"], STATE, "PUT", False),
    (["statements/read"], STATE, "GET", False),
    (["define"], ACTIVITY_PROFILE, "GET", False),
]


@pytest.mark.parametrize(
    ("scopes", "resource", "method", "allowed"),
    SCOPES,
    ids=[f"{'+'.join(s)}-{r.name}-{m}" for s, r, m, _ in SCOPES],
)
def test_lrs_document_scopes(make_xapi, scopes, resource, method, allowed):
    api = make_xapi(scopes, "2.0.0")
    response = api.request(
        method,
        resource.path,
        data=b"{}",
        headers={"Content-Type": "application/json"},
        query=resource.params(doc_id=None if method == "GET" else "doc-1"),
    )
    if allowed:
        assert response.status_code in {200, 204}
    else:
        assert response.status_code == 403


@by_resource
def test_lrs_document_needs_credentials(client, resource):
    response = client.get(
        "/xapi/" + resource.path,
        query_string=resource.params(),
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize("resource", [STATE, AGENT_PROFILE], ids=lambda r: r.name)
def test_lrs_document_learner_bound_credential_sees_only_its_agent(make_xapi, resource):
    api = make_xapi(["state", "profile"], "1.0.3", agent=AGENT, activity_roots=[ACTIVITY])
    assert put_raw(api, resource, b"{}").status_code == 204
    other = put_raw(api, resource, b"{}", agent=json.dumps(OTHER_AGENT))
    assert other.status_code == 403
    assert get_doc(api, resource, agent=json.dumps(OTHER_AGENT)).status_code == 403


# -- 2.0.0: Last-Modified moves with writes -----------------------------------------------


@by_resource
def test_lrs_document_last_modified_updates_on_write(lrs, resource, app):
    api = lrs("2.0.0")
    put_raw(api, resource, b'{"a": 1}')
    # Move the stored time back so the second write lands in a later second.
    with app.app_context():
        for document in db.session.scalars(select(Document)):
            document.updated = datetime(2020, 1, 1, 12, 0, 0)
        db.session.commit()
    first = parsedate_to_datetime(get_doc(api, resource).headers["Last-Modified"])
    assert first == datetime(2020, 1, 1, 12, 0, 0, tzinfo=UTC)
    post_raw(api, resource, b'{"b": 2}')
    second = parsedate_to_datetime(get_doc(api, resource).headers["Last-Modified"])
    assert second > first
