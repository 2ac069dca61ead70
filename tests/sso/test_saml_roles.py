"""Who may reach the SAML pages: everyone, signed in or not, in every role.

The metadata is for the federation, the sign-in and its refusal page are for people not
signed in yet; none of them shows anything of an account. Signing out by the IdP needs
the session's CSRF token, whatever the role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import signed_in
from tests.portal.conftest import CSRF, Portal, post

ROLES = (None, "learner", "author", "manager", "admin")


@pytest.fixture
def as_role(saml_app: Flask) -> Callable[[str | None], FlaskClient]:
    """A client of nobody (None) or of a new account in the role, signed in."""
    portal = Portal(saml_app)

    def make(role: str | None) -> FlaskClient:
        client = saml_app.test_client()
        if role is None:
            return client
        return signed_in(client, portal.user(f"{role}@example.org", role=role), CSRF)

    return make


@pytest.mark.parametrize("role", ROLES)
def test_saml_metadata_for_every_role(as_role: Any, role: str | None) -> None:
    answer = as_role(role).get("/saml/metadata")
    assert answer.status_code == 200
    assert "EntityDescriptor" in answer.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_saml_login_leads_to_the_idp_for_every_role(
    as_role: Any, saml_idp: Any, role: str | None
) -> None:
    answer = as_role(role).get("/saml/login")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"{saml_idp.url}/sso?SAMLRequest=")


@pytest.mark.parametrize("role", ROLES)
def test_saml_refusal_page_for_every_role_signs_in_nobody(as_role: Any, role: str | None) -> None:
    client = as_role(role)
    answer = client.post("/saml/acs", data={"SAMLResponse": "bm90IGEgcmVzcG9uc2U="})
    assert answer.status_code == 403
    assert "Sign-in through your organisation failed" in answer.get_data(as_text=True)
    # Whoever was signed in still is, and nobody else is.
    assert client.get("/").status_code == (302 if role is None else 200)


@pytest.mark.parametrize("role", ROLES[1:])
def test_saml_logout_for_every_role_needs_the_token(as_role: Any, role: str) -> None:
    client = as_role(role)
    assert client.post("/saml/logout", data={"csrf_token": "wrong"}).status_code == 400
    assert client.get("/").status_code == 200
    answer = post(client, "/saml/logout")
    assert answer.status_code == 302  # signed in by password: no IdP to tell
    assert client.get("/").status_code == 302


def test_saml_logout_anonymous_is_refused(saml_app: Flask) -> None:
    client = saml_app.test_client()
    assert client.post("/saml/logout", data={"csrf_token": CSRF}).status_code == 400
