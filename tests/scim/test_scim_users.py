"""SCIM Users: create, read, replace, PATCH as Entra ID sends it, delete, ETags, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from core.db import db
from tests.scim.conftest import ENTERPRISE, MEDIA_TYPE, USER, ScimClient, assert_error

MakeUser = Callable[..., dict[str, Any]]

ENTRA_USER = {
    "schemas": [USER, ENTERPRISE],
    "externalId": "0a1b2c3d-entra-object-id",
    "userName": "Ann.Berg@Example.se",
    "active": True,
    "displayName": "Ann Berg",
    "title": "Socialsekreterare",
    "emails": [{"primary": True, "type": "work", "value": "ann.berg@example.se"}],
    "name": {"givenName": "Ann", "familyName": "Berg"},
    ENTERPRISE: {"employeeNumber": "40112"},
}


def _get(scim: ScimClient, user_id: str) -> dict[str, Any]:
    response = scim.get(f"Users/{user_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json(force=True))


def test_scim_users_post_round_trips_what_entra_sends(scim: ScimClient) -> None:
    response = scim.post("Users", ENTRA_USER)
    assert response.status_code == 201
    assert response.mimetype == MEDIA_TYPE
    body = response.get_json(force=True)
    assert response.headers["Location"] == body["meta"]["location"]
    assert response.headers["ETag"] == body["meta"]["version"]
    for key, value in ENTRA_USER.items():
        assert body[key] == value, key
    assert body["meta"]["resourceType"] == "User"
    assert _get(scim, body["id"]) == body


def test_scim_users_created_person_is_a_learner_without_a_usable_password(
    scim: ScimClient, app: Flask
) -> None:
    from accounts import service
    from accounts.models import User

    user_id = int(scim.post("Users", ENTRA_USER).get_json(force=True)["id"])
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        assert (user.role, user.name) == ("learner", "Ann Berg")
        for guess in ("", "ann.berg@example.se", "Ann Berg", "password"):
            assert service.authenticate_user("ann.berg@example.se", guess, 5, 15) is None


def test_scim_users_without_emails_or_display_name(scim: ScimClient) -> None:
    response = scim.post("Users", {"schemas": [USER], "userName": "kim"})
    assert response.status_code == 201
    body = response.get_json(force=True)
    assert "emails" not in body
    assert body["displayName"] == "kim"
    assert body["active"] is True


@pytest.mark.parametrize(
    ("change", "scim_type"),
    [
        ({"userName": None}, "invalidValue"),
        ({"userName": 12}, "invalidValue"),
        ({"active": "maybe"}, "invalidValue"),
        ({"emails": [{"value": "a@x.se"}, {"value": "b@x.se"}]}, "invalidValue"),
        ({"emails": [{"value": "not-an-address"}]}, "invalidValue"),
        ({"emails": "a@x.se"}, "invalidValue"),
        ({ENTERPRISE: {"manager": {"value": "999999"}}}, "invalidValue"),
        ({"displayName": "x" * 201}, "invalidValue"),
    ],
)
def test_scim_users_post_invalid_is_400_and_stores_nothing(
    scim: ScimClient, change: dict[str, Any], scim_type: str
) -> None:
    assert_error(scim.post("Users", {**ENTRA_USER, **change}), 400, scim_type)
    assert scim.get("Users").get_json(force=True)["totalResults"] == 0


@pytest.mark.parametrize("body", ["not json", "[1, 2]", ""])
def test_scim_users_post_not_an_object_is_invalid_syntax(scim: ScimClient, body: str) -> None:
    response = scim.client.post(
        "/scim/v2/Users",
        data=body,
        content_type=MEDIA_TYPE,
        headers={"Authorization": f"Bearer {scim.token}"},
    )
    assert_error(response, 400, "invalidSyntax")


def test_scim_users_user_name_is_unique_without_regard_to_case(
    scim: ScimClient, make_user: MakeUser
) -> None:
    make_user("ann.berg@example.se")
    assert_error(scim.post("Users", {**ENTRA_USER, "emails": []}), 409, "uniqueness")
    other = make_user("bo@example.se")
    response = scim.patch(
        f"Users/{other['id']}",
        [{"op": "replace", "path": "userName", "value": "ANN.BERG@example.se"}],
    )
    assert_error(response, 409, "uniqueness")


def test_scim_users_email_is_unique(scim: ScimClient, make_user: MakeUser) -> None:
    make_user("ann", emails=[{"value": "ann@example.se"}])
    response = scim.post("Users", {"userName": "ann2", "emails": [{"value": "ANN@example.se"}]})
    assert_error(response, 409, "uniqueness")


def test_scim_users_unknown_and_deleted_are_404(scim: ScimClient, make_user: MakeUser) -> None:
    for path in ("Users/12345", "Users/abc", "Users/-1"):
        assert_error(scim.get(path), 404)
        assert_error(scim.put(path, ENTRA_USER), 404)
        assert_error(scim.patch(path, [{"op": "remove", "path": "title"}]), 404)
        assert_error(scim.delete(path), 404)
    user = make_user()
    assert scim.delete(f"Users/{user['id']}").status_code == 204
    assert_error(scim.get(f"Users/{user['id']}"), 404)
    assert_error(scim.delete(f"Users/{user['id']}"), 404)
    assert scim.get("Users").get_json(force=True)["totalResults"] == 0
    # The userName and the address are free for someone new.
    make_user(user["userName"].upper())


def test_scim_users_put_replaces_every_attribute(scim: ScimClient) -> None:
    user = scim.post("Users", ENTRA_USER).get_json(force=True)
    replacement = {"schemas": [USER], "userName": "ann.berg@example.se", "displayName": "Ann B"}
    response = scim.put(f"Users/{user['id']}", replacement)
    assert response.status_code == 200
    body = response.get_json(force=True)
    for gone in ("title", "emails", "name", "externalId", ENTERPRISE):
        assert gone not in body
    assert body["displayName"] == "Ann B"
    assert body["active"] is True  # not given: left as it was
    assert body["meta"]["version"] != user["meta"]["version"]


def test_scim_users_patch_as_entra_sends_it(scim: ScimClient, make_user: MakeUser) -> None:
    manager = make_user("boss@example.se", displayName="Boss")
    user = scim.post("Users", ENTRA_USER).get_json(force=True)
    operations: list[dict[str, Any]] = [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ann@new.se"},
        {"op": "Replace", "path": "name.givenName", "value": "Anna"},
        {"op": "Add", "path": "title", "value": "Enhetschef"},
        {
            "op": "Add",
            "path": f"{ENTERPRISE}:manager",
            "value": {"value": manager["id"]},
        },
        {"op": "Replace", "value": {"displayName": "Anna Berg", "name.familyName": "Berg-Ek"}},
    ]
    response = scim.patch(f"Users/{user['id']}", operations)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = _get(scim, user["id"])
    assert body["emails"] == [{"value": "ann@new.se", "type": "work", "primary": True}]
    assert body["name"] == {"givenName": "Anna", "familyName": "Berg-Ek"}
    assert body["title"] == "Enhetschef"
    assert body["displayName"] == "Anna Berg"
    assert body[ENTERPRISE]["manager"]["value"] == manager["id"]
    assert body[ENTERPRISE]["employeeNumber"] == "40112"


def test_scim_users_patch_work_email_added_when_there_is_none(
    scim: ScimClient, make_user: MakeUser
) -> None:
    user = make_user("kim")
    op = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "kim@example.se"}
    assert scim.patch(f"Users/{user['id']}", [op]).status_code == 200
    assert _get(scim, user["id"])["emails"] == [{"value": "kim@example.se", "type": "work"}]


def test_scim_users_patch_remove(scim: ScimClient) -> None:
    user = scim.post("Users", ENTRA_USER).get_json(force=True)
    operations = [
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": 'emails[type eq "work"]'},
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": f"{ENTERPRISE}:employeeNumber"},
    ]
    assert scim.patch(f"Users/{user['id']}", operations).status_code == 200
    body = _get(scim, user["id"])
    for gone in ("title", "emails", ENTERPRISE):
        assert gone not in body
    assert body["name"] == {"familyName": "Berg"}


def test_scim_users_patch_active_as_a_string_deactivates(
    scim: ScimClient, make_user: MakeUser
) -> None:
    # Entra ID sends booleans as strings in PATCH.
    user = make_user()
    op = {"op": "Replace", "path": "active", "value": "False"}
    assert scim.patch(f"Users/{user['id']}", [op]).status_code == 200
    assert _get(scim, user["id"])["active"] is False


@pytest.mark.parametrize(
    ("operation", "status", "scim_type"),
    [
        ({"op": "jump", "path": "title", "value": "x"}, 400, "invalidSyntax"),
        ({"op": "replace", "path": "emails[type eq", "value": "x"}, 400, "invalidPath"),
        ({"op": "remove"}, 400, "noTarget"),
        (
            {"op": "replace", "path": 'emails[type eq "home" or value eq "no@x.se"]', "value": {}},
            400,
            "noTarget",
        ),
        ({"op": "replace", "path": "active", "value": "perhaps"}, 400, "invalidValue"),
        ({"op": "add", "path": "title"}, 400, "invalidValue"),
        ({"op": "replace", "path": "userName", "value": None}, 400, "invalidValue"),
    ],
)
def test_scim_users_patch_errors_change_nothing(
    scim: ScimClient, operation: dict[str, Any], status: int, scim_type: str
) -> None:
    user = scim.post("Users", ENTRA_USER).get_json(force=True)
    # A good operation first: the whole PATCH is refused, so it is not stored either.
    good = {"op": "replace", "path": "title", "value": "Changed"}
    assert_error(scim.patch(f"Users/{user['id']}", [good, operation]), status, scim_type)
    assert _get(scim, user["id"]) == user


def test_scim_users_patch_body_must_be_a_patch_op(scim: ScimClient, make_user: MakeUser) -> None:
    user = make_user()
    response = scim.request("PATCH", f"Users/{user['id']}", {"Operations": "all"})
    assert_error(response, 400, "invalidSyntax")


def test_scim_users_unknown_attributes_are_ignored(scim: ScimClient, make_user: MakeUser) -> None:
    response = scim.post("Users", {**ENTRA_USER, "phoneNumbers": [{"value": "1"}], "nickName": "A"})
    assert response.status_code == 201
    body = response.get_json(force=True)
    assert "phoneNumbers" not in body
    assert "nickName" not in body
    op = {"op": "replace", "path": 'phoneNumbers[type eq "mobile"].value', "value": "2"}
    assert scim.patch(f"Users/{body['id']}", [op]).status_code == 200


def test_scim_users_attribute_names_are_case_insensitive(scim: ScimClient) -> None:
    response = scim.post(
        "Users", {"USERNAME": "kim", "DisplayName": "Kim", "NAME": {"GIVENNAME": "Kim"}}
    )
    body = response.get_json(force=True)
    assert (body["userName"], body["displayName"], body["name"]) == (
        "kim",
        "Kim",
        {"givenName": "Kim"},
    )


def test_scim_users_etag_if_match_and_if_none_match(scim: ScimClient, make_user: MakeUser) -> None:
    user = make_user()
    version = user["meta"]["version"]
    current = scim.get(f"Users/{user['id']}")
    assert current.headers["ETag"] == version
    unchanged = scim.get(f"Users/{user['id']}", headers={"If-None-Match": version})
    assert unchanged.status_code == 304
    op = [{"op": "replace", "path": "title", "value": "A"}]
    changed = scim.patch(f"Users/{user['id']}", op, headers={"If-Match": version})
    assert changed.status_code == 200
    new_version = changed.get_json(force=True)["meta"]["version"]
    assert new_version != version
    assert changed.headers["ETag"] == new_version
    # The old version no longer matches: 412, and nothing changes.
    stale = [{"op": "replace", "path": "title", "value": "B"}]
    assert_error(scim.patch(f"Users/{user['id']}", stale, headers={"If-Match": version}), 412)
    assert_error(scim.put(f"Users/{user['id']}", user, headers={"If-Match": version}), 412)
    assert_error(scim.delete(f"Users/{user['id']}", headers={"If-Match": version}), 412)
    assert _get(scim, user["id"])["title"] == "A"
    assert scim.delete(f"Users/{user['id']}", headers={"If-Match": new_version}).status_code == 204


def test_scim_users_last_admin_cannot_be_deactivated(scim: ScimClient, app: Flask) -> None:
    from accounts import service

    with app.app_context():
        admin = service.create_user("boss@example.se", "Boss", "correct horse", role="admin")
        db.session.commit()
        admin_id = admin.id
    assert _get(scim, str(admin_id))["userName"] == "boss@example.se"
    assert_error(scim.delete(f"Users/{admin_id}"), 409)
    op = [{"op": "replace", "path": "active", "value": False}]
    assert_error(scim.patch(f"Users/{admin_id}", op), 409)
    assert _get(scim, str(admin_id))["active"] is True


def test_scim_users_manager_as_entra_sends_it(scim: ScimClient, make_user: MakeUser) -> None:
    boss = make_user("boss", displayName="Boss")
    user = make_user("ann")
    path = f"{ENTERPRISE}:manager"
    set_manager = {"op": "Replace", "path": path, "value": boss["id"]}
    assert scim.patch(f"Users/{user['id']}", [set_manager]).status_code == 200
    assert _get(scim, user["id"])[ENTERPRISE]["manager"]["value"] == boss["id"]
    assert scim.patch(f"Users/{user['id']}", [{"op": "Remove", "path": path}]).status_code == 200
    assert ENTERPRISE not in _get(scim, user["id"])
    myself = {"op": "Replace", "path": path, "value": user["id"]}
    assert_error(scim.patch(f"Users/{user['id']}", [myself]), 400, "invalidValue")
