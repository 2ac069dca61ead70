"""Single sign-on by OpenID Connect over HTTP: the callback against hostile answers.

The provider here is one whose ID tokens the test signs itself (tests/sso/providers.py),
served over real HTTP (discovery, JWKS, token endpoint), so every failure a real
provider will not produce goes through the real callback: each one ends on a clear page,
with no account made and nobody signed in. Sign-in through the real provider in a
browser is tests/browser/test_sso_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import OctKey, RSAKey

from tests.portal.conftest import post
from tests.sso.providers import CLIENT_ID, CLIENT_SECRET, FakeProvider, fake_provider

SV = {"Accept-Language": "sv"}


@pytest.fixture(scope="module")
def idp() -> Iterator[FakeProvider]:
    with fake_provider() as provider:
        yield provider


@pytest.fixture
def sso(app, idp) -> Iterator[FakeProvider]:
    """Single sign-on configured against the test's provider, for one test."""
    settings = {
        "OIDC_ISSUER": idp.url,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_NAME": "Kommunens inloggning",
        "OIDC_ROLE_CLAIM": "groups",
        "OIDC_ROLES": "kompetens-admins=admin, kompetens-authors=author",
        "OIDC_UNIT_CLAIM": "unit",
    }
    before = {key: app.config.get(key) for key in [*settings, "OIDC_TRUST_EMAIL"]}
    app.config.update(settings)
    idp.answer = (500, {})
    idp.token_requests.clear()
    yield idp
    app.config.update(before)


def begin(client) -> dict[str, str]:
    """Start a sign-in; the authorization request's parameters the browser is sent with."""
    answer = client.get("/sso/login?next=/my")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    location = urlsplit(answer.headers["Location"])
    return {key: values[0] for key, values in parse_qs(location.query).items()}


def finish(client, params: dict[str, str], **query: str) -> Any:
    return client.get(
        "/sso/callback", query_string={"code": "code-1", "state": params["state"], **query}
    )


def sign_in_with(client, idp: FakeProvider, **changes: Any) -> Any:
    params = begin(client)
    idp.issue(idp.sign(idp.claims(params["nonce"], **changes)))
    return finish(client, params)


def accounts(app) -> list[tuple[str | None, str, str, str | None]]:
    from accounts.models import User

    with app.app_context():
        from core.db import db

        return [
            (u.email, u.name, u.role, u.unit.code if u.unit else None)
            for u in db.session.query(User).order_by(User.id)
        ]


def signed_in_now(client) -> bool:
    """Whether this client has a session (the start page opens rather than sending away)."""
    return client.get("/").status_code == 200


def refused(answer: Any, text: str, status: int = 400) -> None:
    page = answer.get_data(as_text=True)
    assert answer.status_code == status, page
    assert "You have not been signed in" in page
    assert text in page


# -- The flow as it should go ------------------------------------------------------------


def test_sso_authorization_request_has_pkce_state_and_nonce(client, sso):
    params = begin(client)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://localhost/sso/callback"
    assert params["scope"] == "openid email profile"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32
    assert len(params["nonce"]) >= 32
    again = begin(client)
    assert again["state"] != params["state"]
    assert again["nonce"] != params["nonce"]


def test_sso_first_sign_in_makes_the_account_and_signs_in(app, client, sso):
    params = begin(client)
    sso.issue(sso.sign(sso.claims(params["nonce"], groups=["staff", "kompetens-authors"])))
    answer = finish(client, params)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/my"
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "author", None)]
    assert signed_in_now(client)
    # The code went back with the PKCE verifier that matches the challenge, and our secret.
    sent = sso.token_requests[-1]
    verifier = sent["code_verifier"][0]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert challenge.rstrip(b"=").decode() == params["code_challenge"]
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["code"] == ["code-1"]
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert sent["authorization"] == [f"Basic {expected}"]
    from accounts import audit

    with app.app_context():
        events = audit.events(audit.Filter(action="signin.sso"))
        assert [(e.action, e.target_name) for e in events] == [("signin.sso", "ada@example.org")]


def test_sso_maps_the_highest_role_and_the_unit(app, client, sso, portal):
    portal.unit("social", "Socialförvaltningen")
    answer = sign_in_with(
        client, sso, groups=["kompetens-authors", "kompetens-admins"], unit="social"
    )
    assert answer.status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "admin", "social")]


def test_sso_unmapped_person_is_a_learner_without_unit(app, client, sso):
    assert sign_in_with(client, sso, groups="others", unit="nowhere").status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "learner", None)]


