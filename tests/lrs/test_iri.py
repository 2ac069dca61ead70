"""IRIs are RFC 3987 IRIs, wherever the LRS takes one (xAPI Data 2.2, 4.1; RFC 3987 §2.2).

An IRI that breaks the grammar (an unclosed IP literal, a stray "%", a space or "{")
is refused with 400 naming its path, in statements, SubStatements and query
parameters; IRIs with non-ASCII characters, ports and IPv6 literals are taken.  The fast
validation path (``lrs.fastcheck``) answers as the schemas do for every one of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from lrs import fastcheck
from lrs.schemas import objects
from lrs.schemas.rules import _is_iri
from tests.lrs.test_statement_validation import DELETE, MBOX, apply, base, error_paths

V1, V2 = "1.0.3", "2.0.0"
BOTH = (V1, V2)

INVALID = [
    "http://[::1/broken",  # an IP literal never closed
    "http://[::1]x/",
    "http://[::1]]/",
    "http://[12345::1]/",
    "http://[::1::2]/",
    "http://[1:2:3:4:5:6:7:8:9]/",
    "http://[1.2.3.4]/",  # IPv4 is not written in brackets
    "http://example.com:80a/",
    "http://exa%mple.com/",
    "http://example.com/%zz",
    "http://example.com/100%",
    "http://example.com/a b",
    "http://example.com/{id}",
    "http://example.com/a|b",
    "http://example.com/a\\b",
    "http://example.com/a^b",
    "http://example.com/a`b",
    'http://example.com/a"b',
    "http://example.com/<a>",
    "http://example.com/#frag#two",
    "http://example.com/\ue000",  # private use: only in the query
    "http://example.com/\ufffe",  # not a character
    "http://example.com/\u0085",  # a C1 control
    "1http://example.com/",
    "http ://example.com/",
    "ab=c://x.com",
    "example.com/no/scheme",
    "",
]

VALID = [
    "http://adlnet.gov/expapi/verbs/completed",
    "http://example.com/Räddningstjänst/övning?år=2026#del-1",
    "http://例え.テスト/パス",
    "http://example.com/\U0001f692",
    "https://example.com:8443/a/b;c=d",
    "http://example.com:/empty-port",
    "http://[::1]/a",
    "http://[2001:db8::7]:8080/x",
    "http://[::ffff:192.0.2.1]/",
    "http://[fe80::1:2:3:4]/",
    "http://[1:2:3:4:5:6:7:8]/",
    "http://[v1.fe80::a+en1]/",
    "http://192.0.2.1:80/x",
    "urn:uuid:6e8bf6e8-0cf4-4d3a-9e40-1c2a0c9d1d9b",
    "tag:example.org,2026:kurs/1",
    "mailto:ada@example.org",
    "http://example.com/a%20b%C3%A5",
    "http://example.com/?q=\ue000",
    "https://user:pw@example.com/",
    "http://example.com/p;a,r=a!m$s&'()*+~",
    "http://example.com/#fragment/with?chars",
    "http://example.com",
    "urn:x-kompetens:course:12",
]

SUB = {
    "objectType": "SubStatement",
    "actor": {"mbox": MBOX},
    "verb": {"id": "http://example.org/verbs/plan"},
    "object": {"id": "http://example.org/a"},
}
ATTACHMENT = {
    "usageType": "http://example.org/usage/cert",
    "display": {"en-US": "Certificate"},
    "contentType": "text/plain",
    "length": 27,
    "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    "fileUrl": "http://example.org/cert.txt",
}


def _sub(**changes: Any) -> dict[str, Any]:
    return {"object": apply(SUB, changes), "context": DELETE}


# (versions, changes for an IRI, the error path)
POSITIONS: dict[str, tuple[tuple[str, ...], Any, str]] = {
    "verb": (BOTH, lambda iri: {"verb.id": iri}, "verb.id"),
    "activity": (BOTH, lambda iri: {"object.id": iri}, "object.id"),
    "type": (BOTH, lambda iri: {"object.definition.type": iri}, "object.definition.type"),
    "more_info": (
        BOTH,
        lambda iri: {"object.definition.moreInfo": iri},
        "object.definition.moreInfo",
    ),
    "definition_extension": (
        BOTH,
        lambda iri: {"object.definition.extensions": {iri: 1}},
        "object.definition.extensions",
    ),
    "result_extension": (
        BOTH,
        lambda iri: {"result.extensions": {iri: [1]}},
        "result.extensions",
    ),
    "context_extension": (
        BOTH,
        lambda iri: {"context.extensions": {iri: None}},
        "context.extensions",
    ),
    "parent": (
        BOTH,
        lambda iri: {"context.contextActivities.parent": [{"id": iri}]},
        "context.contextActivities.parent[0].id",
    ),
    "openid": (BOTH, lambda iri: {"actor": {"openid": iri}}, "actor.openid"),
    "home_page": (
        BOTH,
        lambda iri: {"actor": {"account": {"homePage": iri, "name": "ada"}}},
        "actor.account.homePage",
    ),
    "usage_type": (
        BOTH,
        lambda iri: {"attachments": [{**ATTACHMENT, "usageType": iri}]},
        "attachments[0].usageType",
    ),
    "file_url": (
        BOTH,
        lambda iri: {"attachments": [{**ATTACHMENT, "fileUrl": iri}]},
        "attachments[0].fileUrl",
    ),
    "relevant_type": (
        (V2,),
        lambda iri: {
            "context.contextAgents": [
                {"objectType": "contextAgent", "agent": {"mbox": MBOX}, "relevantTypes": [iri]}
            ]
        },
        "context.contextAgents[0].relevantTypes[0]",
    ),
    "substatement_verb": (BOTH, lambda iri: _sub(**{"verb.id": iri}), "object.verb.id"),
    "substatement_activity": (BOTH, lambda iri: _sub(**{"object.id": iri}), "object.object.id"),
}


def statement_with(position: str, iri: str) -> dict[str, Any]:
    return apply(base(), POSITIONS[position][1](iri))


def _cases() -> list[Any]:
    return [
        pytest.param(position, version, id=f"{position}-{version}")
        for position, (versions, _, _) in POSITIONS.items()
        for version in versions
    ]


@pytest.mark.parametrize(("position", "version"), _cases())
def test_lrs_iri_unclosed_ip_literal_refused_everywhere(xapi, position, version):
    xapi.version = version
    response = xapi.post("statements", statement_with(position, "http://[::1/broken"))
    assert response.status_code == 400, response.json
    path = POSITIONS[position][2]
    assert any(p == path or p.startswith(path + ".") for p in error_paths(response)), error_paths(
        response
    )
    assert xapi.get("statements").json["statements"] == []


@pytest.mark.parametrize(("position", "version"), _cases())
def test_lrs_iri_unicode_port_and_ipv6_accepted_everywhere(xapi, position, version):
    xapi.version = version
    for iri in ("http://例え.テスト/övning", "http://[2001:db8::7]:8080/x?år=1"):
        response = xapi.post("statements", statement_with(position, iri))
        assert response.status_code == 200, (iri, response.json)


@pytest.mark.parametrize("iri", INVALID)
def test_lrs_iri_invalid_verb_id_refused(xapi, iri):
    response = xapi.post("statements", statement_with("verb", iri))
    assert response.status_code == 400
    assert "verb.id" in error_paths(response)


@pytest.mark.parametrize("iri", VALID)
def test_lrs_iri_valid_verb_id_accepted(xapi, iri):
    response = xapi.post("statements", statement_with("verb", iri))
    assert response.status_code == 200, response.json


def _accepted(statement: dict[str, Any], version: str) -> bool:
    try:
        objects._STATEMENT[version].load(statement)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("iri", "valid"), [(iri, False) for iri in INVALID] + [(iri, True) for iri in VALID]
)
def test_lrs_iri_fast_path_answers_as_the_schemas(iri, valid):
    assert _is_iri(iri) is valid
    for position, (versions, _, _) in POSITIONS.items():
        for version in versions:
            statement = statement_with(position, iri)
            assert _accepted(statement, version) is valid, (position, version)
            assert fastcheck.statement_ok(statement, version) is valid, (position, version)


@pytest.mark.parametrize(
    ("path", "name", "query"),
    [
        ("statements", "verb", {}),
        ("statements", "activity", {}),
        ("activities", "activityId", {}),
        ("activities/profile", "activityId", {}),
        ("activities/state", "activityId", {"agent": '{"mbox": "' + MBOX + '"}'}),
    ],
)
def test_lrs_iri_query_parameters_refused(xapi, path, name, query):
    response = xapi.get(path, query={**query, name: "http://[::1/broken"})
    assert response.status_code == 400
    assert f"query:{name}" in error_paths(response)
    accepted = xapi.get(path, query={**query, name: "http://[::1]/kurs/övning"})
    assert accepted.status_code in (200, 404)  # (no such document is a 404)
