"""SCIM_GROUP_ROLES: membership of a mapped group gives its role; leaving takes it away."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from accounts.scim import roles
from core import create_app
from core.db import db
from tests.scim.conftest import ScimClient, assert_error

MakeUser = Callable[..., dict[str, Any]]


@pytest.fixture(autouse=True)
def _mapping(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = "Kompetens-admins=admin, Kompetens-authors=author"
    monkeypatch.setitem(app.config, "SCIM_GROUP_ROLES", setting)


def _role(app: Flask, user_id: str) -> str:
    from accounts.models import User

    with app.app_context():
        user = db.session.get(User, int(user_id))
        assert user is not None
        return user.role


def test_scim_roles_follow_mapped_groups(app: Flask, scim: ScimClient, make_user: MakeUser) -> None:
    ann, bo = make_user("ann"), make_user("bo")
    authors = scim.post(
        "Groups", {"displayName": "kompetens-AUTHORS", "members": [{"value": ann["id"]}]}
    ).get_json(force=True)
    assert (_role(app, ann["id"]), _role(app, bo["id"])) == ("author", "learner")
    admins = scim.post("Groups", {"displayName": "Kompetens-admins"}).get_json(force=True)
    add = {"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": bo["id"]}]}
    assert scim.patch(f"Groups/{admins['id']}", [add]).status_code == 200
    assert (_role(app, ann["id"]), _role(app, bo["id"])) == ("admin", "admin")
    leave = {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'}
    assert scim.patch(f"Groups/{admins['id']}", [leave]).status_code == 200
    assert _role(app, ann["id"]) == "author"  # still in the authors' group
    assert scim.delete(f"Groups/{authors['id']}").status_code == 204
    assert _role(app, ann["id"]) == "learner"
    # Renamed to a name no role is mapped to: its members lose the role.
    rename = {"op": "replace", "path": "displayName", "value": "Former admins"}
    # bo is the last admin: the service keeps one (409), and nothing changes.
    assert_error(scim.patch(f"Groups/{admins['id']}", [rename]), 409)
    assert _role(app, bo["id"]) == "admin"


def test_scim_roles_unmapped_groups_leave_roles_alone(
    app: Flask, scim: ScimClient, make_user: MakeUser
) -> None:
    from accounts import service
    from accounts.models import User

    ann = make_user("ann")
    with app.app_context():
        user = db.session.get(User, int(ann["id"]))
        assert user is not None
        service.update_user(user, role="manager")
        db.session.commit()
    group = {"displayName": "Lunch club", "members": [{"value": ann["id"]}]}
    assert scim.post("Groups", group).status_code == 201
    assert _role(app, ann["id"]) == "manager"


@pytest.mark.parametrize("setting", ["admins", "admins=king", "=admin"])
def test_scim_roles_malformed_setting_stops_the_app(setting: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SCIM_GROUP_ROLES"):
        roles.parse(setting)
    with pytest.raises(ValueError, match="SCIM_GROUP_ROLES"):
        create_app(
            {
                "SCIM_GROUP_ROLES": setting,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "INSTANCE_PATH": str(tmp_path),
                "SECRET_KEY": "test",
            }
        )
