"""Sign-in by SAML 2.0: this service is a service provider (SP) of a municipal federation.

The flow (SAML profiles §4.1, Web Browser SSO): ``start_sign_in`` records an
AuthnRequest and sends the browser to the IdP (HTTP-Redirect); the IdP posts its
Response to the ACS (HTTP-POST), where ``finish_sign_in`` accepts it only when every
check holds: the issuer is an IdP of our metadata, the answer is InResponseTo a request
of ours not answered yet, the assertion is signed by that IdP's key (pysaml2 and
xmlsec1), it is meant for us (audience, recipient and destination), it is inside its
time window, and its id was never used before. Refusals are ``SamlRefused`` with a
reason for people; nothing is stored then (the caller rolls back).

Accounts (accounts/saml_accounts.py) are found by the link (IdP, NameID), never by a
claim alone. Logout (``logout_redirect``, ``answer_logout_request``) follows SAML
profiles §4.4 over HTTP-Redirect.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from lxml import etree
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.response import AuthnResponse, StatusError, UnsolicitedResponse
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NameID
from saml2.sigver import MissingKey, SignatureError, verify_redirect_signature
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from accounts import saml_accounts, saml_config
from accounts.models import User
from accounts.saml_models import SamlAssertion, SamlRequest
from core.db import db
from core.errors import AppError
from core.i18n import N_

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
log = logging.getLogger(__name__)
_MAX_RESPONSE = 256 * 1024  # a Response is a few KiB; more is not an IdP's answer

# Why a sign-in was refused, as the person is told (translated on the page).
REASONS = {
    "malformed": N_("The answer from your organisation's sign-in could not be read."),
    "unknown_issuer": N_(
        "The answer came from an identity provider that this service does not trust."
    ),
    "unsolicited": N_(
        "The answer does not belong to a sign-in started here. Start again from the sign-in page."
    ),
    "replayed": N_("This sign-in answer has been used already. Start again from the sign-in page."),
    "unsigned": N_("The answer from your organisation's sign-in was not signed."),
    "bad_signature": N_(
        "The signature of the answer from your organisation's sign-in is not valid."
    ),
    "audience": N_("The answer from your organisation's sign-in was meant for another service."),
    "expired": N_(
        "The answer from your organisation's sign-in has expired. "
        "Start again from the sign-in page."
    ),
    "idp_refused": N_("Your organisation's sign-in did not sign you in."),
    "no_email": N_(
        "Your organisation's sign-in did not give an e-mail address, so no account can be made."
    ),
    "email_taken": N_(
        "An account with your e-mail address exists here already. Ask an administrator to "
        "connect it to your organisation's sign-in."
    ),
    "deactivated": N_("Your account is deactivated. Contact your administrator."),
    "invalid": N_("The answer from your organisation's sign-in was not accepted."),
    "unavailable": N_(
        "Sign-in through your organisation cannot be used just now. Try again in a while, "
        "or contact your administrator."
    ),
}


class SamlRefused(AppError):
    """A SAML sign-in or logout message that is not accepted (403, a reason for people)."""

    status_code = 403

    def __init__(self, reason: str) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason
        if reason == "unavailable":
            self.status_code = 503


def _client() -> Saml2Client:
    """pysaml2's client; when the IdP's metadata cannot be loaded, sign-in is unavailable."""
    try:
        return saml_config.client()
    except Exception as exc:  # pysaml2, the file system or the network: all mean the same
        log.exception("SAML: the IdP's metadata (SAML_IDP_METADATA) could not be loaded")
        raise SamlRefused("unavailable") from exc


@dataclass(frozen=True)
class SignedIn:
    """Who the IdP signed in, and what the session needs for single logout."""

    user: User
    issuer: str
    name_id: str
    name_id_format: str
    session_index: str
    next_path: str


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- Sign-in ------------------------------------------------------------------------------


def start_sign_in(next_path: str) -> str:
    """Record a new AuthnRequest; return the IdP's URL (HTTP-Redirect binding) to go to."""
    saml = _client()
    idps = saml.metadata.identity_providers()
    if len(idps) != 1:
        # A whole federation's metadata needs a discovery service (not built yet): a
        # deployment names its IdP's own metadata.
        log.error("SAML: SAML_IDP_METADATA names %d identity providers, not one", len(idps))
        raise SamlRefused("unavailable")
    request_id, info = saml.prepare_for_authenticate(
        entityid=idps[0], binding=BINDING_HTTP_REDIRECT, response_binding=BINDING_HTTP_POST
    )
    now = _now()
    ttl = timedelta(seconds=int(current_app.config["SAML_REQUEST_TTL"]))
    # Requests never answered go when they can no longer be (the table stays small).
    db.session.execute(delete(SamlRequest).where(SamlRequest.created_at < now - ttl))
    db.session.add(SamlRequest(id=request_id, created_at=now, next_path=next_path[:1000]))
    db.session.flush()
    return dict(info["headers"])["Location"]


