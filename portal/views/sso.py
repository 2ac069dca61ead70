"""Single sign-on's pages: off to the provider, back with a code, and the failure page.

The protocol is accounts/oidc.py, the account accounts/sso.py. What the browser must
come back with (state, nonce, the PKCE verifier) waits in its session, and is taken out
when it comes back, so a callback URL works once. Any failure shows one page that says
what happened in the person's language, with no account made and nobody signed in.
"""

from __future__ import annotations

import hmac
import logging

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import audit, oidc, sso
from accounts.auth import sign_in
from core.db import db
from core.errors import NotFound
from portal import bp
from portal.views.common import Page, safe_next

log = logging.getLogger(__name__)

PENDING = "oidc_pending"
ID_TOKEN = "oidc_id_token"  # noqa: S105  (a session key, not a secret)


def _provider() -> oidc.Provider:
    provider = oidc.Provider.from_config(current_app.config)
    if provider is None:
        raise NotFound("Single sign-on is not configured")
    return provider


def _failure_text(kind: str) -> str:
    """What went wrong, for the person who tried to sign in."""
    texts = {
        "state": _(
            "The sign-in could not be finished: it was started in another window, took too "
            "long or was already used. Please start again."
        ),
        "refused": _("The sign-in service did not sign you in. Please start again."),
        "unavailable": _("The sign-in service could not be reached. Please try again in a while."),
        "untrusted": _(
            "The answer from the sign-in service could not be trusted, so you have not been "
            "signed in. Contact your IT support if this happens again."
        ),
        "no_email": _(
            "The sign-in service did not give an e-mail address for you, so no account can "
            "be found or made. Contact your IT support."
        ),
        "unverified": _(
            "The sign-in service has not confirmed your e-mail address, so you have not been "
            "signed in. Contact your IT support."
        ),
        "taken": _(
            "Your e-mail address belongs to an account that is connected to another person. "
            "Contact an administrator."
        ),
        "deactivated": _("Your account is deactivated. Contact an administrator."),
    }
    return texts.get(kind, texts["untrusted"])


def _failed(kind: str, detail: str) -> tuple[str, int]:
    db.session.rollback()
    log.warning("single sign-on failed (%s): %s", kind, detail)
    audit.record(
        "signin.refused",
        "user",
        actor_name="anonymous",
        details={"protocol": "oidc", "reason": kind},
    )
    db.session.commit()
    status = 403 if kind in ("deactivated", "taken", "unverified", "no_email") else 400
    if kind == "unavailable":
        status = 502
    return render_template("sso_error.html", message=_failure_text(kind)), status


@bp.get("/sso/login")
def sso_login() -> Page:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    provider = _provider()
    try:
        url, pending = oidc.start(provider, url_for("portal.sso_callback", _external=True))
    except oidc.OidcError as exc:
        return _failed(exc.kind, exc.detail)
    session[PENDING] = {**pending.as_dict(), "next": safe_next(request.args.get("next"))}
    return redirect(url)


@bp.get("/sso/callback")
def sso_callback() -> Page:
    """The provider's answer: check it, find or make the account, sign in."""
    provider = _provider()
    stored = session.pop(PENDING, None)
    pending = oidc.Pending.from_dict(stored)
    state = request.args.get("state", "")
    if pending is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
        return _failed("state", "no sign-in of this browser waits for this state")
    issuer = request.args.get("iss")
    if issuer is not None and issuer.rstrip("/") != provider.issuer:
        # RFC 9207: the answer names another provider (a mix-up attack); no code is sent.
        return _failed("untrusted", f"callback from issuer {issuer!r}")
    if request.args.get("error"):
        return _failed("refused", f"provider said {request.args.get('error')!r}")
    code = request.args.get("code", "")
    if not code:
        return _failed("refused", "no code")
    try:
        claims, id_token = oidc.finish(provider, pending, code)
        user = sso.account_for(claims, provider.issuer, current_app.config)
    except oidc.OidcError as exc:
        return _failed(exc.kind, exc.detail)
    sign_in(user, "sso")
    # For single logout (the provider's end_session_endpoint wants it as a hint).
    session[ID_TOKEN] = id_token
    db.session.commit()
    return redirect(safe_next(stored.get("next") if isinstance(stored, dict) else None))


def logout_redirect(id_token: str | None) -> BaseResponse | None:
    """Where sign-out continues: the provider's logout, for a session it signed in."""
    provider = oidc.Provider.from_config(current_app.config)
    if provider is None or not id_token:
        return None
    url = oidc.logout_url(provider, id_token, url_for("portal.login", _external=True))
    return redirect(url) if url else None
