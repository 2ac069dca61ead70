"""The statement resource through HTTP (xAPI 1.0.3 Communication §2.1, 2.0.0 deltas)."""

from __future__ import annotations

import hashlib
import json
import uuid
from email.utils import parsedate_to_datetime

import pytest

from tests.conftest import XapiClient, basic

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def agent_param(mbox: str) -> str:
    return json.dumps({"mbox": mbox})


def ids_of(response) -> list[str]:
    return [s["id"] for s in response.json["statements"]]


# -- storing ---------------------------------------------------------------------------


def test_lrs_statements_post_assigns_lrs_properties(xapi, make_statement):
    statement = make_statement()
    del statement["id"]
    response = xapi.post("statements", statement)
    assert response.status_code == 200
    [statement_id] = response.json
    uuid.UUID(statement_id)
    stored = xapi.get("statements", query={"statementId": statement_id}).json
    assert stored["id"] == statement_id
    assert stored["version"] == "1.0.0"
    assert stored["timestamp"] == stored["stored"]
    assert stored["authority"]["objectType"] == "Agent"


def test_lrs_statements_post_overwrites_stored_and_authority(xapi, make_statement):
    statement = make_statement(
        stored="2001-01-01T00:00:00Z",
        authority={"objectType": "Agent", "mbox": "mailto:fake@example.org"},
    )
    xapi.post("statements", statement)
    stored = xapi.get("statements", query={"statementId": statement["id"]}).json
    assert stored["stored"] != "2001-01-01T00:00:00Z"
    assert (
        stored["authority"]["mbox" if "mbox" in stored["authority"] else "account"]
        != "mailto:fake@example.org"
    )


def test_lrs_statements_version_2_sets_version_2(xapi, make_statement):
    xapi.version = "2.0.0"
    statement = make_statement()
    assert xapi.post("statements", statement).status_code == 200
    stored = xapi.get("statements", query={"statementId": statement["id"]})
    assert stored.json["version"] == "2.0.0"
    assert stored.headers["X-Experience-API-Version"] == "2.0.0"
    last_modified = parsedate_to_datetime(stored.headers["Last-Modified"])
    assert stored.json["stored"].startswith(last_modified.strftime("%Y-%m-%dT%H:%M:%S"))


def test_lrs_statements_batch_returns_ids_in_order(xapi, make_statement):
    batch = [make_statement(), make_statement(id=None), make_statement()]
    response = xapi.post("statements", batch)
    assert response.status_code == 200
    assert response.json[0] == batch[0]["id"]
    assert response.json[2] == batch[2]["id"]
    assert len(set(response.json)) == 3


def test_lrs_statements_batch_is_atomic(xapi, make_statement):
    good = make_statement()
    bad = make_statement(verb={"id": "not an iri"})
    assert xapi.post("statements", [good, bad]).status_code == 400
    assert xapi.get("statements", query={"statementId": good["id"]}).status_code == 404


