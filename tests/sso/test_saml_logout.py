"""Single logout through the test IdP: ours (SP-initiated) and the IdP's."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask

from tests.sso.fixtures import idp_answer


def _signed_in_client(app: Flask, idp: Any) -> Any:
    client = app.test_client()
    location = client.get("/saml/login").headers["Location"]
    assert (
        client.post("/saml/acs", data={"SAMLResponse": idp_answer(idp, location)}).status_code
        == 302
    )
    return client


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _local(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def test_saml_logout_signs_out_here_and_at_the_idp(saml_app: Flask, saml_idp: Any) -> None:
    client = _signed_in_client(saml_app, saml_idp)
    page = client.get("/").get_data(as_text=True)
    assert 'action="/saml/logout"' in page  # the sign-out button goes by the IdP
    with client.session_transaction() as session:
        token = session["csrf"]
    answer = client.post("/saml/logout", data={"csrf_token": token})
    assert answer.status_code == 200  # a page that goes on to the IdP (meta refresh)
    found = re.search(r'<a href="([^"]+)">', answer.get_data(as_text=True).split("<main", 1)[1])
    assert found is not None
    location = html.unescape(found.group(1))
    assert location.startswith(f"{saml_idp.url}/slo?")
    assert "Signature=" in location  # our LogoutRequest is signed
    assert client.get("/").status_code == 302  # signed out here at once
    back = saml_idp._slo(_query(location))
    assert saml_idp.logouts[-1] == "a1b2c3-lea"
    done = client.get(_local(back))
    assert done.status_code == 302
    assert done.headers["Location"].startswith("/login")


def test_saml_logout_needs_the_csrf_token(saml_app: Flask, saml_idp: Any) -> None:
    client = _signed_in_client(saml_app, saml_idp)
    assert client.post("/saml/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_saml_idp_logout_request_ends_every_session(saml_app: Flask, saml_idp: Any) -> None:
    first = _signed_in_client(saml_app, saml_idp)
    second = _signed_in_client(saml_app, saml_idp)  # the same person in another browser
    location = saml_idp._logout_everywhere()
    answer = first.get(_local(location))
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(f"{saml_idp.url}/slo?SAMLResponse=")
    assert first.get("/").status_code == 302
    assert second.get("/").status_code == 302


def test_saml_idp_logout_request_must_be_signed(saml_app: Flask, saml_idp: Any) -> None:
    client = _signed_in_client(saml_app, saml_idp)
    query = _query(saml_idp._logout_everywhere())
    unsigned = {k: v for k, v in query.items() if k not in ("Signature", "SigAlg")}
    answer = client.get("/saml/sls?" + urlencode(unsigned))
    assert answer.status_code == 403
    assert client.get("/").status_code == 200
    forged = dict(query, Signature=query["Signature"][:-8] + "AAAAAAA=")
    assert client.get("/saml/sls?" + urlencode(forged)).status_code == 403
    assert client.get("/").status_code == 200


def test_saml_logout_after_password_sign_in_is_the_usual_one(client: Any, app: Flask) -> None:
    assert client.post("/saml/logout").status_code in (400, 404)