def _parse_xml(encoded: str) -> etree._Element:
    """The Response's XML, decoded and parsed safely (no entities, no network)."""
    if not encoded or len(encoded) > _MAX_RESPONSE:
        raise SamlRefused("malformed")
    try:
        xml = base64.b64decode(encoded, validate=True)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(xml, parser)
    except (binascii.Error, ValueError, etree.XMLSyntaxError) as exc:
        raise SamlRefused("malformed") from exc
    if root.tag != f"{{{SAMLP}}}Response":
        raise SamlRefused("malformed")
    return root


def _issuer_of(root: etree._Element) -> str:
    found = root.find(f"{{{SAML}}}Issuer")
    if found is None:
        found = root.find(f"{{{SAML}}}Assertion/{{{SAML}}}Issuer")
    return (found.text or "").strip() if found is not None else ""


def _diagnose(root: etree._Element, entity_id: str, skew: int) -> str:
    """Why pysaml2 refused the answer, read from its (unverified) XML, for the message.

    The refusal itself is pysaml2's; this only picks the words.
    """
    assertions = root.findall(f"{{{SAML}}}Assertion")
    signed = root.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None or any(
        a.find("{http://www.w3.org/2000/09/xmldsig#}Signature") is not None for a in assertions
    )
    if not signed:
        return "unsigned"
    acs = saml_config.endpoints().acs
    if root.get("Destination") not in (None, acs):
        return "audience"
    now = datetime.now(UTC)
    for assertion in assertions:
        audiences = [a.text for a in assertion.iter(f"{{{SAML}}}Audience")]
        recipients = [
            c.get("Recipient") for c in assertion.iter(f"{{{SAML}}}SubjectConfirmationData")
        ]
        if (audiences and entity_id not in audiences) or any(r != acs for r in recipients):
            return "audience"
        for element in assertion.iter(
            f"{{{SAML}}}Conditions", f"{{{SAML}}}SubjectConfirmationData"
        ):
            after = element.get("NotOnOrAfter")
            before = element.get("NotBefore")
            if after and _instant(after) <= now - timedelta(seconds=skew):
                return "expired"
            if before and _instant(before) > now + timedelta(seconds=skew):
                return "expired"
    return "bad_signature"


