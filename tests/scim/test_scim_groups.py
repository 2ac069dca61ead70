"""SCIM Groups: members added and removed as Entra ID does it, filters, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.scim.conftest import GROUP, ScimClient, assert_error

MakeUser = Callable[..., dict[str, Any]]


def _members(scim: ScimClient, group_id: str) -> list[str]:
    body = scim.get(f"Groups/{group_id}").get_json(force=True)
    return [m["value"] for m in body.get("members", [])]


def test_scim_groups_create_with_members_round_trips(scim: ScimClient, make_user: MakeUser) -> None:
    ann = make_user("ann")
    body: dict[str, Any] = {
        "schemas": [GROUP],
        "displayName": "Kompetens-authors",
        "externalId": "g-1",
    }
    body["members"] = [{"value": ann["id"]}]
    response = scim.post("Groups", body)
    assert response.status_code == 201
    group = response.get_json(force=True)
    assert group["displayName"] == "Kompetens-authors"
    assert group["externalId"] == "g-1"
    assert group["members"] == [{"value": ann["id"], "$ref": ann["meta"]["location"]}]
    assert response.headers["Location"] == group["meta"]["location"]
    assert scim.get(f"Groups/{group['id']}").get_json(force=True) == group


def test_scim_groups_patch_members_as_entra_does(scim: ScimClient, make_user: MakeUser) -> None:
    ann, bo, cy = make_user("ann"), make_user("bo"), make_user("cy")
    group = scim.post("Groups", {"displayName": "Team"}).get_json(force=True)
    add = {"op": "Add", "path": "members", "value": [{"value": ann["id"]}, {"value": bo["id"]}]}
    assert scim.patch(f"Groups/{group['id']}", [add]).status_code == 200
    assert _members(scim, group["id"]) == [ann["id"], bo["id"]]
    again = {"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": cy["id"]}]}
    assert scim.patch(f"Groups/{group['id']}", [again]).status_code == 200
    assert _members(scim, group["id"]) == [ann["id"], bo["id"], cy["id"]]
    remove = {"op": "Remove", "path": "members", "value": [{"value": bo["id"]}]}
    assert scim.patch(f"Groups/{group['id']}", [remove]).status_code == 200
    assert _members(scim, group["id"]) == [ann["id"], cy["id"]]
    by_filter = {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'}
    rename = {"op": "Replace", "path": "displayName", "value": "Team 2"}
    assert scim.patch(f"Groups/{group['id']}", [by_filter, rename]).status_code == 200
    body = scim.get(f"Groups/{group['id']}").get_json(force=True)
    assert body["displayName"] == "Team 2"
    assert [m["value"] for m in body["members"]] == [cy["id"]]
    everyone = {"op": "remove", "path": "members"}
    assert scim.patch(f"Groups/{group['id']}", [everyone]).status_code == 200
    assert _members(scim, group["id"]) == []


def test_scim_groups_version_moves_with_members(scim: ScimClient, make_user: MakeUser) -> None:
    ann = make_user("ann")
    group = scim.post("Groups", {"displayName": "Team"}).get_json(force=True)
    add = {"op": "add", "path": "members", "value": [{"value": ann["id"]}]}
    changed = scim.patch(
        f"Groups/{group['id']}", [add], headers={"If-Match": group["meta"]["version"]}
    )
    assert changed.get_json(force=True)["meta"]["version"] != group["meta"]["version"]
    stale = scim.patch(
        f"Groups/{group['id']}", [add], headers={"If-Match": group["meta"]["version"]}
    )
    assert_error(stale, 412)


def test_scim_groups_unknown_member_is_invalid_and_stores_nothing(
    scim: ScimClient, make_user: MakeUser
) -> None:
    ann = make_user("ann")
    group = scim.post("Groups", {"displayName": "Team"}).get_json(force=True)
    bad = {"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": "99999"}]}
    assert_error(scim.patch(f"Groups/{group['id']}", [bad]), 400, "invalidValue")
    assert _members(scim, group["id"]) == []
    assert_error(
        scim.post("Groups", {"displayName": "X", "members": [{"value": "x"}]}), 400, "invalidValue"
    )
    assert_error(scim.post("Groups", {"members": []}), 400, "invalidValue")
    assert scim.get("Groups").get_json(force=True)["totalResults"] == 1


def test_scim_groups_filters(scim: ScimClient, make_user: MakeUser) -> None:
    ann = make_user("ann")
    first = scim.post("Groups", {"displayName": "Kompetens-admins", "externalId": "E1"})
    second = scim.post("Groups", {"displayName": "Others", "members": [{"value": ann["id"]}]})
    first_id, second_id = first.get_json(force=True)["id"], second.get_json(force=True)["id"]

    def ids(expression: str) -> list[str]:
        body = scim.get("Groups", query_string={"filter": expression}).get_json(force=True)
        return [g["id"] for g in body["Resources"]]

    assert ids('displayName eq "kompetens-ADMINS"') == [first_id]
    assert ids('externalId eq "E1"') == [first_id]
    assert ids(f'members[value eq "{ann["id"]}"]') == [second_id]
    assert ids(f'members.value eq "{ann["id"]}" or displayName sw "komp"') == [first_id, second_id]
    assert_error(
        scim.get("Groups", query_string={"filter": 'userName eq "x"'}), 400, "invalidFilter"
    )


def test_scim_groups_delete(scim: ScimClient, make_user: MakeUser) -> None:
    ann = make_user("ann")
    group = scim.post("Groups", {"displayName": "T", "members": [{"value": ann["id"]}]})
    group_id = group.get_json(force=True)["id"]
    assert scim.delete(f"Groups/{group_id}").status_code == 204
    assert_error(scim.get(f"Groups/{group_id}"), 404)
    # The member's account is untouched.
    assert scim.get(f"Users/{ann['id']}").status_code == 200


def test_scim_groups_deleted_user_leaves_the_member_list(
    scim: ScimClient, make_user: MakeUser
) -> None:
    ann, bo = make_user("ann"), make_user("bo")
    members = [{"value": ann["id"]}, {"value": bo["id"]}]
    group_id = scim.post("Groups", {"displayName": "T", "members": members}).get_json(force=True)[
        "id"
    ]
    assert scim.delete(f"Users/{ann['id']}").status_code == 204
    assert _members(scim, group_id) == [bo["id"]]
