"""SAML fixtures for this folder (tests/sso/fixtures.py)."""

from tests.sso.fixtures import saml_app, saml_idp, sp_keys

__all__ = ["saml_app", "saml_idp", "sp_keys"]
