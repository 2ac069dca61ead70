"""Hostile and odd requests get SCIM errors (4xx), never a 500, and store nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.scim.conftest import USER, ScimClient, assert_error

MakeUser = Callable[..., dict[str, Any]]


@pytest.mark.parametrize(
    "path",
    [
        "Users/99999999999999999999999",
        "Users/0",
        "Users/%00",
        "Groups/99999999999999999999999",
        "Groups/-3",
    ],
)
def test_scim_hostile_ids_are_404(scim: ScimClient, path: str) -> None:
    assert_error(scim.get(path), 404)


@pytest.mark.parametrize(
    "query",
    [
        {"startIndex": str(10**30)},
        {"count": str(10**30)},
        {"startIndex": "1.5"},
        {"filter": 'userName eq "a\x00b"'},
        {"filter": 'id eq "99999999999999999999999"'},
        {"filter": 'manager eq "99999999999999999999999"'},
        {"filter": 'userName gt "\uffff"'},
        {"filter": "(" * 200 + 'userName eq "a"' + ")" * 200},
        {"filter": 'userName co "%_\\\\"'},
        {"attributes": ",,,.,urn:"},
    ],
)
def test_scim_hostile_queries_answer_without_error(
    scim: ScimClient, make_user: MakeUser, query: dict[str, str]
) -> None:
    make_user("ann")
    response = scim.get("Users", query_string=query)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert_error(response, 400, response.get_json(force=True).get("scimType"))


@pytest.mark.parametrize(
    "change",
    [
        {"userName": "a\x00b"},
        {"displayName": "\x00"},
        {"externalId": ["list"]},
        {"emails": [{"value": "a\x00@x.se"}]},
        {"emails": [{"value": 5}]},
        {"name": "Ann"},
        {"userName": "x" * 256},
        {"active": None, "userName": {"nested": True}},
    ],
)
def test_scim_hostile_values_are_invalid_value(scim: ScimClient, change: dict[str, Any]) -> None:
    body = {"schemas": [USER], "userName": "ann", **change}
    assert_error(scim.post("Users", body), 400, "invalidValue")
    assert scim.get("Users").get_json(force=True)["totalResults"] == 0


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "emails", "value": "x@y.se"},
        {"op": "add", "path": "name", "value": "Ann"},
        {"op": "replace", "path": "name.givenName", "value": {"deep": 1}},
        {"op": "replace", "value": ["not", "an", "object"]},
        {"op": "replace", "path": 17, "value": "x"},
        {"op": "replace", "path": "emails[value eq 5].type", "value": "work"},
        {"op": "replace", "path": "title", "value": "x\x00"},
    ],
)
def test_scim_hostile_patches_are_400(
    scim: ScimClient, make_user: MakeUser, operation: dict[str, Any]
) -> None:
    user = make_user("ann", title="Chef")
    response = scim.patch(f"Users/{user['id']}", [operation])
    assert response.status_code == 400, response.get_data(as_text=True)
    assert scim.get(f"Users/{user['id']}").get_json(force=True) == user


def test_scim_hostile_group_member_ids(scim: ScimClient) -> None:
    for value in ("99999999999999999999999", "-1", "", None, "1 OR 1=1"):
        body = {"displayName": "G", "members": [{"value": value}]}
        assert_error(scim.post("Groups", body), 400, "invalidValue")
