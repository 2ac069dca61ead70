"""Which origin serves what: the portal, and the untrusted content beside it.

Uploaded content is HTML and JavaScript from outside. It runs on the *content origin*,
never on the portal's, so it can neither read a portal page nor use a portal session
(DESIGN.md, security model; README, "Content isolation"). Three set-ups:

- ``CONTENT_ORIGIN`` (and ``PORTAL_URL``) set: production, content on a host name of its
  own (``https://content.kommun.example``), the portal on another.
- ``CONTENT_PORT`` set (what ``make run`` does): the same server answers a second port,
  and that port is the content origin. A portal opened at ``127.0.0.1`` gets its content
  at ``localhost`` (and the other way round), so that on one machine even the cookies are
  apart (cookies tell host names apart, not ports); other host names keep their name.
- neither: one origin for everything (the test client, a bare ``gunicorn wsgi:app``).
  Content is then not isolated from the portal; directly opened content files are still
  sandboxed (packages/views.py).

On the content origin only the routes areas register with ``allow_on_content_host``
answer (content files, the runtime frame and its API, the LRS); every other page is sent
to the portal's origin, and the portal's session is neither read nor written there.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, redirect, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.exceptions import NotFound

_LOOPBACK_TWIN = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
_EXTENSION = "kompetens.content_host"


@lru_cache(maxsize=256)
def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased, or "".

    Cached: the configured origins are asked for several times in every request.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def _split_host(host: str) -> tuple[str, int | None]:
    """``("example.org", 8000)`` from a Host header (IPv6 literals keep their brackets)."""
    host = host.lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        name += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.partition(":")
    return name, int(port) if port.isdigit() else None


def _request_port() -> int:
    _name, port = _split_host(request.host)
    if port is not None:
        return port
    return 443 if request.scheme == "https" else 80


def _content_port() -> int:
    return int(current_app.config.get("CONTENT_PORT") or 0)


def _configured_content_origin() -> str:
    return origin_of(str(current_app.config.get("CONTENT_ORIGIN") or ""))


def isolated() -> bool:
    """True when content has an origin of its own (CONTENT_ORIGIN or CONTENT_PORT)."""
    return bool(_configured_content_origin() or _content_port())


def on_content_host() -> bool:
    """Whether this request came to the content origin."""
    configured = _configured_content_origin()
    if configured:
        return urlsplit(configured).netloc == request.host.lower()
    port = _content_port()
    return bool(port) and _request_port() == port


def _twin(name: str) -> str:
    return _LOOPBACK_TWIN.get(name, name)


def content_origin() -> str:
    """The content origin as seen from this request ("" when everything shares one)."""
    configured = _configured_content_origin()
    if configured:
        return configured
    port = _content_port()
    if not port:
        return ""
    if on_content_host():
        return f"{request.scheme}://{request.host.lower()}"
    name, _ = _split_host(request.host)
    return f"{request.scheme}://{_twin(name)}:{port}"


def portal_origin() -> str:
    """The portal's origin as seen from this request."""
    configured = origin_of(str(current_app.config.get("PORTAL_URL") or ""))
    if configured:
        return configured
    if _content_port() and on_content_host():
        name, _ = _split_host(request.host)
        portal_port = int(current_app.config.get("PORT") or 0)
        suffix = f":{portal_port}" if portal_port else ""
        return f"{request.scheme}://{_twin(name)}{suffix}"
    if on_content_host():
        return ""  # CONTENT_ORIGIN without PORTAL_URL: refused at start (check_settings)
    return f"{request.scheme}://{request.host.lower()}"


def own_origin() -> str:
    """The origin this request came to."""
    return f"{request.scheme}://{request.host.lower()}"


def allow_on_content_host(app: Flask, *names: str) -> None:
    """Let endpoints (``"player.runtime_frame"``) or whole blueprints (``"lrs"``) answer there."""
    app.extensions.setdefault(_EXTENSION, set()).update(names)


def _allowed_here() -> bool:
    allowed: set[str] = current_app.extensions.get(_EXTENSION, set())
    endpoint = request.endpoint or ""
    return endpoint in allowed or endpoint.partition(".")[0] in allowed


def _guard_content_host() -> Response | None:
    """On the content origin, send anything but content routes to the portal (or 404).

    Requests that match no route are left to the router (a 404, or its redirect of a
    ``//`` path to the single-slash one on the same host, which cmi5.js relies on).
    """
    if not on_content_host() or request.endpoint is None or _allowed_here():
        return None
    portal = portal_origin()
    if portal and request.method in ("GET", "HEAD"):
        return redirect(portal + request.full_path.rstrip("?"), 303)  # type: ignore[return-value]
    raise NotFound()


def check_settings(app: Flask) -> None:
    """Refuse set-ups that cannot work: content on its own host needs the portal's address."""
    content = str(app.config.get("CONTENT_ORIGIN") or "")
    if content and not origin_of(content):
        raise RuntimeError(f"CONTENT_ORIGIN must be an http(s) origin, not {content!r}")
    if content and not origin_of(str(app.config.get("PORTAL_URL") or "")):
        raise RuntimeError(
            "CONTENT_ORIGIN is set but PORTAL_URL is not: set PORTAL_URL to the portal's "
            "address (e.g. https://lms.kommun.example), so that pages asked for on the "
            "content host are sent there"
        )
    if origin_of(content) and origin_of(content) == origin_of(str(app.config["PORTAL_URL"])):
        raise RuntimeError("CONTENT_ORIGIN must differ from PORTAL_URL")


class ContentHostSessions(SessionInterface):
    """The app's session interface, switched off on the content origin.

    The portal's cookie may reach the content origin (same host name, another port): it
    is neither read there nor refreshed by a Set-Cookie, and nothing can be stored in a
    session there (a NullSession refuses writes).
    """

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:  # noqa: D102
        if on_content_host():
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(  # noqa: D102
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        if on_content_host():
            return
        self.inner.save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Check the settings, guard the content origin, keep sessions off it.

    Called last in the factory, after any area has set its session interface.
    """
    check_settings(app)
    app.before_request(_guard_content_host)
    app.session_interface = ContentHostSessions(app.session_interface)
