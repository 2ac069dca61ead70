"""A real SAML 2.0 identity provider for the tests: pysaml2's IdP in a small WSGI server.

Its keys (and the SP's) are made at test time with ``cryptography``; no private key is
committed. It signs in whoever ``person`` says without asking, and can be told (``mode``)
to answer wrongly: for another audience, expired, with a broken signature, unsigned,
as an unknown issuer, or with a failure status. ``replay`` posts its last answer again.

Addresses: ``/metadata`` (its metadata; ``/metadata-signed`` the same, signed), ``/sso``
(AuthnRequest, HTTP-Redirect: answers with a form that posts the Response to the SP's
ACS), ``/replay``, ``/slo`` (the SP's LogoutRequest; answers a LogoutResponse) and
``/logout-everywhere`` (sends a signed LogoutRequest to the SP: IdP-initiated single
logout).
"""

from __future__ import annotations

import datetime
import html
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.s_utils import rndstr
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import response_from_string
from saml2.server import Server
from saml2.sigver import pre_signature_part, signed_instance_factory
from saml2.time_util import in_a_while
from werkzeug.serving import BaseWSGIServer, make_server

MODES = (
    "ok",
    "audience",
    "recipient",
    "destination",
    "no_audience",
    "expired",
    "bad_signature",
    "unsigned",
    "unknown_issuer",
    "status",
)