def test_sso_finds_the_account_by_subject_after_the_address_changes(app, client, sso):
    assert sign_in_with(client, sso).status_code == 302
    other = app.test_client()
    answer = sign_in_with(other, sso, email="ada.lovelace@example.org", groups="kompetens-admins")
    assert answer.status_code == 302
    # The same account; role and unit are set once, when the account is made.
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "learner", None)]


def test_sso_links_an_existing_account_by_verified_address(app, client, sso, portal):
    portal.user("ada@example.org", role="manager", name="Ada L")
    assert sign_in_with(client, sso, groups="kompetens-admins").status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada L", "manager", None)]
    assert signed_in_now(client)


def test_sso_trusted_addresses_need_no_email_verified(app, client, sso):
    app.config["OIDC_TRUST_EMAIL"] = True
    assert sign_in_with(client, sso, email_verified=None).status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada Lovelace", "learner", None)]


def test_sso_is_off_until_configured(client, app):
    assert app.config["OIDC_ISSUER"] == ""
    assert client.get("/sso/login").status_code == 404
    assert client.get("/sso/callback?state=x&code=y").status_code == 404
    assert "/sso/login" not in client.get("/login").get_data(as_text=True)


def test_sso_login_page_shows_the_button(client, sso):
    page = client.get("/login?next=/my").get_data(as_text=True)
    assert "Kommunens inloggning" in page
    assert "/sso/login?next=/my" in page
    assert 'name="password"' in page


# -- Failures: a clear page, no account, no session ----------------------------------------


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"aud": "someone-else"}, "wrong audience"),
        ({"aud": ["someone-else", CLIENT_ID], "azp": "someone-else"}, "authorized for another"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"iat": None}, "no iat"),
        ({"iss": "https://idp.attacker.example"}, "unknown issuer"),
        ({"nonce": "another-nonce"}, "mismatched nonce"),
        ({"nonce": None}, "no nonce"),
        ({"sub": None}, "no subject"),
    ],
)
def test_sso_refuses_an_id_token_that_fails_a_check(app, client, sso, changes, why):
    answer = sign_in_with(client, sso, **changes)
    refused(answer, "could not be trusted")
    assert accounts(app) == [], why
    assert not signed_in_now(client)


def test_sso_refuses_a_bad_signature(app, client, sso):
    params = begin(client)
    other_key = RSAKey.generate_key(2048, {"kid": "k1"})
    sso.issue(sso.sign(sso.claims(params["nonce"]), key=other_key))
    refused(finish(client, params), "could not be trusted")
    assert accounts(app) == []
    assert not signed_in_now(client)


def test_sso_refuses_a_tampered_token(app, client, sso):
    params = begin(client)
    header, _payload, signature = sso.sign(sso.claims(params["nonce"])).split(".")
    forged = sso.claims(params["nonce"], email="admin@example.org")
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    sso.issue(f"{header}.{body}.{signature}")
    refused(finish(client, params), "could not be trusted")
    assert accounts(app) == []


def test_sso_refuses_tokens_signed_with_the_client_secret_or_unsigned(app, client, sso):
    from joserfc import jwt

    params = begin(client)
    secret = OctKey.import_key(CLIENT_SECRET)
    sso.issue(jwt.encode({"alg": "HS256"}, sso.claims(params["nonce"]), secret))
    refused(finish(client, params), "could not be trusted")
    params = begin(client)
    claims = sso.claims(params["nonce"])
    unsigned = b".".join(
        base64.urlsafe_b64encode(part).rstrip(b"=")
        for part in (b'{"alg":"none"}', json.dumps(claims).encode())
    )
    sso.issue(unsigned.decode() + ".")
    refused(finish(client, params), "could not be trusted")
    assert accounts(app) == []
    assert not signed_in_now(client)


def test_sso_refuses_a_replayed_callback(app, client, sso):
    params = begin(client)
    sso.issue(sso.sign(sso.claims(params["nonce"])))
    assert finish(client, params).status_code == 302
    other = app.test_client()
    refused(finish(other, params), "already used")
    refused(finish(client, params), "already used")
    assert not signed_in_now(other)


def test_sso_refuses_a_mismatched_or_missing_state(app, client, sso):
    params = begin(client)
    sso.issue(sso.sign(sso.claims(params["nonce"])))
    refused(finish(client, {**params, "state": "forged"}), "another window")
    # The sign-in that waited is gone as well: its state works no more.
    refused(finish(client, params), "another window")
    refused(app.test_client().get("/sso/callback?code=c"), "another window")
    assert accounts(app) == []
    assert sso.token_requests == []


