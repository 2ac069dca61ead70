"""CSRF protection of the portal's forms: a token per session, checked on every change.

The token is made at sign-in (accounts.auth.sign_in) or on first use, put in every form
(``csrf_token()`` in templates) and compared in constant time before any portal view runs
that changes something.
"""

from __future__ import annotations

import hmac
import secrets

from flask import current_app, request, session

from core.errors import BadRequest
from portal import bp


def csrf_token() -> str:
    """The session's CSRF token (created on first use), for hidden form fields."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


@bp.before_request
def check_csrf() -> None:
    """Refuse a state-changing portal request without the session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS") or current_app.config.get("CSRF_DISABLED"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise BadRequest(
            "The form has expired or did not come from this site; reload the page and try again",
            errors=[{"path": "csrf_token", "message": "missing or wrong"}],
        )
