"""``/scim/v2`` (RFC 7644): thin views; the rules live in the modules they call.

Every request is authenticated by a bearer token (``accounts/scim/tokens.py``, in the
blueprint's ``before_request``), answers ``application/scim+json`` and commits once.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json, request
from sqlalchemy.exc import IntegrityError

from accounts.models import Group, User
from accounts.scim import bp, discovery, groups, listing, patch, tokens, users
from accounts.scim.attributes import project
from accounts.scim.errors import MEDIA_TYPE, InvalidSyntax, Uniqueness, VersionMismatch
from core.db import db
from core.errors import NotFound

# The collection in the URL -> (resource type, its module).
COLLECTIONS: dict[str, tuple[str, Any]] = {"Users": ("User", users), "Groups": ("Group", groups)}


@bp.before_request
def _authenticate() -> None:
    tokens.authenticate()


def _answer(
    document: dict[str, Any] | None, status: int = 200, resource: User | Group | None = None
) -> Response:
    response = Response(
        json.dumps(document) if document is not None else None, status, mimetype=MEDIA_TYPE
    )
    if resource is not None:
        response.headers["ETag"] = str(document["meta"]["version"]) if document else ""
        if status == 201:
            response.headers["Location"] = str(document["meta"]["location"]) if document else ""
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise InvalidSyntax("The body is a JSON object")
    return body


def _commit() -> None:
    """Commit the request's one transaction; a uniqueness race answers 409, not 500."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Uniqueness("A unique attribute's value is taken") from None


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _precondition(resource: User | Group) -> None:
    """If-Match (RFC 7644 §3.14, RFC 7232 §3.1): only the named version may change."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return
    if f'"{resource.version}"' not in _tags(header):
        raise VersionMismatch("The resource has changed since that version (If-Match)")


def _projected(resource_type: str, document: dict[str, Any]) -> dict[str, Any]:
    asked = listing.query(request.args.to_dict())
    return project(resource_type, document, asked.attributes, asked.excluded)


@bp.get("/ServiceProviderConfig")
def get_service_provider_config() -> Response:
    """RFC 7644 §4: what the service supports."""
    return _answer(discovery.service_provider_config())


@bp.get("/ResourceTypes")
def get_resource_types() -> Response:
    """RFC 7644 §4: User and Group."""
    return _answer(discovery.listed([discovery.resource_type(n) for n in discovery.RESOURCE_TYPES]))


@bp.get("/ResourceTypes/<name>")
def get_resource_type(name: str) -> Response:
    """One resource type."""
    if name not in discovery.RESOURCE_TYPES:
        raise NotFound(f"No resource type {name}")
    return _answer(discovery.resource_type(name))


@bp.get("/Schemas")
def get_schemas() -> Response:
    """RFC 7644 §4: the schemas, with only the attributes Kompetens stores."""
    return _answer(discovery.listed([discovery.schema(urn) for urn in discovery.SCHEMAS]))


@bp.get("/Schemas/<path:urn>")
def get_schema(urn: str) -> Response:
    """One schema."""
    if urn not in discovery.SCHEMAS:
        raise NotFound(f"No schema {urn}")
    return _answer(discovery.schema(urn))


@bp.get("/<any(Users, Groups):collection>")
def list_resources(collection: str) -> Response:
    """RFC 7644 §3.4.2: filter, pages, attributes."""
    resource_type, _ = COLLECTIONS[collection]
    asked = listing.query(request.args.to_dict())
    return _answer(listing.search((resource_type,), asked))


@bp.post("/<any(Users, Groups):collection>/.search")
def search_resources(collection: str) -> Response:
    """RFC 7644 §3.4.3: a query in a POST body."""
    resource_type, _ = COLLECTIONS[collection]
    return _answer(listing.search((resource_type,), listing.query(_body())))


@bp.post("/.search")
def search_all() -> Response:
    """RFC 7644 §3.4.3 at the root: Users, then Groups."""
    return _answer(listing.search(listing.RESOURCE_TYPES, listing.query(_body())))


@bp.post("/<any(Users, Groups):collection>")
def post_resource(collection: str) -> Response:
    """RFC 7644 §3.3: 201 with the resource, its Location and ETag."""
    _, module = COLLECTIONS[collection]
    resource = module.create(_body())
    _commit()
    return _answer(module.to_document(resource), 201, resource)


@bp.get("/<any(Users, Groups):collection>/<resource_id>")
def get_resource(collection: str, resource_id: str) -> Response:
    """RFC 7644 §3.4.1; If-None-Match with the current version answers 304."""
    resource_type, module = COLLECTIONS[collection]
    resource = module.get(resource_id)
    header = request.headers.get("If-None-Match")
    if header and f'"{resource.version}"' in _tags(header):
        return Response(status=304, headers={"ETag": f'W/"{resource.version}"'})
    response = _answer(_projected(resource_type, module.to_document(resource)))
    response.headers["ETag"] = f'W/"{resource.version}"'
    return response


@bp.put("/<any(Users, Groups):collection>/<resource_id>")
def put_resource(collection: str, resource_id: str) -> Response:
    """RFC 7644 §3.5.1."""
    _, module = COLLECTIONS[collection]
    resource = module.get(resource_id)
    _precondition(resource)
    module.replace(resource, _body())
    _commit()
    return _answer(module.to_document(resource), 200, resource)


@bp.patch("/<any(Users, Groups):collection>/<resource_id>")
def patch_resource(collection: str, resource_id: str) -> Response:
    """RFC 7644 §3.5.2: the operations applied, then stored as a whole (all or nothing)."""
    resource_type, module = COLLECTIONS[collection]
    resource = module.get(resource_id)
    _precondition(resource)
    changed = patch.apply(resource_type, module.writable(resource), _body())
    module.replace(resource, changed)
    _commit()
    return _answer(module.to_document(resource), 200, resource)


@bp.delete("/<any(Users, Groups):collection>/<resource_id>")
def delete_resource(collection: str, resource_id: str) -> Response:
    """RFC 7644 §3.6: 204."""
    _, module = COLLECTIONS[collection]
    resource = module.get(resource_id)
    _precondition(resource)
    module.delete(resource)
    _commit()
    return Response(status=204)