def test_sso_refuses_a_callback_from_another_issuer(app, client, sso):
    params = begin(client)
    sso.issue(sso.sign(sso.claims(params["nonce"])))
    refused(finish(client, params, iss="https://idp.attacker.example"), "could not be trusted")
    assert accounts(app) == []
    assert sso.token_requests == []


def test_sso_provider_errors_and_missing_code(app, client, sso):
    params = begin(client)
    refused(finish(client, params, error="access_denied"), "did not sign you in")
    params = begin(client)
    answer = client.get("/sso/callback", query_string={"state": params["state"]})
    refused(answer, "did not sign you in")
    params = begin(client)
    sso.answer = (400, {"error": "invalid_grant"})
    refused(finish(client, params), "could not be reached", 502)
    params = begin(client)
    sso.answer = (200, {"access_token": "at", "token_type": "Bearer"})
    refused(finish(client, params), "could not be trusted")
    assert accounts(app) == []
    assert not signed_in_now(client)


def test_sso_unverified_or_missing_address_makes_no_account(app, client, sso, portal):
    portal.user("ada@example.org", role="admin")
    refused(sign_in_with(client, sso, email_verified=False), "not confirmed", 403)
    refused(sign_in_with(client, sso, email_verified="true"), "not confirmed", 403)
    refused(sign_in_with(client, sso, sub="s2", email=None), "no account can", 403)
    assert [a[0] for a in accounts(app)] == ["ada@example.org"]
    assert not signed_in_now(client)


def test_sso_address_of_a_linked_account_does_not_open_it_to_another(app, client, sso):
    assert sign_in_with(client, sso).status_code == 302
    other = app.test_client()
    refused(sign_in_with(other, sso, sub="subject-2"), "another person", 403)
    assert not signed_in_now(other)
    assert len(accounts(app)) == 1


def test_sso_deactivated_account_cannot_sign_in(app, client, sso, portal):
    from accounts.models import User
    from core.db import db

    assert sign_in_with(client, sso).status_code == 302
    with app.app_context():
        user = db.session.query(User).one()
        user.active = False
        db.session.commit()
    assert not signed_in_now(client)
    refused(sign_in_with(client, sso), "deactivated", 403)
    # Not linked yet, found by address: refused the same, and no link is left behind.
    portal.user("grace@example.org", name="Grace")
    with app.app_context():
        db.session.query(User).filter_by(email="grace@example.org").one().active = False
        db.session.commit()
    refused(sign_in_with(client, sso, sub="s3", email="grace@example.org"), "deactivated", 403)
    assert not signed_in_now(client)


def test_sso_failure_page_is_in_swedish(client, sso):
    answer = client.get("/sso/callback?state=x&code=y", headers=SV)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Du har inte loggats in" in page
    assert 'lang="sv"' in page


def test_sso_discovery_naming_another_issuer_is_refused(app, client, sso):
    # The same server under another name: its discovery document names another issuer.
    app.config["OIDC_ISSUER"] = sso.url.replace("127.0.0.1", "localhost")
    refused(client.get("/sso/login"), "could not be trusted")


def test_sso_provider_out_of_reach(app, client, sso):
    app.config["OIDC_ISSUER"] = sso.url + "/nowhere"
    refused(client.get("/sso/login"), "could not be reached", 502)


# -- Signing out, local passwords off ------------------------------------------------------


def test_sso_sign_out_continues_at_the_provider(app, client, sso):
    params = begin(client)
    id_token = sso.sign(sso.claims(params["nonce"]))
    sso.issue(id_token)
    assert finish(client, params).status_code == 302
    csrf = client.get("/settings").get_data(as_text=True).split('name="csrf_token" value="')[1]
    answer = client.post("/logout", data={"csrf_token": csrf.split('"')[0]})
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{sso.url}/logout"
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert not signed_in_now(client)


def test_password_sign_out_stays_here(client, sso, portal, login):
    user = login(portal.user("lea@example.org"))
    answer = post(user, "/logout")
    assert answer.headers["Location"] == "/login"


@pytest.fixture
def no_passwords(app) -> Iterator[None]:
    app.config["LOCAL_PASSWORDS"] = False
    yield
    app.config["LOCAL_PASSWORDS"] = True


