"""SAML sign-in over HTTP, through the test IdP: accepted answers and hostile ones."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from accounts import service
from accounts.models import AuditEvent, User
from accounts.saml_models import SamlLink, SamlRequest
from core.db import db
from tests.sso.fixtures import decoded, idp_answer, person


def _users(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def _start(client: Any) -> str:
    answer = client.get("/saml/login?next=/my")
    assert answer.status_code == 302
    return str(answer.headers["Location"])


def test_saml_signin_makes_account_and_session(saml_app: Flask, saml_idp: Any) -> None:
    client = saml_app.test_client()
    response = idp_answer(saml_idp, _start(client))
    answer = client.post("/saml/acs", data={"SAMLResponse": response})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert answer.headers["Location"] == "/my"
    assert client.get("/").status_code == 200
    with saml_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "lea.larsson@kommun.example.se"))
        assert user is not None
        assert (user.name, user.role) == ("Lea Larsson", "learner")


def _signed_in(client: Any) -> bool:
    return client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("audience", "meant for another service"),
        ("recipient", "meant for another service"),
        ("destination", "meant for another service"),
        ("no_audience", "meant for another service"),
        ("expired", "has expired"),
        ("bad_signature", "signature of the answer"),
        ("unsigned", "was not signed"),
        ("unknown_issuer", "does not trust"),
        ("status", "did not sign you in"),
    ],
)
def test_saml_acs_refuses_bad_answers(
    saml_app: Flask, saml_idp: Any, mode: str, words: str
) -> None:
    client = saml_app.test_client()
    saml_idp.mode = mode
    response = idp_answer(saml_idp, _start(client))
    answer = client.post("/saml/acs", data={"SAMLResponse": response})
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "Sign-in through your organisation failed" in page
    assert words in page
    assert _users(saml_app) == 0
    assert not _signed_in(client)


def test_saml_acs_refuses_a_replayed_answer(saml_app: Flask, saml_idp: Any) -> None:
    client = saml_app.test_client()
    response = idp_answer(saml_idp, _start(client))
    assert client.post("/saml/acs", data={"SAMLResponse": response}).status_code == 302
    # The same answer again, from another browser (an attacker who copied the POST).
    other = saml_app.test_client()
    answer = other.post("/saml/acs", data={"SAMLResponse": response})
    assert answer.status_code == 403
    assert "has been used already" in answer.get_data(as_text=True)
    assert not _signed_in(other)


def test_saml_acs_refuses_a_second_answer_to_one_request(saml_app: Flask, saml_idp: Any) -> None:
    client = saml_app.test_client()
    location = _start(client)
    first = idp_answer(saml_idp, location)
    second = idp_answer(saml_idp, location)  # a new assertion id, the same InResponseTo
    assert client.post("/saml/acs", data={"SAMLResponse": first}).status_code == 302
    other = saml_app.test_client()
    assert other.post("/saml/acs", data={"SAMLResponse": second}).status_code == 403
    assert not _signed_in(other)


def test_saml_acs_refuses_unsolicited_answers(saml_app: Flask, saml_idp: Any) -> None:
    client = saml_app.test_client()
    response = idp_answer(saml_idp, _start(client))
    # The request it answers is forgotten (expired): the answer belongs to no sign-in.
    with saml_app.app_context():
        db.session.execute(delete(SamlRequest))
        db.session.commit()
    answer = client.post("/saml/acs", data={"SAMLResponse": response})
    assert answer.status_code == 403
    assert "does not belong to a sign-in started here" in answer.get_data(as_text=True)
    assert _users(saml_app) == 0


XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>'
)


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "not base64 at all!",
        base64.b64encode(b"<not-xml").decode(),
        base64.b64encode(b"<a>an element, not a Response</a>").decode(),
        base64.b64encode(XXE.encode()).decode(),
        base64.b64encode(
            b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>"
        ).decode(),
        "A" * 300_000,
    ],
)
def test_saml_acs_refuses_hostile_posts(saml_app: Flask, sent: str) -> None:
    client = saml_app.test_client()
    answer = client.post("/saml/acs", data={"SAMLResponse": sent})
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "Sign-in through your organisation failed" in page
    assert "root:" not in page
    assert _users(saml_app) == 0
    assert not _signed_in(client)


def test_saml_acs_refuses_a_signed_answer_with_another_assertion_spliced_in(
    saml_app: Flask, saml_idp: Any
) -> None:
    """Signature wrapping: a signed assertion kept, an unsigned forged one put first."""
    client = saml_app.test_client()
    xml = decoded(idp_answer(saml_idp, _start(client)))
    start = xml.index("<ns1:Assertion") if "<ns1:Assertion" in xml else xml.index("<saml:Assertion")
    tag = xml[start + 1 : xml.index(" ", start)]
    end = xml.index(f"</{tag}>") + len(f"</{tag}>")
    original = xml[start:end]
    forged = re.sub(
        r"<ds:Signature.*?</ds:Signature>|<ns\d:Signature.*?</ns\d:Signature>",
        "",
        original,
        flags=re.S,
    )
    forged = forged.replace("lea.larsson@kommun.example.se", "ada.admin@example.org").replace(
        'ID="', 'ID="forged'
    )
    wrapped = xml[:start] + forged + original + xml[end:]
    answer = client.post(
        "/saml/acs", data={"SAMLResponse": base64.b64encode(wrapped.encode()).decode()}
    )
    assert answer.status_code == 403
    assert _users(saml_app) == 0


def test_saml_signin_in_swedish_refusal(saml_app: Flask, saml_idp: Any) -> None:
    client = saml_app.test_client()
    saml_idp.mode = "expired"
    response = idp_answer(saml_idp, _start(client))
    answer = client.post(
        "/saml/acs", data={"SAMLResponse": response}, headers={"Accept-Language": "sv-SE"}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403
    assert 'lang="sv"' in page
    assert "Inloggningen via din organisation misslyckades" in page


def test_saml_signin_maps_role_and_unit_and_is_audited(saml_app: Flask, saml_idp: Any) -> None:
    with saml_app.app_context():
        unit = service.create_unit("SOC", "Socialförvaltningen")
        unit_id = unit.id
        db.session.commit()
    saml_idp.person = person(
        eduPersonEntitlement=["urn:kommun:other", "urn:kommun:kompetens:authors"]
    )
    client = saml_app.test_client()
    assert (
        client.post(
            "/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(client))}
        ).status_code
        == 302
    )
    with saml_app.app_context():
        user = db.session.scalar(select(User))
        assert user is not None
        assert (user.role, user.unit_id) == ("author", unit_id)
        actions = list(db.session.scalars(select(AuditEvent.action)))
        assert "signin.sso" in actions
        assert "user.created" in actions


def test_saml_signin_again_uses_the_link_not_the_email(saml_app: Flask, saml_idp: Any) -> None:
    client = saml_app.test_client()
    client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(client))})
    # The IdP now says another e-mail for the same subject: still the same account.
    saml_idp.person = person(mail="lea.new@kommun.example.se")
    again = saml_app.test_client()
    answer = again.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(again))})
    assert answer.status_code == 302
    assert _users(saml_app) == 1


def _local_account(app: Flask, email: str, active: bool = True) -> int:
    with app.app_context():
        user = service.create_user(email, "Lea Local", "correct horse battery staple")
        user.active = active
        db.session.commit()
        return user.id


def test_saml_signin_never_takes_over_a_local_account_by_email(
    saml_app: Flask, saml_idp: Any
) -> None:
    _local_account(saml_app, "lea.larsson@kommun.example.se")
    client = saml_app.test_client()
    answer = client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(client))})
    assert answer.status_code == 403
    assert "exists here already" in answer.get_data(as_text=True)
    assert not _signed_in(client)


def test_saml_signin_links_by_email_when_allowed(saml_app: Flask, saml_idp: Any) -> None:
    local = _local_account(saml_app, "lea.larsson@kommun.example.se")
    saml_app.config["SAML_LINK_BY_EMAIL"] = True
    client = saml_app.test_client()
    answer = client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(client))})
    assert answer.status_code == 302
    with saml_app.app_context():
        link = db.session.scalar(select(SamlLink))
        assert link is not None
        assert link.user_id == local


def test_saml_signin_refuses_a_deactivated_account(saml_app: Flask, saml_idp: Any) -> None:
    saml_app.config["SAML_LINK_BY_EMAIL"] = True
    _local_account(saml_app, "lea.larsson@kommun.example.se", active=False)
    client = saml_app.test_client()
    answer = client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(client))})
    assert answer.status_code == 403
    assert "deactivated" in answer.get_data(as_text=True)
    assert not _signed_in(client)


def test_saml_signin_without_email_makes_no_account(saml_app: Flask, saml_idp: Any) -> None:
    saml_idp.person = {k: v for k, v in person().items() if k != "mail"}
    client = saml_app.test_client()
    answer = client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(client))})
    assert answer.status_code == 403
    assert _users(saml_app) == 0


def test_saml_metadata_names_our_endpoints_and_key(saml_app: Flask) -> None:
    answer = saml_app.test_client().get("/saml/metadata")
    assert answer.status_code == 200
    assert answer.mimetype == "application/samlmetadata+xml"
    xml = answer.get_data(as_text=True)
    assert 'entityID="https://kompetens.test/saml/metadata"' in xml
    assert "http://localhost/saml/acs" in xml
    assert "http://localhost/saml/sls" in xml
    assert "X509Certificate" in xml
    assert "PRIVATE KEY" not in xml


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/saml/metadata"),
        ("get", "/saml/login"),
        ("post", "/saml/acs"),
        ("get", "/saml/sls"),
    ],
)
def test_saml_is_off_when_not_configured(client: Any, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 404


def test_saml_login_page_button_only_when_configured(saml_app: Flask, client: Any) -> None:
    assert "Sign in through your organisation" in saml_app.test_client().get("/login").get_data(
        as_text=True
    )


def test_saml_login_page_has_no_button_when_off(client: Any) -> None:
    assert "Sign in through your organisation" not in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "source", ["{tmp}/missing.xml", "https://127.0.0.1:9/metadata", "http://127.0.0.1:9/md"]
)
def test_saml_signin_unavailable_when_the_metadata_cannot_be_read(
    saml_app: Flask, tmp_path: Any, source: str
) -> None:
    saml_app.config["SAML_IDP_METADATA"] = source.format(tmp=tmp_path)
    answer = saml_app.test_client().get("/saml/login", headers={"Accept-Language": "sv"})
    assert answer.status_code == 503
    assert "kan inte användas just nu" in answer.get_data(as_text=True)


def test_saml_signin_refused_once_the_account_is_deactivated(
    saml_app: Flask, saml_idp: Any
) -> None:
    client = saml_app.test_client()
    client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(client))})
    with saml_app.app_context():
        user = db.session.scalar(select(User))
        assert user is not None
        user.active = False
        db.session.commit()
    again = saml_app.test_client()
    answer = again.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, _start(again))})
    assert answer.status_code == 403
    assert "deactivated" in answer.get_data(as_text=True)
    assert not _signed_in(again)
