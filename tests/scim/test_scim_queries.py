"""Queries: filters, pages, attributes/excludedAttributes and POST /.search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.scim.conftest import ENTERPRISE, ScimClient, assert_error

MakeUser = Callable[..., dict[str, Any]]
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def people(make_user: MakeUser) -> dict[str, str]:
    """Three people; their ids by first name."""
    ann = make_user(
        "Ann.Berg@example.se",
        displayName="Ann Berg",
        externalId="ext-ANN",
        emails=[{"value": "ann@example.se", "type": "work"}],
        title="Chef",
    )
    bo = make_user("bo@example.se", displayName="Bo Ek", externalId="ext-bo", active=False)
    cy = make_user(
        "cy@example.se",
        displayName="Cy Lund",
        emails=[{"value": "cy@example.se", "type": "home"}],
        **{ENTERPRISE: {"employeeNumber": "7"}},
    )
    return {"ann": ann["id"], "bo": bo["id"], "cy": cy["id"]}


def _ids(scim: ScimClient, expression: str) -> list[str]:
    response = scim.get("Users", query_string={"filter": expression})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert body["totalResults"] == len(body["Resources"])
    return [r["id"] for r in body["Resources"]]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "ann.berg@EXAMPLE.se"', ["ann"]),
        ('externalId eq "ext-ANN"', ["ann"]),
        ('externalId eq "ext-ann"', []),  # case-exact (RFC 7643 §3.1)
        ('displayName eq "bo ek"', ["bo"]),
        ('emails.value eq "CY@example.se"', ["cy"]),
        ('emails eq "ann@example.se"', ["ann"]),
        ('emails[type eq "work" and value eq "ann@example.se"]', ["ann"]),
        ('emails[type eq "home"]', ["cy"]),
        ('userName eq "bo@example.se" or displayName eq "Cy Lund"', ["bo", "cy"]),
        ('userName sw "bo" and active eq false', ["bo"]),
        ("active eq true", ["ann", "cy"]),
        ('not (displayName co "e")', ["cy"]),
        ("title pr", ["ann"]),
        ('displayName ew "lund"', ["cy"]),
        (f'{ENTERPRISE}:employeeNumber eq "7"', ["cy"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "cy@example.se"', ["cy"]),
        ('userName eq "nobody"', []),
        ('userName co "%"', []),
    ],
)
def test_scim_queries_filter_users(
    scim: ScimClient, people: dict[str, str], expression: str, expected: list[str]
) -> None:
    assert _ids(scim, expression) == [people[name] for name in expected]


@pytest.mark.parametrize(
    "expression",
    [
        "userName eq",
        'userName eq "a" and',
        'nickName eq "a"',
        'userName gt 3 and ("x"',
        "active eq 3",
        'urn:example:other:userName eq "a"',
        'emails[type eq "work"',
    ],
)
def test_scim_queries_bad_filter_is_invalid_filter(
    scim: ScimClient, people: dict[str, str], expression: str
) -> None:
    assert_error(scim.get("Users", query_string={"filter": expression}), 400, "invalidFilter")


def test_scim_queries_pages(scim: ScimClient, people: dict[str, str]) -> None:
    ids = [people["ann"], people["bo"], people["cy"]]
    body = scim.get("Users", query_string={"startIndex": 2, "count": 1}).get_json(force=True)
    assert body["totalResults"] == 3
    assert (body["startIndex"], body["itemsPerPage"]) == (2, 1)
    assert [r["id"] for r in body["Resources"]] == ids[1:2]
    past = scim.get("Users", query_string={"startIndex": 10}).get_json(force=True)
    assert (past["totalResults"], past["Resources"]) == (3, [])
    none = scim.get("Users", query_string={"count": 0}).get_json(force=True)
    assert (none["totalResults"], none["Resources"]) == (3, [])
    low = scim.get("Users", query_string={"startIndex": -5, "count": -1}).get_json(force=True)
    assert (low["startIndex"], low["itemsPerPage"]) == (1, 0)
    assert_error(scim.get("Users", query_string={"count": "many"}), 400, "invalidValue")


def test_scim_queries_attributes_and_excluded_attributes(
    scim: ScimClient, people: dict[str, str]
) -> None:
    query = {"filter": "title pr", "attributes": "userName,emails.value"}
    body = scim.get("Users", query_string=query).get_json(force=True)
    assert body["Resources"] == [
        {
            "schemas": body["Resources"][0]["schemas"],
            "id": people["ann"],
            "userName": "Ann.Berg@example.se",
            "emails": [{"value": "ann@example.se"}],
        }
    ]
    one = scim.get(
        f"Users/{people['cy']}", query_string={"excludedAttributes": f"emails,meta,{ENTERPRISE}"}
    ).get_json(force=True)
    assert "emails" not in one
    assert "meta" not in one
    assert ENTERPRISE not in one
    assert one["userName"] == "cy@example.se"
    ext = scim.get(
        f"Users/{people['cy']}", query_string={"attributes": f"{ENTERPRISE}:employeeNumber"}
    ).get_json(force=True)
    assert ext[ENTERPRISE] == {"employeeNumber": "7"}
    assert "userName" not in ext


def test_scim_queries_post_search(scim: ScimClient, people: dict[str, str]) -> None:
    request = {
        "schemas": [SEARCH],
        "filter": 'displayName sw "b"',
        "attributes": ["displayName"],
        "startIndex": 1,
        "count": 10,
    }
    response = scim.post("Users/.search", request)
    assert response.status_code == 200
    body = response.get_json(force=True)
    assert [r["displayName"] for r in body["Resources"]] == ["Bo Ek"]
    group = scim.post("Groups", {"displayName": "Bollklubben"}).get_json(force=True)
    everything = scim.post("/scim/v2/.search", {"filter": 'displayName sw "b"'})
    found = everything.get_json(force=True)
    assert found["totalResults"] == 2
    assert [r["id"] for r in found["Resources"]] == [people["bo"], group["id"]]
    # userName is no Group attribute: across types it matches Users only.
    users_only = scim.post("/scim/v2/.search", {"filter": 'userName eq "bo@example.se"'})
    assert users_only.get_json(force=True)["totalResults"] == 1
    assert_error(scim.post("/scim/v2/.search", {"filter": 'nickName eq "x"'}), 400, "invalidFilter")