def make_key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A new RSA key and a self-signed certificate for it (PEM files in ``folder``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


class SamlIdp:
    """The identity provider on a free local port, in a background thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key_file, self.cert_file = make_key_pair(folder, "idp")
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.entity_id = f"{self.url}/metadata"
        self.metadata_file = folder / "idp-metadata.xml"
        self.metadata_file.write_text(self._metadata())
        self.idp: Server | None = None
        self.mode = "ok"
        self.person: dict[str, Any] = {}
        self.last_form = ""
        self.logouts: list[str] = []  # NameIDs of the LogoutRequests the SP sent
        self.signed_in: NameID | None = None
        self.sp_sls = ""
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- set-up -----------------------------------------------------------------------

    def _config(self, sp_metadata: Path | None) -> IdPConfig:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": shutil.which("xmlsec1"),
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "metadata": {"local": [str(sp_metadata)]} if sp_metadata else {},
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.url}/sso", BINDING_HTTP_REDIRECT)],
                            "single_logout_service": [(f"{self.url}/slo", BINDING_HTTP_REDIRECT)],
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    }
                },
            }
        )
        return config

    def _metadata(self, sign: bool = False) -> str:
        made = create_metadata_string(None, config=self._config(None), sign=sign)
        return made.decode() if isinstance(made, bytes) else str(made)

    def trust_sp(self, sp_metadata_xml: str, sp_sls: str) -> None:
        """Know the SP (its metadata, as it publishes it at /saml/metadata)."""
        path = self.folder / "sp-metadata.xml"
        path.write_text(sp_metadata_xml)
        self.idp = Server(config=self._config(path))
        self.sp_sls = sp_sls

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    # -- the web server ---------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        status, headers, body = "404 Not Found", [("Content-Type", "text/plain")], "not found"
        if path in ("/metadata", "/metadata-signed"):
            # Signed as a federation signs what it publishes (with the IdP's own key here).
            signed = path == "/metadata-signed"
            status, body = "200 OK", self._metadata(sign=True) if signed else self._metadata()
            headers = [("Content-Type", "application/samlmetadata+xml")]
        elif path == "/sso":
            status, body = "200 OK", self._sso(query)
            headers = [("Content-Type", "text/html; charset=utf-8")]
        elif path == "/replay":
            status, body = "200 OK", self.last_form
            headers = [("Content-Type", "text/html; charset=utf-8")]
        elif path == "/slo" and "SAMLResponse" in query:  # the SP's answer to ours
            status, body = "200 OK", "<!doctype html><title>Signed out</title><p>Signed out</p>"
            headers = [("Content-Type", "text/html; charset=utf-8")]
        elif path == "/slo":
            status, body = "303 See Other", ""
            headers = [("Location", self._slo(query))]
        elif path == "/logout-everywhere":
            status, body = "303 See Other", ""
            headers = [("Location", self._logout_everywhere())]
        start_response(status, headers)
        return [body.encode()]

    def _sso(self, query: dict[str, str]) -> str:
        assert self.idp is not None, "trust_sp first"
        parsed = self.idp.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        request = parsed.message
        acs = request.assertion_consumer_service_url
        response = self._response(request.id, acs, str(request.issuer.text))
        self.last_form = (
            "<!doctype html><html lang='en'><head><title>Test IdP</title></head><body>"
            f"<form method='post' action='{html.escape(acs)}'>"
            f"<input type='hidden' name='SAMLResponse' value='{html.escape(response)}'>"
            "<input type='hidden' name='RelayState' "
            f"value='{html.escape(query.get('RelayState', ''))}'>"
            "<button type='submit'>Continue</button></form>"
            "<script>document.forms[0].submit()</script></body></html>"
        )
        return self.last_form

    def _response(self, request_id: str, acs: str, sp_entity_id: str) -> str:
        """The Response (base64) to the AuthnRequest, made as ``mode`` says."""
        import base64

        assert self.idp is not None
        person = dict(self.person)
        name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=person.pop("name_id"))
        identity = {
            key: value if isinstance(value, list) else [value] for key, value in person.items()
        }
        made = self.idp.create_authn_response(
            identity,
            in_response_to=request_id,
            destination=acs,
            sp_entity_id=sp_entity_id,
            name_id=name_id,
            sign_assertion=False,
            sign_response=False,
            authn={
                "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            },
        )
        response = response_from_string(made) if isinstance(made, str | bytes) else made
        assertion = (
            response.assertion[0] if isinstance(response.assertion, list) else response.assertion
        )
        if self.mode == "status":
            response.status.status_code.value = "urn:oasis:names:tc:SAML:2.0:status:Responder"
        if self.mode == "audience":
            assertion.conditions.audience_restriction[0].audience[
                0
            ].text = "https://other.example.org/sp"
        if self.mode == "recipient":
            for confirmation in assertion.subject.subject_confirmation:
                confirmation.subject_confirmation_data.recipient = "https://other.example.org/acs"
        if self.mode == "no_audience":
            assertion.conditions.audience_restriction = []
        if self.mode == "destination":
            response.destination = "https://other.example.org/acs"
        if self.mode == "expired":
            past = in_a_while(minutes=-10)
            assertion.conditions.not_on_or_after = past
            for confirmation in assertion.subject.subject_confirmation:
                confirmation.subject_confirmation_data.not_on_or_after = past
        if self.mode == "unknown_issuer":
            response.issuer.text = assertion.issuer.text = (
                "https://idp.elsewhere.example.org/metadata"
            )
        xml: str
        if self.mode == "unsigned":
            xml = response.to_string().decode()
        else:
            assertion.signature = pre_signature_part(assertion.id, self.idp.sec.my_cert, 1)
            signed = signed_instance_factory(
                response,
                self.idp.sec,
                [("urn:oasis:names:tc:SAML:2.0:assertion:Assertion", assertion.id)],
            )
            xml = signed if isinstance(signed, str) else signed.to_string().decode()
        if self.mode == "bad_signature":
            # Changed after signing: the person claims another e-mail address.
            xml = xml.replace(str(self.person["mail"]), "ada.admin@example.org")
        self.signed_in = name_id
        return base64.b64encode(xml.encode()).decode()

    def _slo(self, query: dict[str, str]) -> str:
        """The SP's LogoutRequest: note it, and answer success to the SP's SLS."""
        assert self.idp is not None
        parsed = self.idp.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        self.logouts.append(str(parsed.message.name_id.text))
        response = self.idp.create_logout_response(parsed.message, [BINDING_HTTP_REDIRECT])
        info = self.idp.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            self.sp_sls,
            query.get("RelayState", ""),
            response=True,
        )
        return str(dict(info["headers"])["Location"])

    def _logout_everywhere(self) -> str:
        """IdP-initiated single logout of the last person signed in: a signed LogoutRequest."""
        assert self.idp is not None
        assert self.signed_in is not None
        _, request = self.idp.create_logout_request(
            self.sp_sls,
            self.entity_id,
            name_id=self.signed_in,
            sign=False,
            expire=in_a_while(minutes=5),
            message_id=rndstr(),
        )
        info = self.idp.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(request),
            self.sp_sls,
            "",
            sign=True,
            sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        )
        return str(dict(info["headers"])["Location"])


__all__ = ["BINDING_HTTP_POST", "MODES", "SamlIdp", "make_key_pair"]
