"""SAML pages: our metadata, sign-in through the organisation, the ACS and single logout.

Thin: accounts/saml.py does the SAML. A blueprint of its own, because the IdP's answers
arrive as cross-site POSTs that carry no portal CSRF token: they are checked by their
signatures instead (the portal's CSRF check is the portal blueprint's). Every refusal
is drawn as one page in the user's language, and nothing is stored (rolled back).
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import audit, saml, saml_config
from accounts.auth import current_user, sign_in, sign_out
from core.db import db
from core.errors import NotFound
from portal import csrf
from portal.views.common import safe_next

bp = Blueprint("saml", __name__, url_prefix="/saml")


@bp.before_request
def require_saml() -> None:
    """Every SAML address is 404 while SAML is not configured."""
    if not saml_config.enabled():
        raise NotFound("Single sign-on is not set up")


@bp.errorhandler(saml.SamlRefused)
def refused(exc: saml.SamlRefused) -> tuple[str, int]:
    """The refusal page: what went wrong, in the user's language; no account, no session."""
    db.session.rollback()
    audit.record(
        "signin.refused",
        "user",
        actor_name="anonymous",
        details={"protocol": "saml", "reason": exc.reason},
    )
    db.session.commit()
    return render_template("saml_refused.html", reason=_(str(exc.message))), exc.status_code


@bp.app_context_processor
def saml_logout() -> dict[str, str]:
    """Pages' sign-out button: after a SAML sign-in it signs out at the IdP too."""
    return {"saml_logout_url": url_for("saml.logout") if session.get("saml") else ""}


@bp.get("/metadata")
def metadata() -> Response:
    """Our SP metadata, the address to give the federation."""
    return Response(saml_config.metadata_xml(), mimetype="application/samlmetadata+xml")


@bp.get("/login")
def login() -> BaseResponse:
    """Start a sign-in at the organisation's IdP."""
    location = saml.start_sign_in(safe_next(request.args.get("next")))
    db.session.commit()
    return redirect(location)


@bp.post("/acs")
def acs() -> BaseResponse:
    """The Assertion Consumer Service: the IdP's signed answer signs the person in."""
    signed_in = saml.finish_sign_in(request.form.get("SAMLResponse", ""))
    sign_in(signed_in.user, "sso")
    session["saml"] = {
        "issuer": signed_in.issuer,
        "name_id": signed_in.name_id,
        "format": signed_in.name_id_format,
        "session_index": signed_in.session_index,
    }
    db.session.commit()
    return redirect(safe_next(signed_in.next_path))


@bp.post("/logout")
def logout() -> BaseResponse | str:
    """Sign out here, then at the IdP when it has a logout service (SP-initiated SLO)."""
    csrf.check_csrf()
    known = session.get("saml") if current_user() is not None else None
    sign_out()
    db.session.commit()
    if isinstance(known, dict):
        location = saml.logout_redirect(
            str(known.get("issuer", "")),
            str(known.get("name_id", "")),
            str(known.get("format", "")),
            str(known.get("session_index", "")),
        )
        if location:
            # A page, not a redirect: the sign-out form's CSP (form-action 'self') would
            # stop a redirect from the form's POST to the IdP.
            return render_template("saml_signing_out.html", location=location)
    return redirect(url_for("portal.login"))


@bp.get("/sls")
def sls() -> BaseResponse:
    """Single logout: the IdP's LogoutRequest (end the sessions) or its LogoutResponse."""
    if "SAMLRequest" in request.args:
        keys = ("SAMLRequest", "RelayState", "SigAlg", "Signature")
        location = saml.answer_logout_request(
            {k: request.args[k] for k in keys if k in request.args}
        )
        sign_out()
        db.session.commit()
        return redirect(location)
    if "SAMLResponse" in request.args:
        saml.check_logout_response(request.args["SAMLResponse"])
    return redirect(url_for("portal.login"))