def test_local_passwords_off_hides_and_refuses_the_password(
    app, client, sso, portal, login, no_passwords
):
    portal.user("lea@example.org", password="correct horse")
    page = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in page
    assert "Kommunens inloggning" in page
    with client.session_transaction() as session:
        session["csrf"] = token = "t"
    answer = client.post(
        "/login",
        data={"email": "lea@example.org", "password": "correct horse", "csrf_token": token},
    )
    assert answer.status_code == 403
    assert "turned off" in answer.get_data(as_text=True)
    assert not signed_in_now(client)
    lea = login(portal.user("lena@example.org"))
    assert 'name="current_password"' not in lea.get("/settings").get_data(as_text=True)
    changed = post(
        lea,
        "/settings",
        {
            "action": "password",
            "current_password": "correct horse",
            "password": "x" * 12,
            "password_again": "x" * 12,
        },
    )
    assert changed.status_code == 403
    admin = login(portal.user("boss@example.org", role="admin"))
    with app.app_context():
        from accounts.models import User
        from core.db import db

        lea_id = db.session.query(User).filter_by(email="lea@example.org").one().id
    assert "Reset the password" not in admin.get(f"/admin/users/{lea_id}").get_data(as_text=True)
    reset = post(admin, f"/admin/users/{lea_id}", {"action": "password", "password": "y" * 12})
    assert reset.status_code == 403
    auth = base64.b64encode(b"lea@example.org:correct horse").decode()
    assert (
        client.get("/api/packages/courses", headers={"Authorization": f"Basic {auth}"}).status_code
        == 403
    )


def test_local_passwords_off_the_cli_still_makes_the_first_admin(app, runner, no_passwords):
    result = runner.invoke(args=["users", "create-admin", "ada@example.org", "--name", "Ada"])
    assert result.exit_code == 0, result.output
    assert accounts(app) == [("ada@example.org", "Ada", "admin", None)]


def test_local_passwords_off_first_admin_signs_in_by_sso(app, client, sso, runner, no_passwords):
    runner.invoke(args=["users", "create-admin", "ada@example.org", "--name", "Ada"])
    assert sign_in_with(client, sso).status_code == 302
    assert accounts(app) == [("ada@example.org", "Ada", "admin", None)]
    assert client.get("/admin/users").status_code == 200


# -- Who may reach the pages ----------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "learner", "author", "manager", "admin"])
def test_sso_pages_are_for_everyone_and_sign_in_anew(app, sso, portal, login, role):
    client = app.test_client() if role is None else login(portal.user(f"{role}@x.org", role=role))
    assert client.get("/sso/login").status_code == 302
    refused(client.get("/sso/callback?state=x&code=y"), "another window")
    # A successful sign-in replaces whoever was signed in in this browser.
    assert sign_in_with(client, sso).status_code == 302
    from accounts.models import User
    from core.db import db

    with app.app_context():
        ada = db.session.query(User).filter_by(email="ada@example.org").one()
        assert client.get("/settings").get_data(as_text=True).count(ada.email) == 1


def test_sso_pages_may_send_forms_on_to_the_provider_only(client, sso, app):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert f"form-action 'self' {sso.url};" in policy
    app.config["OIDC_ISSUER"] = ""
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self';" in policy


def test_sso_issuer_setting_may_end_with_a_slash(app, client, sso):
    app.config["OIDC_ISSUER"] = sso.url + "/"
    assert sign_in_with(client, sso).status_code == 302
    assert signed_in_now(client)


def test_local_passwords_off_new_accounts_need_no_password(app, portal, login, no_passwords):
    admin = login(portal.user("ada@example.org", role="admin"))
    assert 'name="password"' not in admin.get("/admin/users").get_data(as_text=True)
    form = {"email": "new@example.org", "name": "New Person", "role": "learner"}
    assert post(admin, "/admin/users", form).status_code == 302
    assert ("new@example.org", "New Person", "learner", None) in accounts(app)


def test_sso_first_sign_in_that_loses_a_race_gets_the_page_not_a_500(app, client, sso, monkeypatch):
    """Two first sign-ins of one person at once: the loser's insert breaks a unique
    constraint. Its savepoint is undone and, with no winner's link to take yet, it gets
    the "start again" page, never a 500 or half an account."""
    from sqlalchemy.exc import IntegrityError

    from accounts import sso as sso_accounts

    real = sso_accounts._link_account

    def racing(*args: Any) -> Any:
        real(*args)
        raise IntegrityError("INSERT", {}, Exception("unique"))

    monkeypatch.setattr(sso_accounts, "_link_account", racing)
    answer = sign_in_with(client, sso)
    assert answer.status_code == 400
    assert "start again" in answer.get_data(as_text=True)
    assert accounts(app) == []
    assert not signed_in_now(client)
