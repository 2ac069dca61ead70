"""One exception hierarchy and the handlers that turn it into responses.

Every area raises these; nothing else builds error responses.  JSON for the LRS and
API calls; HTML pages otherwise, drawn by the renderer a higher layer registers with
``set_html_renderer`` (the portal: its layout, in the user's language), or a bare page
when there is none.  A 500 never echoes the exception text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template_string, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from core import headers
from core.accesslog import redact

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of all errors we answer on purpose."""

    status_code = 500
    title = "Internal Server Error"

    def __init__(
        self,
        message: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title
        self.errors = errors or []
        self.headers = headers or {}


class BadRequest(AppError):
    """400: the request is malformed; ``errors`` name each field path and rule."""

    status_code = 400
    title = "Bad Request"


class Unauthorized(AppError):
    """401: no or bad credentials."""

    status_code = 401
    title = "Unauthorized"


class Forbidden(AppError):
    """403: valid credentials without the right to do this."""

    status_code = 403
    title = "Forbidden"


class NotFound(AppError):
    """404."""

    status_code = 404
    title = "Not Found"


class Conflict(AppError):
    """409: the request contradicts what is stored."""

    status_code = 409
    title = "Conflict"


class PreconditionFailed(AppError):
    """412: If-Match / If-None-Match did not hold."""

    status_code = 412
    title = "Precondition Failed"


class PayloadTooLarge(AppError):
    """413."""

    status_code = 413
    title = "Payload Too Large"


class TooManyRequests(AppError):
    """429: slow down (RFC 6585 §4); ``headers`` may carry Retry-After."""

    status_code = 429
    title = "Too Many Requests"


class ServiceUnavailable(AppError):
    """503: busy for now; ``headers`` carry Retry-After (RFC 9110 §15.6.4)."""

    status_code = 503
    title = "Service Unavailable"


# How long a client is asked to wait when the service is too busy to answer (seconds).
BUSY_RETRY_AFTER = "5"


def wants_json() -> bool:
    """True for LRS and API calls, and for clients that prefer JSON over HTML."""
    path = request.path
    if path.startswith(("/xapi", "/api", "/content/api", "/player/api")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


_HTML = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>{{ status }} {{ title }}</title>
<main><h1>{{ status }} {{ title }}</h1><p>{{ message }}</p>
{% if errors %}<ul>
{% for e in errors %}<li>{{ e.path }}: {{ e.message }}</li>{% endfor %}
</ul>{% endif %}
</main></html>"""

# Draws an HTML error page: (status, message or None, field errors) -> the page.  The
# message is None where it is a generic one (werkzeug's English descriptions).
HtmlRenderer = Callable[[int, str | None, list[dict[str, Any]]], str]
_RENDERER = "kompetens.error_html"


def set_html_renderer(app: Flask, renderer: HtmlRenderer) -> None:
    """Let a higher layer (the portal) draw the HTML error pages; core never imports it."""
    app.extensions[_RENDERER] = renderer


def _html_page(
    status: int, title: str, message: str, errors: list[dict[str, Any]], specific: bool
) -> str:
    """The registered renderer's page, or the bare page when there is none or it fails."""
    renderer: HtmlRenderer | None = current_app.extensions.get(_RENDERER)
    if renderer is not None:
        try:
            return renderer(status, message if specific else None, errors)
        except Exception:
            # The page must still be answered (the database may be why we are here).
            log.exception("the error page for %s could not be drawn", status)
    return render_template_string(_HTML, status=status, title=title, message=message, errors=errors)


# Builds the error body of a protocol with its own format (SCIM's error JSON) for the
# paths under a prefix: (status, message, the AppError or None) -> the response.
ErrorFormatter = Callable[[int, str, "AppError | None"], Response]
_FORMATTERS = "kompetens.error_formatters"


def set_error_formatter(app: Flask, prefix: str, formatter: ErrorFormatter) -> None:
    """Let an area answer errors under ``prefix`` in its protocol's format."""
    app.extensions.setdefault(_FORMATTERS, {})[prefix] = formatter


def _formatter() -> ErrorFormatter | None:
    formatters: dict[str, ErrorFormatter] = current_app.extensions.get(_FORMATTERS, {})
    for prefix, formatter in formatters.items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return formatter
    return None


def error_response(
    status: int,
    title: str,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    specific: bool = True,
    exc: AppError | None = None,
) -> Response:
    """Build the JSON or HTML error response (``specific``: the message is not generic)."""
    formatter = _formatter()
    if formatter is not None:
        response = formatter(status, message, exc)
        response.status_code = status
        return response
    if wants_json():
        body: dict[str, Any] = {"status": status, "error": title, "message": message}
        if errors:
            body["errors"] = errors
        response = jsonify(body)
    else:
        response = Response(
            _html_page(status, title, message, errors or [], specific), mimetype="text/html"
        )
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Register the handlers once, for the whole app (and the security headers)."""
    headers.init_app(app)

    @app.errorhandler(AppError)
    def handle_app_error(exc: AppError) -> Response:
        response = error_response(exc.status_code, exc.title, exc.message, exc.errors, exc=exc)
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = error_response(status, exc.name, exc.description or exc.name, specific=False)
        if status == 405 and exc.response is None:
            allowed = getattr(exc, "valid_methods", None)
            if allowed:
                response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(sa_exc.TimeoutError)
    def handle_busy(_exc: sa_exc.TimeoutError) -> Response:
        # No database connection came free within the pool's timeout: more requests at
        # once than the pool serves (a deadline rush). Not a fault of the request or of
        # the code: the client is asked to try again (the player's saving.js does).
        log.warning(
            "busy: no database connection free for %s %s", request.method, redact(request.path)
        )
        return handle_app_error(
            ServiceUnavailable(
                "The service is busy; try again in a moment",
                headers={"Retry-After": BUSY_RETRY_AFTER},
            )
        )

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        if app.config.get("TESTING") and app.config.get("PROPAGATE_UNEXPECTED", True):
            raise exc
        # The path may hold a launch token: logged without it.
        log.exception("unexpected error on %s %s", request.method, redact(request.path))
        return error_response(
            500, "Internal Server Error", "An unexpected error occurred.", specific=False
        )