def test_lrs_statements_batch_conflict_stores_nothing(xapi, make_statement):
    first = make_statement()
    xapi.post("statements", first)
    changed = {**first, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    other = make_statement()
    assert xapi.post("statements", [other, changed]).status_code == 409
    assert xapi.get("statements", query={"statementId": other["id"]}).status_code == 404


def test_lrs_statements_put_is_idempotent_and_immutable(xapi, make_statement):
    statement = make_statement()
    statement_id = statement.pop("id")
    query = {"statementId": statement_id}
    assert xapi.put("statements", statement, query=query).status_code == 204
    assert xapi.put("statements", statement, query=query).status_code == 204
    # The same statement with the mbox domain in another case is still the same one.
    same = {**statement, "actor": {**statement["actor"], "mbox": "mailto:ada@EXAMPLE.org"}}
    assert xapi.put("statements", same, query=query).status_code == 204
    different = {**statement, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    assert xapi.put("statements", different, query=query).status_code == 409


@pytest.mark.parametrize(
    ("query", "body_id", "status"),
    [
        ({}, None, 400),  # statementId missing
        ({"statementId": "not-a-uuid"}, None, 400),
        ({"statementId": "STATEMENT"}, "00000000-0000-4000-8000-000000000000", 400),  # id differs
        ({"statementId": "STATEMENT", "verb": "http://x.org/v"}, None, 400),  # extra param
    ],
)
def test_lrs_statements_put_bad_requests(xapi, make_statement, query, body_id, status):
    statement = make_statement(id=body_id)
    statement_id = str(uuid.uuid4())
    query = {k: (statement_id if v == "STATEMENT" else v) for k, v in query.items()}
    response = xapi.put("statements", statement, query=query)
    assert response.status_code == status
    assert response.json["errors"][0]["path"]


def test_lrs_statements_post_rejects_query_parameters(xapi, make_statement):
    response = xapi.post("statements", make_statement(), query={"statementId": str(uuid.uuid4())})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == "query:statementId"


@pytest.mark.parametrize(
    ("body", "content_type", "path"),
    [
        (b"{not json", "application/json", "body"),
        (b'{"a": 1, "a": 2}', "application/json", "body"),
        (b"\xff\xfe", "application/json", "body"),
        (b"[NaN]", "application/json", "body"),
        (b"{}", "text/plain", "header:Content-Type"),
        (b"{}", "multipart/form-data; boundary=x", "header:Content-Type"),
    ],
)
def test_lrs_statements_bad_bodies_are_400(xapi, body, content_type, path):
    response = xapi.request("POST", "statements", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == path


# -- voiding ---------------------------------------------------------------------------


def voiding(make_statement, target: str, **overrides):
    return make_statement(
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object={"objectType": "StatementRef", "id": target},
        **overrides,
    )


def test_lrs_statements_voided_only_by_voided_statement_id(xapi, make_statement):
    target = make_statement()
    xapi.post("statements", target)
    void = voiding(make_statement, target["id"])
    assert xapi.post("statements", void).status_code == 200
    assert xapi.get("statements", query={"statementId": target["id"]}).status_code == 404
    fetched = xapi.get("statements", query={"voidedStatementId": target["id"]})
    assert fetched.status_code == 200
    assert fetched.json["id"] == target["id"]
    listed = ids_of(xapi.get("statements"))
    assert target["id"] not in listed
    assert void["id"] in listed
    # The voiding statement is found by the voided statement's filters (§2.1.3).
    by_agent = ids_of(
        xapi.get("statements", query={"agent": agent_param("mailto:ada@example.org")})
    )
    assert void["id"] in by_agent


def test_lrs_statements_voiding_a_voiding_statement_is_refused(xapi, make_statement):
    target = make_statement()
    void = voiding(make_statement, target["id"])
    xapi.post("statements", [target, void])
    response = xapi.post("statements", voiding(make_statement, void["id"]))
    assert response.status_code == 400
    assert xapi.get("statements", query={"statementId": void["id"]}).status_code == 200


def test_lrs_statements_voiding_before_target_arrives(xapi, make_statement):
    target = make_statement()
    xapi.post("statements", voiding(make_statement, target["id"]))
    xapi.post("statements", target)
    assert xapi.get("statements", query={"statementId": target["id"]}).status_code == 404
    assert xapi.get("statements", query={"voidedStatementId": target["id"]}).status_code == 200


# -- querying --------------------------------------------------------------------------


@pytest.fixture
def corpus(xapi, make_statement):
    """Four statements differing in agent, verb, activity, registration and context."""
    registration = str(uuid.uuid4())
    statements = [
        make_statement(
            actor={"mbox": "mailto:bo@example.org"},
            context={
                "registration": registration,
                "contextActivities": {"parent": {"id": "http://example.org/course"}},
            },
        ),
        make_statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"}),
        make_statement(object={"id": "http://example.org/other"}),
        make_statement(
            actor={
                "objectType": "Group",
                "mbox": "mailto:team@example.org",
                "member": [{"mbox": "mailto:cy@example.org"}],
            },
            context={"instructor": {"mbox": "mailto:teacher@example.org"}},
        ),
    ]
    for statement in statements:
        assert xapi.post("statements", statement).status_code == 200
    return statements, registration


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"agent": agent_param("mailto:bo@example.org")}, [0]),
        ({"agent": agent_param("mailto:team@example.org")}, [3]),
        ({"agent": agent_param("mailto:cy@example.org")}, []),
        ({"agent": agent_param("mailto:cy@example.org"), "related_agents": "true"}, [3]),
        ({"agent": agent_param("mailto:teacher@example.org"), "related_agents": "true"}, [3]),
        ({"verb": "http://adlnet.gov/expapi/verbs/passed"}, [1]),
        ({"activity": "http://example.org/other"}, [2]),
        ({"activity": "http://example.org/course"}, []),
        ({"activity": "http://example.org/course", "related_activities": "true"}, [0]),
        ({"registration": "REG"}, [0]),
        (
            {
                "agent": agent_param("mailto:ada@example.org"),
                "verb": "http://adlnet.gov/expapi/verbs/completed",
            },
            [2],
        ),
    ],
)
def test_lrs_statements_query_filters(xapi, corpus, query, expected):
    statements, registration = corpus
    query = {k: (registration if v == "REG" else v) for k, v in query.items()}
    response = xapi.get("statements", query=query)
    assert response.status_code == 200
    assert ids_of(response) == [statements[i]["id"] for i in sorted(expected, reverse=True)]


