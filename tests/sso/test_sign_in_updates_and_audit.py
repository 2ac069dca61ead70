"""What a sign-in leaves behind: the account brought up to date, and the audit log.

With SSO_UPDATE_ACCOUNTS the identity provider is the source of truth for a linked
account's name, role and unit; without it they are set once, when the account is made
(tests/portal/test_sso_oidc.py). Every refused sign-in, by the organisation's sign-in
or by password, is in the audit log with why, and a password never is.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from accounts import audit
from accounts.models import User
from core.db import db
from tests.portal.conftest import login, portal, sign_in
from tests.portal.test_sso_oidc import accounts, idp, sign_in_with, sso
from tests.sso.fixtures import idp_answer, person

# Fixtures from elsewhere, used here too: the OIDC test provider and the portal's helpers.
__all__ = ["idp", "login", "portal", "sso"]


def _log(app: Flask, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    with app.app_context():
        return [
            (e.actor_name, e.target_name, dict(e.details))
            for e in audit.events(audit.Filter(action=action))
        ]


# -- OIDC ------------------------------------------------------------------------------


def test_oidc_sign_in_updates_name_role_and_unit_when_the_provider_rules(
    app, client, sso, portal, monkeypatch
):
    monkeypatch.setitem(app.config, "SSO_UPDATE_ACCOUNTS", True)
    social = portal.unit("social", "Socialförvaltningen")
    assert sign_in_with(client, sso, groups="staff").status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "learner", None)]

    again = app.test_client()
    answer = sign_in_with(again, sso, name="Ada King", groups=["kompetens-authors"], unit="social")
    assert answer.status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada King", "author", "social")]
    changed = _log(app, "user.changed")
    assert changed == [
        (
            "single sign-on",
            "ada@example.org",
            {
                "name": ["Ada Lovelace", "Ada King"],
                "role": ["learner", "author"],
                "unit_id": [None, social],
            },
        )
    ]


def test_oidc_sign_in_leaves_what_the_token_does_not_say(app, client, sso, portal, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_UPDATE_ACCOUNTS", True)
    portal.unit("social", "Socialförvaltningen")
    assert sign_in_with(client, sso, groups="kompetens-authors", unit="social").status_code == 302
    # No groups claim at all, and a unit code no unit has: role and unit stay.
    assert sign_in_with(app.test_client(), sso, groups=None, unit="nowhere").status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "author", "social")]
    # A groups claim that no longer names a mapped group: the person left them.
    assert sign_in_with(app.test_client(), sso, groups=["staff"]).status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "learner", "social")]


def test_oidc_sign_in_never_takes_the_last_admin_role(app, client, sso, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_UPDATE_ACCOUNTS", True)
    assert sign_in_with(client, sso, groups="kompetens-admins").status_code == 302
    answer = sign_in_with(app.test_client(), sso, groups="staff", name="Ada King")
    assert answer.status_code == 302
    # Still the only admin: the role stays, the name follows.
    assert accounts(app) == [("ada@example.org", "Ada King", "admin", None)]


def test_oidc_sign_in_without_the_setting_changes_nothing(app, client, sso, portal):
    portal.unit("social", "Socialförvaltningen")
    assert sign_in_with(client, sso).status_code == 302
    answer = sign_in_with(app.test_client(), sso, groups="kompetens-authors", unit="social")
    assert answer.status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "learner", None)]
    assert _log(app, "user.changed") == []


def test_oidc_refused_sign_in_is_in_the_audit_log(app, client, sso):
    answer = sign_in_with(client, sso, aud="another-client")
    assert answer.status_code == 400
    assert _log(app, "signin.refused") == [
        ("anonymous", "", {"protocol": "oidc", "reason": "untrusted"})
    ]
    assert accounts(app) == []


def test_oidc_refused_sign_in_is_listed_on_the_audit_page(app, client, sso, portal, login):
    sign_in_with(client, sso, email_verified=False)
    admin = login(portal.user("boss@example.org", role="admin"))
    page = admin.get("/admin/audit?action=signin.refused").get_data(as_text=True)
    assert "<td>Sign-in through the organisation's sign-in refused</td>" in page
    assert "Protocol: oidc; Reason: unverified" in page  # the details, named for people


# -- SAML ------------------------------------------------------------------------------


def _saml_sign_in(app: Flask, idp: Any) -> int:
    client = app.test_client()
    location = client.get("/saml/login").headers["Location"]
    answer = client.post("/saml/acs", data={"SAMLResponse": idp_answer(idp, location)})
    return int(answer.status_code)


def test_saml_sign_in_updates_the_account_when_the_idp_rules(
    saml_app: Flask, saml_idp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts import service

    with saml_app.app_context():
        soc = service.create_unit("SOC", "Socialförvaltningen").id
        kul = service.create_unit("KUL", "Kulturförvaltningen").id
        db.session.commit()
    assert _saml_sign_in(saml_app, saml_idp) == 302
    monkeypatch.setitem(saml_app.config, "SSO_UPDATE_ACCOUNTS", True)
    saml_idp.person = person(
        displayName="Lea Berg", ou="KUL", eduPersonEntitlement=["urn:kommun:kompetens:authors"]
    )
    assert _saml_sign_in(saml_app, saml_idp) == 302
    with saml_app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.name, user.role, user.unit_id) == ("Lea Berg", "author", kul)
    assert _log(saml_app, "user.changed")[0][0] == "single sign-on"
    assert soc != kul


def test_saml_refused_sign_in_is_in_the_audit_log(saml_app: Flask, saml_idp: Any) -> None:
    saml_idp.mode = "expired"
    assert _saml_sign_in(saml_app, saml_idp) == 403
    assert _log(saml_app, "signin.refused") == [
        ("anonymous", "", {"protocol": "saml", "reason": "expired"})
    ]
    with saml_app.app_context():
        assert db.session.scalars(select(User)).all() == []


# -- Passwords -------------------------------------------------------------------------


def test_failed_password_sign_ins_are_audited_without_what_was_typed(app, client, portal):
    portal.user("ada@example.org", password="correct horse battery staple")
    app.config["LOCKOUT_ATTEMPTS"], before = 2, app.config["LOCKOUT_ATTEMPTS"]
    try:
        for _ in range(2):
            assert sign_in(client, "ada@example.org", "s3cret-guess").status_code == 401
        assert sign_in(client, "s3cret-typed-in-the-wrong-field", "x").status_code == 401
    finally:
        app.config["LOCKOUT_ATTEMPTS"] = before
    failed = _log(app, "signin.failed")
    assert failed == [
        ("anonymous", "ada@example.org", {"reason": "wrong_password", "locked": True}),
        ("anonymous", "ada@example.org", {"reason": "wrong_password", "locked": False}),
    ]
    with app.app_context():
        everything = repr([(e.target_name, e.details) for e in audit.events(audit.Filter())])
    assert "s3cret" not in everything
