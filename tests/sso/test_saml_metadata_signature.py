"""The IdP's metadata fetched by URL, and the federation's signature on it.

Federations (Fedkom, Sambi, SWAMID) publish metadata signed with a key whose certificate
members configure (SAML_IDP_METADATA_CERT). With it, metadata that is unsigned or signed
by another key is not trusted, and sign-in is unavailable rather than open to whoever
served the file; plain http:// is allowed only when the signature is checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.sso.fixtures import idp_answer

SV = {"Accept-Language": "sv"}


def _use(app: Flask, monkeypatch: pytest.MonkeyPatch, source: str, cert: str = "") -> None:
    monkeypatch.setitem(app.config, "SAML_IDP_METADATA", source)
    monkeypatch.setitem(app.config, "SAML_IDP_METADATA_CERT", cert)


def _unavailable(app: Flask) -> None:
    answer = app.test_client().get("/saml/login", headers=SV)
    assert answer.status_code == 503
    assert "kan inte användas just nu" in answer.get_data(as_text=True)


def test_signed_metadata_with_the_federations_certificate_signs_in(
    saml_app: Flask, saml_idp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(saml_app, monkeypatch, f"{saml_idp.url}/metadata-signed", str(saml_idp.cert_file))
    client = saml_app.test_client()
    location = client.get("/saml/login").headers["Location"]
    assert location.startswith(f"{saml_idp.url}/sso?SAMLRequest=")
    answer = client.post("/saml/acs", data={"SAMLResponse": idp_answer(saml_idp, location)})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_unsigned_metadata_is_refused_when_a_signature_is_expected(
    saml_app: Flask, saml_idp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(saml_app, monkeypatch, f"{saml_idp.url}/metadata", str(saml_idp.cert_file))
    _unavailable(saml_app)


def test_metadata_signed_by_another_key_is_refused(
    saml_app: Flask, saml_idp: Any, sp_keys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(saml_app, monkeypatch, f"{saml_idp.url}/metadata-signed", str(sp_keys[1]))
    _unavailable(saml_app)


def test_metadata_over_plain_http_needs_the_certificate(
    saml_app: Flask, saml_idp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(saml_app, monkeypatch, f"{saml_idp.url}/metadata-signed")
    _unavailable(saml_app)