def test_lrs_statements_query_order_and_ascending(xapi, corpus):
    statements, _ = corpus
    assert ids_of(xapi.get("statements")) == [s["id"] for s in reversed(statements)]
    assert ids_of(xapi.get("statements", query={"ascending": "true"})) == [
        s["id"] for s in statements
    ]


def test_lrs_statements_since_until_use_stored(xapi, corpus):
    statements, _ = corpus
    stored = [
        xapi.get("statements", query={"statementId": s["id"]}).json["stored"] for s in statements
    ]
    since = ids_of(xapi.get("statements", query={"since": stored[1]}))
    assert statements[0]["id"] not in since
    assert statements[3]["id"] in since
    until = ids_of(xapi.get("statements", query={"until": stored[1]}))
    assert statements[1]["id"] in until
    assert statements[3]["id"] not in until or stored[3] == stored[1]


def test_lrs_statements_more_pages_stably_while_new_ones_arrive(xapi, make_statement):
    batch = [make_statement() for _ in range(5)]
    xapi.post("statements", batch)
    seen: list[str] = []
    page = xapi.get("statements", query={"limit": 2})
    while True:
        assert page.status_code == 200
        seen.extend(ids_of(page))
        xapi.post("statements", make_statement())  # arrives while paging
        more = page.json["more"]
        if not more:
            break
        assert more.startswith("/xapi/statements?")
        page = xapi.get(more)
    assert seen == [s["id"] for s in reversed(batch)]


@pytest.mark.parametrize("ascending", [False, True])
def test_lrs_statements_related_filters_page_in_order(xapi, make_statement, ascending):
    """related_agents with related_activities, paged with ``more``: every match once, in order.

    Each statement matches through a different pair (actor or instructor; object or
    parent), which PostgreSQL answers as one query per pair (lrs.queries._statement_query).
    """
    bo, course = "mailto:bo@example.org", "http://example.org/course"
    parent = {"contextActivities": {"parent": [{"id": course}]}}
    teaches = {"instructor": {"mbox": bo}}
    matching = [
        make_statement(actor={"mbox": bo}, object={"id": course}),
        make_statement(actor={"mbox": bo}, context=parent),
        make_statement(context={**teaches, **parent}),
        make_statement(context=teaches, object={"id": course}),
        make_statement(actor={"mbox": bo}, context=parent),
    ]
    others = [
        make_statement(actor={"mbox": bo}),
        make_statement(context=parent),
        make_statement(context=teaches),
    ]
    for statement in [matching[0], others[0], *matching[1:3], others[1], *matching[3:], others[2]]:
        assert xapi.post("statements", statement).status_code == 200
    query = {
        "agent": agent_param(bo),
        "related_agents": "true",
        "activity": course,
        "related_activities": "true",
        "limit": 2,
        "ascending": str(ascending).lower(),
    }
    seen: list[str] = []
    page = xapi.get("statements", query=query)
    while True:
        assert page.status_code == 200
        seen.extend(ids_of(page))
        if not page.json["more"]:
            break
        page = xapi.get(page.json["more"])
    expected = [s["id"] for s in matching]
    assert seen == (expected if ascending else expected[::-1])


def test_lrs_statements_more_link_keeps_filters(xapi, corpus):
    page = xapi.get(
        "statements", query={"agent": agent_param("mailto:ada@example.org"), "limit": 1}
    )
    assert page.json["more"]
    second = xapi.get(page.json["more"])
    assert len(second.json["statements"]) == 1
    assert second.json["more"] == ""