def _instant(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _verified(saml: Saml2Client, encoded: str, root: etree._Element, request_id: str) -> Any:
    """pysaml2's checks of the answer to ``request_id`` (signature, audience, time...)."""
    skew = int(current_app.config["SAML_CLOCK_SKEW"])
    try:
        answer = saml.parse_authn_request_response(
            encoded, BINDING_HTTP_POST, outstanding={request_id: request_id}
        )
    except UnsolicitedResponse as exc:
        raise SamlRefused("unsolicited") from exc
    except StatusError as exc:
        raise SamlRefused("idp_refused") from exc
    except (SignatureError, MissingKey) as exc:
        raise SamlRefused(_diagnose(root, saml.config.entityid, skew)) from exc
    except Exception as exc:  # pysaml2 raises bare Exception for conditions
        raise SamlRefused(_diagnose(root, saml.config.entityid, skew)) from exc
    if not isinstance(answer, AuthnResponse) or answer.assertion is None:
        raise SamlRefused(_diagnose(root, saml.config.entityid, skew))
    # SAML profiles §4.1.4.2 asks a bearer assertion for an AudienceRestriction naming
    # us (pysaml2 accepts an assertion without Conditions) and for a Recipient that is
    # our ACS location (pysaml2 checks it only when given conversation info).
    conditions = answer.assertion.conditions
    audiences = [
        audience.text
        for restriction in (conditions.audience_restriction if conditions else None) or []
        for audience in restriction.audience or []
    ]
    if saml.config.entityid not in audiences:
        raise SamlRefused("audience")
    acs = saml_config.endpoints().acs
    confirmations = answer.assertion.subject.subject_confirmation or []
    if not confirmations or any(
        c.subject_confirmation_data is None or c.subject_confirmation_data.recipient != acs
        for c in confirmations
    ):
        raise SamlRefused("audience")
    return answer


def finish_sign_in(encoded: str) -> SignedIn:
    """Check the IdP's Response (the ACS's ``SAMLResponse``) and find or make the account."""
    saml = _client()
    root = _parse_xml(encoded)
    issuer = _issuer_of(root)
    if issuer not in saml.metadata.identity_providers():
        raise SamlRefused("unknown_issuer")
    request_id = root.get("InResponseTo") or ""
    sent = db.session.get(SamlRequest, request_id, with_for_update=True) if request_id else None
    ttl = timedelta(seconds=int(current_app.config["SAML_REQUEST_TTL"]))
    if sent is None or sent.created_at < _now() - ttl:
        raise SamlRefused("unsolicited")
    answer = _verified(saml, encoded, root, request_id)
    assertion = answer.assertion
    _use_once(issuer, str(assertion.id), assertion)
    if sent.answered_at is not None:
        raise SamlRefused("replayed")  # a second answer to one request
    sent.answered_at = _now()
    name_id = answer.name_id
    if not isinstance(name_id, NameID) or not (name_id.text or "").strip():
        raise SamlRefused("invalid")
    try:
        user = saml_accounts.account_for(issuer, name_id.text.strip(), _attributes(assertion))
    except saml_accounts.AccountRefused as exc:
        raise SamlRefused(exc.reason) from exc
    return SignedIn(
        user=user,
        issuer=issuer,
        name_id=name_id.text.strip(),
        name_id_format=name_id.format or "",
        session_index=_session_index(assertion),
        next_path=sent.next_path,
    )


def _use_once(issuer: str, assertion_id: str, assertion: Any) -> None:
    """Record the assertion's id; one recorded before (any worker, any node) is a replay."""
    if db.session.get(SamlAssertion, (issuer, assertion_id)) is not None:
        raise SamlRefused("replayed")
    conditions = assertion.conditions
    ends = (
        _instant(conditions.not_on_or_after) if conditions and conditions.not_on_or_after else None
    )
    skew = timedelta(seconds=int(current_app.config["SAML_CLOCK_SKEW"]))
    expires = (ends.astimezone(UTC).replace(tzinfo=None) if ends else _now()) + skew
    db.session.execute(delete(SamlAssertion).where(SamlAssertion.expires_at < _now()))
    try:
        with db.session.begin_nested():
            db.session.add(SamlAssertion(issuer=issuer, id=assertion_id, expires_at=expires))
    except IntegrityError as exc:  # the same assertion at another worker at the same time
        raise SamlRefused("replayed") from exc


def _attributes(assertion: Any) -> dict[str, list[str]]:
    """The assertion's attributes by name and by friendly name."""
    found: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            values = [str(v.text).strip() for v in attribute.attribute_value or [] if v.text]
            for key in (attribute.name, attribute.friendly_name):
                if key:
                    found.setdefault(key, []).extend(values)
    return found


def _session_index(assertion: Any) -> str:
    for statement in assertion.authn_statement or []:
        if statement.session_index:
            return str(statement.session_index)
    return ""


# -- Single logout ------------------------------------------------------------------------


def logout_redirect(
    issuer: str, name_id: str, name_id_format: str, session_index: str
) -> str | None:
    """The IdP's URL with our LogoutRequest, or None when the IdP has no logout service."""
    saml = _client()
    try:
        services = saml.metadata.single_logout_service(issuer, BINDING_HTTP_REDIRECT, "idpsso")
    except (UnknownPrincipal, UnsupportedBinding):
        return None
    if not services:
        return None
    destination = services[0]["location"]
    subject = NameID(text=name_id, format=name_id_format or None)
    signing = saml.config.getattr("logout_requests_signed", "sp")
    _, request = saml.create_logout_request(
        destination,
        issuer,
        name_id=subject,
        session_indexes=[session_index] if session_index else None,
        sign=False,
    )
    info = saml.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(request),
        destination,
        sign=bool(signing),
        sigalg=saml.signing_algorithm if signing else None,
    )
    return str(dict(info["headers"])["Location"])


