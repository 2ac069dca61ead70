"""What the service publishes about itself (RFC 7644 §4).

ServiceProviderConfig, ResourceTypes and Schemas.

The schemas list only the attributes Kompetens stores (RFC 7643 §7 lets a service
provider publish a subset), so whatever a client sends of them comes back as sent.
``displayName`` and ``active`` are required here, stricter than RFC 7643 §4.1.1: a person
in the portal is shown by name and is active or not.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import request

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

# Largest page a list answers (advertised as filter.maxResults, RFC 7644 §3.4.2.4).
MAX_RESULTS = 200


def _attr(
    name: str,
    kind: str = "string",
    *,
    required: bool = False,
    multi: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    sub: list[dict[str, Any]] | None = None,
    refs: list[str] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """One attribute definition with every characteristic RFC 7643 §7 names."""
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    }
    if sub is not None:
        attribute["subAttributes"] = sub
    if refs is not None:
        attribute["referenceTypes"] = refs
    return attribute


USER_ATTRIBUTES = [
    _attr(
        "userName",
        required=True,
        uniqueness="server",
        description="Unique sign-in name, compared without regard to case.",
    ),
    _attr(
        "name",
        "complex",
        sub=[_attr("givenName"), _attr("familyName")],
        description="The person's given and family names.",
    ),
    _attr("displayName", required=True, description="The name shown in the portal."),
    _attr("title"),
    _attr("active", "boolean", required=True, description="False: the person cannot sign in."),
    _attr(
        "emails",
        "complex",
        multi=True,
        sub=[_attr("value"), _attr("type"), _attr("primary", "boolean")],
        description="One e-mail address, the one the person signs in with.",
    ),
]

ENTERPRISE_ATTRIBUTES = [
    _attr("employeeNumber"),
    _attr(
        "manager",
        "complex",
        sub=[
            _attr("value", description="The manager's id."),
            _attr("$ref", "reference", refs=["User"], case_exact=True),
        ],
    ),
]

GROUP_ATTRIBUTES = [
    _attr("displayName", required=True),
    _attr(
        "members",
        "complex",
        multi=True,
        sub=[
            _attr("value", mutability="immutable", description="A member's id."),
            _attr("$ref", "reference", mutability="immutable", refs=["User"], case_exact=True),
        ],
        description="The people in the group.",
    ),
]

SCHEMAS: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    USER: ("User", "A person.", USER_ATTRIBUTES),
    ENTERPRISE: ("EnterpriseUser", "A person as an employee.", ENTERPRISE_ATTRIBUTES),
    GROUP: ("Group", "A group of people.", GROUP_ATTRIBUTES),
}


class Kind(NamedTuple):
    """A resource type: where it lives, its core schema and its extensions."""

    endpoint: str
    schema: str
    extensions: tuple[str, ...]


RESOURCE_TYPES = {
    "User": Kind("/Users", USER, (ENTERPRISE,)),
    "Group": Kind("/Groups", GROUP, ()),
}


def base_url() -> str:
    """The absolute URL of ``/scim/v2`` as this request reached it."""
    return request.host_url.rstrip("/") + "/scim/v2"


def _meta(resource_type: str, path: str) -> dict[str, str]:
    return {"resourceType": resource_type, "location": f"{base_url()}/{path}"}


def service_provider_config() -> dict[str, Any]:
    """What is supported (RFC 7643 §5): PATCH, filters, ETags; no bulk, sort or password."""
    return {
        "schemas": [SPC],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token made by `flask scim token create NAME`.",
                "primary": True,
            }
        ],
        "meta": _meta("ServiceProviderConfig", "ServiceProviderConfig"),
    }


def resource_type(name: str) -> dict[str, Any]:
    """One ResourceType (RFC 7643 §6)."""
    kind = RESOURCE_TYPES[name]
    return {
        "schemas": [RESOURCE_TYPE],
        "id": name,
        "name": name,
        "endpoint": kind.endpoint,
        "description": SCHEMAS[kind.schema][1],
        "schema": kind.schema,
        "schemaExtensions": [{"schema": urn, "required": False} for urn in kind.extensions],
        "meta": _meta("ResourceType", f"ResourceTypes/{name}"),
    }


def schema(urn: str) -> dict[str, Any]:
    """One Schema (RFC 7643 §7)."""
    name, description, attributes = SCHEMAS[urn]
    return {
        "schemas": [SCHEMA],
        "id": urn,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": _meta("Schema", f"Schemas/{urn}"),
    }


def listed(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A whole collection as a ListResponse (RFC 7644 §4: discovery has no filters)."""
    return {
        "schemas": [LIST],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