@pytest.mark.parametrize(
    "query",
    [
        {"statementId": "nope"},
        {"statementId": "S", "verb": "http://adlnet.gov/expapi/verbs/passed"},
        {"statementId": "S", "voidedStatementId": "S"},
        {"Verb": "http://adlnet.gov/expapi/verbs/passed"},
        {"unknown": "1"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"ascending": "yes"},
        {"format": "full"},
        {"agent": "{not json"},
        {"since": "yesterday"},
        {"registration": "123"},
        {"more": "garbage!"},
    ],
)
def test_lrs_statements_bad_queries_are_400(xapi, query):
    query = {k: (str(uuid.uuid4()) if v == "S" else v) for k, v in query.items()}
    response = xapi.get("statements", query=query)
    assert response.status_code == 400
    assert response.json["errors"][0]["path"].startswith(("query:", "body"))
    assert "X-Experience-API-Consistent-Through" in response.headers


def test_lrs_statements_single_get_404(xapi):
    assert xapi.get("statements", query={"statementId": str(uuid.uuid4())}).status_code == 404


def test_lrs_statements_headers_on_every_response(xapi, make_statement):
    xapi.post("statements", make_statement())
    response = xapi.get("statements")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Last-Modified" in response.headers
    head = xapi.request("HEAD", "statements")
    assert head.status_code == 200
    assert head.data == b""


# -- formats ---------------------------------------------------------------------------


def test_lrs_statements_format_ids_keeps_only_identifiers(xapi, make_statement):
    statement = make_statement()
    xapi.post("statements", statement)
    got = xapi.get("statements", query={"statementId": statement["id"], "format": "ids"}).json
    assert got["actor"] == {"objectType": "Agent", "mbox": "mailto:ada@example.org"}
    assert got["verb"] == {"id": statement["verb"]["id"]}
    assert got["object"] == {"id": statement["object"]["id"]}


def test_lrs_statements_format_canonical_merges_and_picks_language(xapi, make_statement):
    activity = "http://example.org/courses/fire-safety"
    first = make_statement(
        object={"id": activity, "definition": {"name": {"en-US": "Fire safety"}}}
    )
    second = make_statement(
        object={"id": activity, "definition": {"name": {"sv-SE": "Brandskydd"}}}
    )
    xapi.post("statements", [first, second])
    got = xapi.get(
        "statements",
        query={"statementId": first["id"], "format": "canonical"},
        headers={"Accept-Language": "sv-SE"},
    ).json
    assert got["object"]["definition"]["name"] == {"sv-SE": "Brandskydd"}
    assert got["verb"]["display"] == {"en-US": "completed"}
    exact = xapi.get("statements", query={"statementId": first["id"]}).json
    assert exact["object"]["definition"]["name"] == {"en-US": "Fire safety"}
    activity_doc = xapi.get("activities", query={"activityId": activity})
    assert activity_doc.json["definition"]["name"] == {
        "en-US": "Fire safety",
        "sv-SE": "Brandskydd",
    }


# -- attachments -----------------------------------------------------------------------


def multipart_body(
    statement_json: bytes, attachments: list[tuple[bytes, dict[str, str]]]
) -> tuple[bytes, str]:
    boundary = "xyzBOUNDARYxyz"
    out = (
        b"--"
        + boundary.encode()
        + b"\r\nContent-Type: application/json\r\n\r\n"
        + statement_json
        + b"\r\n"
    )
    for data, headers in attachments:
        out += b"--" + boundary.encode() + b"\r\n"
        for name, value in headers.items():
            out += f"{name}: {value}\r\n".encode()
        out += b"\r\n" + data + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, f"multipart/mixed; boundary={boundary}"


def attachment_for(data: bytes, **overrides):
    attachment = {
        "usageType": "http://example.org/usage/certificate",
        "display": {"en-US": "Certificate"},
        "contentType": "text/plain",
        "length": len(data),
        "sha2": hashlib.sha256(data).hexdigest(),
    }
    attachment.update(overrides)
    return attachment


def part_headers(data: bytes, **overrides) -> dict[str, str]:
    headers = {
        "Content-Type": "text/plain",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": hashlib.sha256(data).hexdigest(),
    }
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v is not None}