def _redirect_signed(saml: Saml2Client, args: dict[str, str]) -> str:
    """The issuer of an HTTP-Redirect message whose query signature its key made.

    SAML bindings §3.4.4.1: the signature covers the query's parameters, so it is
    checked here against the keys of the issuer the message names in our metadata
    (pysaml2 checks it for an SP only when told the IdP role wants it).
    """
    if not args.get("Signature") or not args.get("SigAlg"):
        raise SamlRefused("unsigned")
    try:
        xml = saml.unravel(args["SAMLRequest"], BINDING_HTTP_REDIRECT, "LogoutRequest")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    except Exception as exc:  # base64, deflate or XML: all mean unreadable
        raise SamlRefused("malformed") from exc
    issuer = _issuer_of(root)
    if issuer not in saml.metadata.identity_providers():
        raise SamlRefused("unknown_issuer")
    for _, cert in saml.metadata.certs(issuer, "idpsso", "signing"):
        try:
            if verify_redirect_signature(args, saml.sec.sec_backend, cert):
                return issuer
        except Exception:  # noqa: S112  (a key that does not fit: try the next)
            continue
    raise SamlRefused("bad_signature")


def answer_logout_request(args: dict[str, str]) -> str:
    """Accept the IdP's signed LogoutRequest: end the person's sessions; the IdP's return URL.

    ``args`` are the query's SAMLRequest, RelayState, SigAlg and Signature. Only a
    signed request is believed (anyone can send a browser here).
    """
    saml = _client()
    _redirect_signed(saml, args)
    encoded, relay_state = args["SAMLRequest"], args.get("RelayState", "")
    try:
        parsed = saml.parse_logout_request(
            encoded,
            BINDING_HTTP_REDIRECT,
            relay_state=relay_state,
        )
    except Exception as exc:  # pysaml2 raises many kinds on bad input
        raise SamlRefused("bad_signature") from exc
    if parsed is None:
        raise SamlRefused("bad_signature")
    message = parsed.message
    issuer = (message.issuer.text or "").strip() if message.issuer is not None else ""
    if issuer not in saml.metadata.identity_providers():
        raise SamlRefused("unknown_issuer")
    if message.name_id is not None and message.name_id.text:
        saml_accounts.end_sessions(issuer, message.name_id.text.strip())
    response = saml.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
    services = saml.metadata.single_logout_service(issuer, BINDING_HTTP_REDIRECT, "idpsso")
    destination = services[0].get("response_location") or services[0]["location"]
    signing = saml.config.getattr("logout_requests_signed", "sp")
    info = saml.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        destination,
        relay_state,
        response=True,
        sign=bool(signing),
        sigalg=saml.signing_algorithm if signing else None,
    )
    return str(dict(info["headers"])["Location"])


def check_logout_response(encoded: str) -> None:
    """Read the IdP's LogoutResponse (our session has ended already; nothing else to do)."""
    saml = _client()
    try:
        saml.parse_logout_request_response(encoded, BINDING_HTTP_REDIRECT)
    except Exception as exc:  # pysaml2 raises many kinds on bad input
        raise SamlRefused("invalid") from exc
