"""A course version's tree: its table of contents, launch entries and activity ids.

Versions never change after import, so what is derived from their manifest (the table
of contents, the sequencing activity tree) is kept per process, keyed by content hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from flask import current_app

from core import vocabulary
from core.errors import BadRequest
from packages.models import PackageVersion
from player.sequencing import ActivityTree, build_tree


@dataclass
class Node:
    """One entry of the table of contents."""

    id: str
    title: str
    depth: int
    launchable: bool
    visible: bool = True
    data: dict[str, Any] = field(default_factory=dict)


def _scorm_nodes(items: list[dict[str, Any]], depth: int) -> Iterator[Node]:
    for item in items:
        yield Node(
            id=item["identifier"],
            title=item.get("title") or item["identifier"],
            depth=depth,
            launchable=bool(item.get("href")),
            visible=bool(item.get("isvisible", True)),
            data=item,
        )
        yield from _scorm_nodes(item.get("items") or [], depth + 1)


def _pick(strings: dict[str, str] | str | None) -> str:
    if isinstance(strings, str):
        return strings
    if not strings:
        return ""
    for lang in ("sv-SE", "sv", "en-US", "en", "und"):
        if lang in strings:
            return strings[lang]
    return next(iter(strings.values()))


def _cmi5_nodes(children: list[dict[str, Any]], depth: int) -> Iterator[Node]:
    for child in children:
        yield Node(
            id=child["id"],
            title=_pick(child.get("title")) or child["id"],
            depth=depth,
            launchable=child.get("type") == "au",
            data=child,
        )
        yield from _cmi5_nodes(child.get("children") or [], depth + 1)


def organization(version: PackageVersion) -> dict[str, Any] | None:
    """The default organization of a SCORM version."""
    manifest = version.manifest or {}
    wanted = manifest.get("default_organization")
    for org in manifest.get("organizations") or []:
        if org.get("identifier") == wanted:
            return dict(org)
    orgs = manifest.get("organizations") or []
    return dict(orgs[0]) if orgs else None


def nodes(version: PackageVersion) -> list[Node]:
    """The table of contents of a version, depth first (computed once per process)."""
    found = _NODES.get(version.content_hash)
    if found is None:
        found = _remember(_NODES, version.content_hash, _nodes(version))
    return found


def _nodes(version: PackageVersion) -> list[Node]:
    if version.kind in ("scorm12", "scorm2004"):
        org = organization(version)
        if org is not None:
            return list(_scorm_nodes(org.get("items") or [], 0))
    elif version.kind == "cmi5":
        return list(_cmi5_nodes((version.manifest or {}).get("children") or [], 0))
    return [
        Node(
            id=entry["id"],
            title=entry.get("title") or entry["id"],
            depth=0,
            launchable=True,
            data=entry,
        )
        for entry in version.launch
    ]


def launch_entry(version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """One launch entry by item/AU/activity id, or BadRequest."""
    for entry in version.launch:
        if entry["id"] == sco_id:
            return dict(entry)
    raise BadRequest(
        f"No launchable item {sco_id!r} in this course",
        errors=[{"path": "sco", "message": "unknown item"}],
    )


def item_data(version: PackageVersion, sco_id: str) -> dict[str, Any]:
    """The manifest item (SCORM) or AU (cmi5) of a launch entry, with its extra data."""
    for node in nodes(version):
        if node.id == sco_id:
            return dict(node.data)
    return launch_entry(version, sco_id)


def has_api(entry: dict[str, Any]) -> bool:
    """True for SCOs (assets are launched without the API; SCORM CAM §3.4.1.12)."""
    return entry.get("type") == "sco"


def order(version: PackageVersion) -> list[str]:
    """The ids of the launch entries, in the order a learner meets them."""
    return [e["id"] for e in version.launch]


def catalogue_activity_id(course_id: int) -> str:
    """The catalogue course's activity id, ``{AGENT_HOMEPAGE}/courses/<id>``.

    What the LMS records a course's result about (player/outcome.py), as the portal does
    for classroom courses; built by core.vocabulary, which the projection parses it back with.
    """
    return vocabulary.course_iri(str(current_app.config["AGENT_HOMEPAGE"]), course_id)


def course_activity_id(version: PackageVersion) -> str:
    """The course's activity id: the cmi5 course id, else the catalogue course's."""
    if version.kind == "cmi5":
        ident = (version.manifest.get("course") or {}).get("id")
        if ident:
            return str(ident)
    return catalogue_activity_id(version.course_id)


def course_title(version: PackageVersion) -> str:
    """The course's name in statements about it (the course id when it has no title)."""
    return version.title or str(version.course_id)


_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"


def sco_activity_id(version: PackageVersion, sco_id: str) -> str:
    """A SCO's (or AU's) activity id."""
    if version.kind in ("cmi5", "xapi"):
        return sco_id
    # Item identifiers are XML ids, not IRI segments: Captivate writes "chapter 1_Test".
    # Escape only what an IRI path segment cannot hold, so ordinary ids stay as they are.
    return f"{course_activity_id(version)}/sco/{quote(sco_id, safe=_SEGMENT_SAFE)}"


# Per process (bounded), keyed by the content hash: same files, same manifest.
_TREES: dict[str, ActivityTree] = {}
_NODES: dict[str, list[Node]] = {}
_CACHE_SIZE = 256


def _remember(cache: dict[str, Any], key: str, value: Any) -> Any:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value
    return value


def activity_tree(version: PackageVersion) -> ActivityTree:
    """The version's activity tree (player.sequencing.build_tree), built once per process."""
    tree = _TREES.get(version.content_hash)
    if tree is None:
        tree = build_tree(version.manifest, kind=version.kind)
        _remember(_TREES, version.content_hash, tree)
    return tree
