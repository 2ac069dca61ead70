"""SCIM's errors: the error JSON of RFC 7644 §3.12, with its ``scimType`` where one applies.

Raised as ``core.errors.AppError`` subclasses like every other error; ``answer`` is the
formatter ``core.errors`` uses for every error under ``/scim/v2`` (also a 404 of an
unknown URL or a 405), so a SCIM client never sees another format.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json

from core.errors import AppError, BadRequest, Conflict, PreconditionFailed

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MEDIA_TYPE = "application/scim+json"


class ScimBadRequest(BadRequest):
    """400 with a ``scimType`` (RFC 7644 §3.12, table 9)."""

    def __init__(self, scim_type: str, message: str) -> None:
        super().__init__(message)
        self.scim_type = scim_type


class InvalidValue(ScimBadRequest):
    """400 invalidValue: a value is missing, of the wrong type or not allowed."""

    def __init__(self, message: str) -> None:
        super().__init__("invalidValue", message)


class InvalidFilter(ScimBadRequest):
    """400 invalidFilter: the filter's syntax is wrong or names what cannot be filtered."""

    def __init__(self, message: str) -> None:
        super().__init__("invalidFilter", message)


class InvalidPath(ScimBadRequest):
    """400 invalidPath: a PATCH path is malformed."""

    def __init__(self, message: str) -> None:
        super().__init__("invalidPath", message)


class NoTarget(ScimBadRequest):
    """400 noTarget: a PATCH path's filter matched nothing where it must."""

    def __init__(self, message: str) -> None:
        super().__init__("noTarget", message)


class Mutability(ScimBadRequest):
    """400 mutability: the change would alter what may not be changed (or removed)."""

    def __init__(self, message: str) -> None:
        super().__init__("mutability", message)


class InvalidSyntax(ScimBadRequest):
    """400 invalidSyntax: the body is not the JSON object the request needs."""

    def __init__(self, message: str) -> None:
        super().__init__("invalidSyntax", message)


class Uniqueness(Conflict):
    """409 uniqueness: a unique attribute's value is taken (RFC 7644 §3.3)."""

    scim_type = "uniqueness"


class VersionMismatch(PreconditionFailed):
    """412: If-Match names another version of the resource (RFC 7644 §3.14)."""


def answer(status: int, message: str, exc: AppError | None) -> Response:
    """The SCIM error JSON; ``status`` is a string there (RFC 7644 §3.12)."""
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status)}
    scim_type = getattr(exc, "scim_type", None)
    if scim_type:
        body["scimType"] = scim_type
    body["detail"] = message
    response = Response(json.dumps(body), mimetype=MEDIA_TYPE)
    if status == 401:
        # RFC 6750 §3: the bearer scheme's challenge.
        response.headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response
