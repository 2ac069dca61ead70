"""Fixtures for SAML sign-in: the test IdP, and the app set up as its service provider."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from tests.sso.saml_idp import SamlIdp, make_key_pair

SP_ENTITY_ID = "https://kompetens.test/saml/metadata"
ROLES_ATTRIBUTE = "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"  # eduPersonEntitlement
UNIT_ATTRIBUTE = "urn:oid:2.5.4.11"  # ou


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    """The test IdP on a free port (its keys made now, in a temporary folder)."""
    idp = SamlIdp(tmp_path_factory.mktemp("saml-idp"))
    idp.start()
    yield idp
    idp.stop()


@pytest.fixture(scope="session")
def sp_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The SP's signing key and certificate, made at test time."""
    return make_key_pair(tmp_path_factory.mktemp("saml-sp"), "sp")


def person(**overrides: Any) -> dict[str, Any]:
    """The attributes the IdP asserts about the person it signs in."""
    values: dict[str, Any] = {
        "name_id": "a1b2c3-lea",
        "mail": "lea.larsson@kommun.example.se",
        "displayName": "Lea Larsson",
        "ou": "SOC",
        "eduPersonEntitlement": ["urn:kommun:kompetens:learners"],
    }
    values.update(overrides)
    return values


def saml_settings(idp: SamlIdp, keys: tuple[Path, Path], **overrides: Any) -> dict[str, Any]:
    settings = {
        "SAML_IDP_METADATA": str(idp.metadata_file),
        "SAML_SP_ENTITY_ID": SP_ENTITY_ID,
        "SAML_SP_KEY_FILE": str(keys[0]),
        "SAML_SP_CERT_FILE": str(keys[1]),
        "SAML_ATTR_UNIT": UNIT_ATTRIBUTE,
        "SAML_ATTR_ROLES": ROLES_ATTRIBUTE,
        "SAML_ROLES": "urn:kommun:kompetens:admins=admin,urn:kommun:kompetens:authors=author",
        "SAML_LINK_BY_EMAIL": False,
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def saml_app(app: Flask, saml_idp: SamlIdp, sp_keys: tuple[Path, Path]) -> Iterator[Flask]:
    """The app with SAML on; the IdP trusts the SP's metadata (at the test client's host)."""
    before = {key: app.config.get(key) for key in saml_settings(saml_idp, sp_keys)}
    app.config.update(saml_settings(saml_idp, sp_keys))
    metadata = app.test_client().get("/saml/metadata").get_data(as_text=True)
    saml_idp.trust_sp(metadata, "http://localhost/saml/sls")
    saml_idp.mode = "ok"
    saml_idp.person = person()
    yield app
    app.config.update(before)
    saml_idp.mode = "ok"


def idp_answer(idp: SamlIdp, location: str) -> str:
    """What the IdP posts back for the AuthnRequest in ``location`` (its SAMLResponse)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    form = idp._sso(query)
    found = re.search(r"name='SAMLResponse' value='([^']*)'", form)
    assert found is not None
    return found.group(1)


def decoded(response: str) -> str:
    return base64.b64decode(response).decode()
