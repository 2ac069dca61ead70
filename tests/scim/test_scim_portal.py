"""A provisioned person in the portal: without an e-mail address, shown by userName."""

# ruff: noqa: F811  (the portal fixture imported from tests.portal is a parameter here)
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.conftest import signed_in
from tests.portal.conftest import Portal, portal  # noqa: F401  (fixture)
from tests.scim.conftest import ScimClient


def test_scim_portal_person_without_email_is_listed_by_user_name(
    app: Flask, portal: Portal, scim: ScimClient, make_user: Callable[..., dict[str, Any]]
) -> None:
    kim = make_user("kim.sso", displayName="Kim Sso")
    admin = signed_in(app.test_client(), portal.user("boss@example.org", role="admin"))
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "kim.sso" in listing
    assert "None" not in listing
    page = admin.get(f"/admin/users/{kim['id']}").get_data(as_text=True)
    assert "kim.sso" in page
    assert "None" not in page
    # Their own settings page too.
    own = signed_in(app.test_client(), int(kim["id"])).get("/settings")
    assert own.status_code == 200
    assert "kim.sso" in own.get_data(as_text=True)
