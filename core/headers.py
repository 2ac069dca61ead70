"""Security headers for the HTML pages the service draws (portal pages, error pages).

One ``after_request`` for the whole app: every HTML response that has no
Content-Security-Policy of its own gets the portal's.  Responses that set their own
(the player page, its runtime frame, package content) are left as they are: they know
what they must allow (frames on the content origin, the content's own scripts).

The policy allows no inline script or style (CSP Level 3, §6.1.1 script-src: no
'unsafe-inline'); a page that needs an inline script gives it ``nonce="{{ csp_nonce() }}"``
and the response's policy then names that nonce, new for every response.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g

# CSP Level 3 (https://www.w3.org/TR/CSP3/): only this origin's files; no plugins; no
# <base> or form posts elsewhere (but single sign-on's provider, where signing out goes on);
# never framed (§7.7.1 frame-ancestors, clickjacking).
_POLICY = (
    "default-src 'self'",
    "script-src 'self'{nonce}",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'{provider}",
    "frame-ancestors 'none'",
)

# The other headers of a page.  X-Frame-Options for browsers without frame-ancestors
# (RFC 7034); no Referer to other origins; no MIME sniffing (Fetch §3.6); no powerful
# features (Permissions Policy, W3C) the portal never uses.
_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def csp_nonce() -> str:
    """The script nonce of this response (made on first use; the policy then allows it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def _provider_origin() -> str:
    """Single sign-on's provider (OIDC_ISSUER), where the sign-out form's answer leads on."""
    parts = urlsplit(current_app.config.get("OIDC_ISSUER") or "")
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


def policy() -> str:
    """The Content-Security-Policy of this response (with its nonce if a page used one)."""
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    return "; ".join(_POLICY).format(nonce=nonce, provider=_provider_origin())


def add_security_headers(response: Response) -> Response:
    """Give an HTML response without a policy of its own the portal's headers.

    Answers that are no page (204, 304, redirects; Flask's default type is text/html
    even for them) are left as they are.
    """
    status = response.status_code
    if (
        response.mimetype != "text/html"
        or "Content-Security-Policy" in response.headers
        or status in (204, 304)
        or 300 <= status < 400
    ):
        return response
    response.headers["Content-Security-Policy"] = policy()
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response, and ``csp_nonce()`` to the templates."""
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
