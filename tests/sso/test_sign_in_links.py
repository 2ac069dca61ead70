"""Admins see and remove the links between an account and the organisation's sign-in.

The way out of "your address belongs to an account connected to another person": the
admin removes the old link, and the person's next sign-in links the account again.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from accounts import audit
from accounts.models import SsoLink, User
from accounts.saml_models import SamlLink
from core.db import db
from tests.conftest import signed_in
from tests.portal.conftest import Portal, login, portal, post
from tests.portal.test_sso_oidc import idp, sign_in_with, sso
from tests.sso.fixtures import idp_answer

# Fixtures from elsewhere, used here too: the OIDC test provider and the portal's helpers.
__all__ = ["idp", "login", "portal", "sso"]

SV = {"Accept-Language": "sv"}


def _links(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        oidc = [("oidc", link.subject) for link in db.session.scalars(select(SsoLink))]
        saml = [("saml", link.name_id) for link in db.session.scalars(select(SamlLink))]
        return oidc + saml


def _user_id(app: Flask, email: str) -> int:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return user.id


def _link_id(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalars(select(model.id)).one())


def test_admin_sees_and_removes_an_oidc_link_and_the_person_links_again(
    app, client, sso, portal, login
):
    assert sign_in_with(client, sso).status_code == 302
    ada = _user_id(app, "ada@example.org")
    admin = login(portal.user("boss@example.org", role="admin"))
    page = admin.get(f"/admin/users/{ada}", headers=SV).get_data(as_text=True)
    assert "Inloggning via organisationen" in page
    assert "<code>subject-1</code>" in page
    assert sso.url in page

    # The provider now names someone else "subject-2" with Ada's address: refused.
    other = app.test_client()
    answer = sign_in_with(other, sso, sub="subject-2")
    assert answer.status_code == 403
    # The admin removes the old link: Ada's session ends, and the new identity links.
    form = {"action": "unlink", "kind": "oidc", "link_id": _link_id(app, SsoLink)}
    assert post(admin, f"/admin/users/{ada}", form).status_code == 302
    assert _links(app) == []
    assert client.get("/").status_code == 302  # signed out
    with app.app_context():
        [entry] = audit.events(audit.Filter(action="user.sso_unlinked"))
        assert (entry.actor_name, entry.target_name) == ("boss@example.org", "ada@example.org")
        assert entry.details == {"protocol": "oidc", "provider": sso.url}
    assert sign_in_with(other, sso, sub="subject-2").status_code == 302
    assert _links(app) == [("oidc", "subject-2")]
    assert _user_id(app, "ada@example.org") == ada


def test_admin_removes_a_saml_link(saml_app: Flask, saml_idp: Any) -> None:
    client = saml_app.test_client()
    location = client.get("/saml/login").headers["Location"]
    client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, location)})
    lea = _user_id(saml_app, "lea.larsson@kommun.example.se")
    admin = signed_in(
        saml_app.test_client(), Portal(saml_app).user("boss@example.org", role="admin")
    )
    page = admin.get(f"/admin/users/{lea}").get_data(as_text=True)
    assert "<code>a1b2c3-lea</code>" in page
    form = {"action": "unlink", "kind": "saml", "link_id": _link_id(saml_app, SamlLink)}
    assert post(admin, f"/admin/users/{lea}", form).status_code == 302
    assert _links(saml_app) == []


@pytest.mark.parametrize("role", ["learner", "author", "manager"])
def test_only_admins_remove_links(app, client, sso, portal, login, role):
    sign_in_with(client, sso)
    ada = _user_id(app, "ada@example.org")
    someone = login(portal.user(f"{role}@example.org", role=role))
    form = {"action": "unlink", "kind": "oidc", "link_id": _link_id(app, SsoLink)}
    assert post(someone, f"/admin/users/{ada}", form).status_code == 403
    assert someone.get(f"/admin/users/{ada}").status_code == 403
    assert _links(app) == [("oidc", "subject-1")]


def test_removing_a_link_needs_the_token_and_the_right_account(app, client, sso, portal, login):
    sign_in_with(client, sso)
    ada = _user_id(app, "ada@example.org")
    admin = login(portal.user("boss@example.org", role="admin"))
    link = _link_id(app, SsoLink)
    form = {"action": "unlink", "kind": "oidc", "link_id": link}
    assert (
        admin.post(f"/admin/users/{ada}", data={**form, "csrf_token": "wrong"}).status_code == 400
    )
    other = portal.user("someone@example.org")
    answer = post(admin, f"/admin/users/{other}", form, headers=SV)  # not this account's link
    assert answer.status_code == 404
    assert "Kontot har ingen sådan koppling till inloggningen" in answer.get_data(as_text=True)
    for bad in ({"kind": "ldap"}, {"link_id": "x"}, {"link_id": ""}):
        assert post(admin, f"/admin/users/{ada}", {**form, **bad}).status_code == 404
    assert _links(app) == [("oidc", "subject-1")]