def test_lrs_statements_attachments_round_trip(xapi, make_statement):
    data = b"certificate body \x00\xff"
    statement = make_statement(attachments=[attachment_for(data)])
    body, content_type = multipart_body(
        json.dumps(statement).encode(), [(data, part_headers(data))]
    )
    response = xapi.request("POST", "statements", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.json
    got = xapi.get("statements", query={"statementId": statement["id"], "attachments": "true"})
    assert got.status_code == 200
    assert got.content_type.startswith("multipart/mixed")
    assert data in got.data
    assert hashlib.sha256(data).hexdigest().encode() in got.data
    plain = xapi.get("statements", query={"statementId": statement["id"]})
    assert plain.content_type.startswith("application/json")


def test_lrs_statements_file_url_attachment_needs_no_part(xapi, make_statement):
    statement = make_statement(
        attachments=[attachment_for(b"x", fileUrl="http://example.org/cert.txt")]
    )
    assert xapi.post("statements", statement).status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "missing part",
        "unused part",
        "no hash header",
        "no transfer encoding",
        "first part not json",
        "no boundary",
    ],
)
def test_lrs_statements_bad_multipart_is_400_and_stores_nothing(xapi, make_statement, case):
    data = b"payload"
    statement = make_statement(attachments=[attachment_for(data)])
    parts = [(data, part_headers(data))]
    if case == "missing part":
        parts = []
    elif case == "unused part":
        parts.append((b"other", part_headers(b"other")))
    elif case == "no hash header":
        parts = [(data, part_headers(data, **{"X-Experience-API-Hash": None}))]
    elif case == "no transfer encoding":
        parts = [(data, part_headers(data, **{"Content-Transfer-Encoding": None}))]
    body, content_type = multipart_body(json.dumps(statement).encode(), parts)
    if case == "first part not json":
        body = body.replace(b"Content-Type: application/json", b"Content-Type: text/plain", 1)
    if case == "no boundary":
        content_type = "multipart/mixed"
    response = xapi.request("POST", "statements", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json["message"]
    assert xapi.get("statements", query={"statementId": statement["id"]}).status_code == 404


# -- scopes ----------------------------------------------------------------------------


def test_lrs_statements_read_mine_sees_only_own(make_xapi, make_statement):
    writer = make_xapi(["statements/write", "statements/read/mine"])
    other = make_xapi(["statements/write"])
    mine, theirs = make_statement(), make_statement()
    writer.post("statements", mine)
    other.post("statements", theirs)
    assert ids_of(writer.get("statements")) == [mine["id"]]
    assert writer.get("statements", query={"statementId": theirs["id"]}).status_code == 404


@pytest.mark.parametrize(
    ("scopes", "method", "status"),
    [
        (["statements/read"], "POST", 403),
        (["state"], "GET", 403),
        (["statements/write"], "GET", 403),
        (["all/read"], "GET", 200),
        (["all/read"], "POST", 403),
        (["statements/write"], "POST", 200),
    ],
)
def test_lrs_statements_scopes(make_xapi, make_statement, scopes, method, status):
    client = make_xapi(scopes)
    if method == "POST":
        response = client.post("statements", make_statement())
    else:
        response = client.get("statements")
    assert response.status_code == status


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic bm9wZTpub3Bl", "Bearer abc", "Basic !!!"],
)
def test_lrs_statements_bad_credentials_are_401(client, authorization):
    headers = {"X-Experience-API-Version": "1.0.3"}
    if authorization:
        headers["Authorization"] = authorization
    response = client.get("/xapi/statements", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_lrs_statements_revoked_credential_is_401(app, make_xapi, runner):
    client = make_xapi(["all"])
    assert client.get("statements").status_code == 200
    key = client.auth  # the key is inside the Basic header
    import base64

    plain_key = base64.b64decode(key.split()[1]).decode().split(":")[0]
    result = runner.invoke(args=["credentials", "revoke", plain_key])
    assert result.exit_code == 0
    assert client.get("statements").status_code == 401


def test_lrs_statements_concurrent_batches_never_fail(app, make_credential, make_statement):
    """Batches racing on the same new activities all succeed and every language is kept."""
    from concurrent.futures import ThreadPoolExecutor

    auth = basic(*make_credential(["all"]))
    languages = ["en-US", "sv-SE", "de-DE", "fi-FI"]

    def send(language: str) -> list[int]:
        client = XapiClient(app.test_client(), auth)
        codes = []
        for round_no in range(4):
            batch = [
                make_statement(
                    object={
                        "id": f"http://example.org/race/{n}",
                        "definition": {"name": {language: f"{language} {n}"}},
                    },
                    context={"registration": str(uuid.uuid4())},
                )
                for n in range(round_no, round_no + 10)
            ]
            codes.append(client.post("statements", batch).status_code)
        return codes

    with ThreadPoolExecutor(max_workers=len(languages)) as pool:
        results = list(pool.map(send, languages))
    assert all(code == 200 for codes in results for code in codes), results
    client = XapiClient(app.test_client(), auth)
    activity = client.get(
        "activities", query={"activityId": "http://example.org/race/5"}
    ).get_json()
    assert set(activity["definition"]["name"]) == set(languages)


def test_lrs_statements_large_batch_with_voiding_and_refs(xapi, make_statement):
    """Batches big enough for the bulk path keep voiding and StatementRef filters right."""
    target = make_statement(verb={"id": "http://adlnet.gov/expapi/verbs/failed"})
    void = voiding(make_statement, target["id"])
    others = [make_statement() for _ in range(12)]
    response = xapi.post("statements", [*others, target, void])
    assert response.status_code == 200
    assert xapi.get("statements", query={"statementId": target["id"]}).status_code == 404
    failed = ids_of(xapi.get("statements", query={"verb": "http://adlnet.gov/expapi/verbs/failed"}))
    assert failed == [void["id"]]
    # The same ids again: accepted without change, nothing stored twice.
    again = xapi.post("statements", others)
    assert again.status_code == 200
    assert len(ids_of(xapi.get("statements", query={"limit": 100}))) == 13


@pytest.mark.parametrize("batch_size", [1, 12])
def test_lrs_statements_refs_follow_a_chain_of_targets(xapi, make_statement, batch_size):
    """A StatementRef statement meets its target's filters, through a chain of refs.

    Communication §2.1.3, Filter Conditions for StatementRefs.  ``batch_size`` 12 takes
    the bulk insert path (COPY on PostgreSQL), 1 the plain one.
    """
    target = make_statement(
        actor={"mbox": "mailto:bo@example.org"},
        object={"id": "http://example.org/quiz"},
        context={"contextActivities": {"parent": [{"id": "http://example.org/course"}]}},
    )
    liked = make_statement(
        verb={"id": "http://example.org/verbs/liked"},
        object={"objectType": "StatementRef", "id": target["id"]},
    )
    # Ada refers to Ada's like of Bo's statement, with Bo as instructor: Bo is a related
    # agent of the statement itself and the narrow agent of its chain's target.
    shared = make_statement(
        verb={"id": "http://example.org/verbs/shared"},
        object={"objectType": "StatementRef", "id": liked["id"]},
        context={"instructor": {"mbox": "mailto:bo@example.org"}},
    )
    padding = [make_statement() for _ in range(batch_size - 1)]
    assert xapi.post("statements", target).status_code == 200
    assert xapi.post("statements", [liked, *padding]).status_code == 200
    assert xapi.post("statements", shared).status_code == 200

    def found(**query):
        return ids_of(xapi.get("statements", query={"limit": 50, **query}))

    bo = agent_param("mailto:bo@example.org")
    assert found(agent=bo) == [shared["id"], liked["id"], target["id"]]
    assert found(agent=bo, related_agents="true") == [shared["id"], liked["id"], target["id"]]
    assert found(activity="http://example.org/quiz") == [shared["id"], liked["id"], target["id"]]
    course = {"activity": "http://example.org/course", "related_activities": "true"}
    assert found(**course) == [shared["id"], liked["id"], target["id"]]
    assert found(activity="http://example.org/course") == []
    assert found(verb="http://example.org/verbs/liked") == [shared["id"], liked["id"]]
    assert found(verb="http://adlnet.gov/expapi/verbs/completed", limit=1) == [shared["id"]]


def test_lrs_statements_batch_after_its_voiding_statement_is_stored_voided(xapi, make_statement):
    batch = [make_statement() for _ in range(11)]
    xapi.post("statements", voiding(make_statement, batch[3]["id"]))
    assert xapi.post("statements", batch).status_code == 200
    assert xapi.get("statements", query={"statementId": batch[3]["id"]}).status_code == 404
    assert xapi.get("statements", query={"voidedStatementId": batch[3]["id"]}).status_code == 200
