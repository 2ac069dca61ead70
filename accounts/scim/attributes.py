"""Attribute names as the published schemas spell them; ``attributes`` projection.

Also ``excludedAttributes`` (RFC 7644 §3.4.2.5).

Attribute names are case-insensitive (RFC 7643 §2.1): what a client sends is renamed to
the schemas' spelling, and attributes the schemas do not publish are left out (RFC 7644
§3.3 lets a service provider ignore what it does not store).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.scim.discovery import RESOURCE_TYPES, SCHEMAS

# Common attributes (RFC 7643 §3.1), in every resource.
COMMON = {"id": "id", "externalid": "externalId", "meta": "meta", "schemas": "schemas"}
# Returned whatever ``attributes`` asks for (RFC 7643 §7, returned "always").
ALWAYS = {"id", "schemas"}


@dataclass(frozen=True)
class Target:
    """Where an attribute path points.

    Its schema extension (None: the core schema), the attribute, and a sub-attribute.
    """

    extension: str | None
    attr: str
    sub: str | None
    definition: dict[str, Any]


def definitions(urn: str) -> dict[str, dict[str, Any]]:
    """A schema's attributes by lower-case name."""
    return {a["name"].lower(): a for a in SCHEMAS[urn][2]}


def _sub_definitions(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["name"].lower(): a for a in definition.get("subAttributes", [])}


def core_of(resource_type: str) -> tuple[str, list[str]]:
    """The core schema URN and the extension URNs of a resource type."""
    kind = RESOURCE_TYPES[resource_type]
    return kind.schema, list(kind.extensions)


def resolve(
    resource_type: str, uri: str | None, attr: str, sub: str | None = None
) -> Target | None:
    """The published attribute a path names, or None when the schemas have none."""
    core, extensions = core_of(resource_type)
    extension: str | None = None
    if uri is not None and uri.lower() != core.lower():
        matches = [urn for urn in extensions if urn.lower() == uri.lower()]
        if not matches:
            return None
        extension = matches[0]
    if extension is None and attr.lower() == "externalid" and sub is None:
        return Target(None, "externalId", None, {"name": "externalId", "type": "string"})
    definition = definitions(extension or core).get(attr.lower())
    if definition is None:
        return None
    if sub is None:
        return Target(extension, definition["name"], None, definition)
    sub_definition = _sub_definitions(definition).get(sub.lower())
    if sub_definition is None:
        return None
    return Target(extension, definition["name"], sub_definition["name"], definition)


def normalise_value(definition: dict[str, Any], value: Any) -> Any:
    """A complex value (or a list of them) with its sub-attributes spelled as published."""
    subs = _sub_definitions(definition)
    if not subs:
        return value

    def one(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        return {subs[k.lower()]["name"]: v for k, v in item.items() if k.lower() in subs}

    if isinstance(value, list):
        return [one(item) for item in value]
    return one(value)


def normalise(resource_type: str, body: dict[str, Any]) -> dict[str, Any]:
    """The writable attributes of a request body, spelled as published; others left out."""
    core, extensions = core_of(resource_type)
    known = definitions(core)
    result: dict[str, Any] = {}
    for key, value in body.items():
        lower = key.lower()
        if lower == "externalid":
            result["externalId"] = value
        elif lower in known:
            result[known[lower]["name"]] = normalise_value(known[lower], value)
        else:
            for urn in extensions:
                if lower == urn.lower() and isinstance(value, dict):
                    ext = definitions(urn)
                    result[urn] = {
                        ext[k.lower()]["name"]: normalise_value(ext[k.lower()], v)
                        for k, v in value.items()
                        if k.lower() in ext
                    }
    return result


Named = tuple[str | None, str, str | None]


def _split(name: str, core: str, extensions: list[str]) -> Named:
    """``urn:...:User:name.givenName`` -> (None, "name", "givenname"), lower case.

    A bare extension URN -> (its URN, "", None): all of it.
    """
    lower = name.lower()
    if lower in (urn.lower() for urn in extensions):
        return lower, "", None
    uri: str | None = None
    if lower.startswith("urn:"):
        uri, _, lower = lower.rpartition(":")
        if uri == core.lower():
            uri = None
    attr, _, sub = lower.partition(".")
    return uri, attr, sub or None


def project(
    resource_type: str,
    resource: dict[str, Any],
    attributes: list[str],
    excluded: list[str],
) -> dict[str, Any]:
    """Apply ``attributes`` or ``excludedAttributes`` (RFC 7644 §3.4.2.5) to a resource.

    ``attributes`` wins when both are given; ``id`` and ``schemas`` always stay.
    """
    if not attributes and not excluded:
        return resource
    core, extensions = core_of(resource_type)
    wanted = bool(attributes)
    paths = [_split(name, core, extensions) for name in (attributes or excluded)]
    result: dict[str, Any] = {}
    for key, value in resource.items():
        if key in ALWAYS:
            result[key] = value
        elif key.lower() in (urn.lower() for urn in extensions) and isinstance(value, dict):
            whole = (key.lower(), "", None) in paths
            if whole:
                if wanted:
                    result[key] = value
                continue
            inner = _pick(key.lower(), value, paths, wanted)
            if inner:
                result[key] = inner
        else:
            result.update(_pick(None, {key: value}, paths, wanted))
    return result


def _pick(
    uri: str | None, values: dict[str, Any], paths: list[Named], wanted: bool
) -> dict[str, Any]:
    """The attributes of one schema's part of a resource that the projection keeps."""
    kept: dict[str, Any] = {}
    for attr, value in values.items():
        subs = [sub for u, a, sub in paths if u == uri and a == attr.lower()]
        if not subs:
            if not wanted:
                kept[attr] = value
        elif None in subs:
            if wanted:
                kept[attr] = value
        else:
            named = {sub for sub in subs if sub}
            kept[attr] = _sub_pick(value, named, wanted)
    return kept


def _sub_pick(value: Any, named: set[str], wanted: bool) -> Any:
    """Keep only the named (or all but the named) sub-attributes of a complex value."""

    def one(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        return {k: v for k, v in item.items() if (k.lower() in named) == wanted}

    return [one(item) for item in value] if isinstance(value, list) else one(value)
