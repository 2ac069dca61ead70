"""Requests through a reverse proxy, and a session cookie that is Secure over HTTPS.

``X-Forwarded-For``/``-Proto``/``-Host``/``-Port`` are believed only when the request
comes from an address in ``TRUSTED_PROXIES``; from anyone else they are ignored, so a
client cannot pose as HTTPS, as another host or as another address (which the sign-in
limit counts by). The session cookie is ``Secure`` whenever the request came over HTTPS
(directly or through a trusted proxy), or always with ``SESSION_COOKIE_SECURE``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> list[Network]:
    """Addresses or networks separated by commas or spaces ("127.0.0.1, 10.0.0.0/8")."""
    return [ipaddress.ip_network(item, strict=False) for item in re.split(r"[,\s]+", value) if item]


class TrustedProxyFix:
    """werkzeug's ProxyFix for requests from trusted proxies; others pass untouched."""

    def __init__(self, app: WSGIApplication, networks: list[Network], hops: int = 1) -> None:
        self.app = app
        self.networks = networks
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    def _trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Apply ProxyFix to requests from a trusted proxy only."""
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure when the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """``SESSION_COOKIE_SECURE``, or the request's scheme."""
        forced = bool(app.config["SESSION_COOKIE_SECURE"])
        return forced or (has_request_context() and request.is_secure)


def init_app(app: Flask) -> None:
    """Install the session interface; wrap the app in TrustedProxyFix if proxies are set."""
    app.session_interface = SessionInterface()
    networks = parse_networks(str(app.config.get("TRUSTED_PROXIES") or ""))
    if networks:
        hops = int(app.config.get("PROXY_HOPS") or 1)
        wsgi: Any = TrustedProxyFix(app.wsgi_app, networks, hops)
        app.wsgi_app = wsgi  # type: ignore[method-assign]
