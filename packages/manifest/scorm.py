"""SCORM 1.2 and 2004 packages: ``imsmanifest.xml`` (IMS Content Packaging 1.1.x).

As profiled by SCORM CAM (https://adlnet.gov/projects/scorm/ , CAM 1.3 §3): resources,
organizations and their items, and the launch entries.  The edition, title and
description are read by ``scorm_metadata.py``, IMS Simple Sequencing by
``sequencing.py``.  Pure (lxml, no Flask).
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from core.i18n import N_
from packages.manifest.common import (
    NS_XML,
    ParsedPackage,
    Reader,
    _attr,
    _key,
    _kid,
    _kids,
    _local,
    _ns,
    _parse_xml,
    _text,
    _value,
    element_data,
)
from packages.manifest.hrefs import HrefTexts, _check_listed, _Files, add_parameters
from packages.manifest.scorm_metadata import (
    NS_CP_12,
    NS_CP_2004,
    detect_edition,
    title_and_description,
)
from packages.manifest.sequencing import sequencing, sequencing_collection
from packages.report import Report

#: SCORM 1.2 CAM §2.3.5 adlcp:timelimitaction vocabulary (2004 uses the same values).
TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")

_LAUNCH_FILE = HrefTexts(
    N_("Resource %(ident)r launch file %(href)r points outside the package"),
    N_("Resource %(ident)r launch file %(href)r is not in the package"),
    N_(
        "Resource %(ident)r launch file %(href)r is not in the package (the zip has "
        "%(found)r; names are case-sensitive)"
    ),
)


def parse_scorm(files: Collection[str], read: Reader, report: Report) -> ParsedPackage:
    """imsmanifest.xml: the structure the player needs and the launch entries."""
    name = "imsmanifest.xml"
    root = _manifest_root(read, report, name)
    if root is None:
        return ParsedPackage("scorm12", "", "", "", {}, [], report)
    kind, edition = detect_edition(root, report)
    _check_identifiers(root, report, name)
    resources = _scorm_resources(root, _Files(files), report, name)
    collection = sequencing_collection(root)
    organizations, default_org, launch = _scorm_organizations(
        root, kind, resources, collection, report, name
    )
    title, description = title_and_description(root, files, read, report)
    if not title and default_org:
        title = next(o["title"] for o in organizations if o["identifier"] == default_org)
    for res in resources.values():
        del res["line"]
    structure = {
        "identifier": root.get("identifier") or "",
        "version": root.get("version"),
        "default_organization": default_org,
        "organizations": organizations,
        "resources": list(resources.values()),
        "sequencing_collection": collection,
    }
    return ParsedPackage(
        kind, edition, title or root.get("identifier") or "", description, structure, launch, report
    )


def _manifest_root(read: Reader, report: Report, name: str) -> etree._Element | None:
    """The <manifest> element, or None (with an error) when there is none to read."""
    root = _parse_xml(read(name), name, report)
    if root is None:
        return None
    if _local(root) != "manifest":
        report.error(
            N_("The root element is <%(element)s>, not <manifest>"),
            name,
            root.sourceline,
            element=_local(root),
        )
        return None
    if _ns(root) not in (NS_CP_12, NS_CP_2004):
        report.warn(
            N_(
                "The manifest namespace %(namespace)r is not an IMS Content Packaging "
                "namespace SCORM uses"
            ),
            name,
            root.sourceline,
            namespace=_ns(root),
        )
    return root


def _check_identifiers(root: etree._Element, report: Report, name: str) -> None:
    """Identifiers are xs:ID: unique in the whole manifest (IMS CP 1.1.4 §5)."""
    seen: dict[str, int | None] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) in ("organization", "item", "resource"):
            ident = el.get("identifier")
            if not ident:
                report.error(
                    N_("<%(element)s> without an identifier"),
                    name,
                    el.sourceline,
                    element=_local(el),
                )
            elif ident in seen:
                report.error(
                    N_("Duplicate identifier %(ident)r (first on line %(first)s)"),
                    name,
                    el.sourceline,
                    ident=ident,
                    first=str(seen[ident]),
                )
            else:
                seen[ident] = el.sourceline


def _scorm_resources(
    root: etree._Element, check: _Files, report: Report, name: str
) -> dict[str, dict[str, Any]]:
    """The resources by identifier; launch files, listed files and dependencies checked.

    ``xml:base`` applies from the manifest, <resources> and each <resource> down.
    """
    base = root.get(f"{{{NS_XML}}}base") or ""
    resources_el = _kid(root, "resources")
    resources: dict[str, dict[str, Any]] = {}
    if resources_el is None:
        report.error(N_("The manifest has no <resources>"), name, root.sourceline)
        return resources
    base = urljoin(base, resources_el.get(f"{{{NS_XML}}}base") or "")
    resource_ids = {r.get("identifier") for r in _kids(resources_el, "resource")}
    for res in _kids(resources_el, "resource"):
        ident = res.get("identifier") or ""
        res_base = urljoin(base, res.get(f"{{{NS_XML}}}base") or "")
        href = res.get("href")
        full = urljoin(res_base, href) if href else None
        scorm_type = (_attr(res, "scormtype") or "asset").lower()
        file_hrefs = [urljoin(res_base, f.get("href") or "") for f in _kids(res, "file")]
        resources[ident] = {
            "identifier": ident,
            "type": res.get("type") or "",
            "scorm_type": scorm_type,
            "href": full,
            "base": res_base,
            "files": file_hrefs,
            "dependencies": [d.get("identifierref") or "" for d in _kids(res, "dependency")],
            "line": res.sourceline,
        }
        if full:
            check.check(full, _LAUNCH_FILE, report, name, res.sourceline, ident=ident)
        for f, fel in zip(file_hrefs, _kids(res, "file"), strict=True):
            if f and f != full:
                # Authoring tools list files they did not ship (Storyline's story.html):
                # a warning; a missing launch file is an error.
                _check_listed(check, f, ident, report, name, fel.sourceline)
        for dep, del_ in zip(
            resources[ident]["dependencies"], _kids(res, "dependency"), strict=True
        ):
            if dep not in resource_ids:
                report.error(
                    N_("Resource %(ident)r depends on %(dependency)r, which does not exist"),
                    name,
                    del_.sourceline,
                    ident=ident,
                    dependency=dep,
                )
    return resources


def _scorm_organizations(
    root: etree._Element,
    kind: str,
    resources: dict[str, dict[str, Any]],
    collection: dict[str, Any],
    report: Report,
    name: str,
) -> tuple[list[dict[str, Any]], str | None, list[dict[str, Any]]]:
    """The organizations, the default one's identifier, and its launch entries."""
    organizations_el = _kid(root, "organizations")
    if organizations_el is None:
        report.error(N_("The manifest has no <organizations>"), name, root.sourceline)
        return [], None, []
    organizations = [
        _scorm_organization(org, kind, resources, collection, report, name)
        for org in _kids(organizations_el, "organization")
    ]
    if not organizations:
        return [], None, _launch_from_resources(resources, organizations_el, report, name)
    wanted = organizations_el.get("default")
    ids = [o["identifier"] for o in organizations]
    if wanted and wanted not in ids:
        there = {"default": wanted, "ids": ", ".join(map(repr, ids))}
        if kind == "scorm12":
            report.warn(
                N_(
                    "organizations default=%(default)r names no organization (there is "
                    "%(ids)s); the first organization is used"
                ),
                name,
                organizations_el.sourceline,
                **there,
            )
        else:
            # SCORM 2004 CAM 3.4.1.3: default is an IDREF to an <organization>.
            report.error(
                N_("organizations default=%(default)r names no organization (there is %(ids)s)"),
                name,
                organizations_el.sourceline,
                **there,
            )
    default_org = wanted if wanted in ids else ids[0]
    launch = _scorm_launch(organizations[ids.index(default_org)]["items"])
    if not launch:
        report.error(
            N_("Organization %(ident)r has no item that can be launched"),
            name,
            organizations_el.sourceline,
            ident=default_org,
        )
    return organizations, default_org, launch


def _launch_from_resources(
    resources: dict[str, dict[str, Any]],
    organizations_el: etree._Element,
    report: Report,
    name: str,
) -> list[dict[str, Any]]:
    """With no <organization>: launch the first resource with an href (a SCO first)."""
    scos = [r for r in resources.values() if r["href"]]
    scos.sort(key=lambda r: r["scorm_type"] != "sco")
    if not scos:
        report.error(
            N_("<organizations> holds no <organization> and no resource can be launched"),
            name,
            organizations_el.sourceline,
        )
        return []
    report.warn(
        N_(
            "<organizations> holds no <organization>; the package is launched "
            "from resource %(ident)r"
        ),
        name,
        organizations_el.sourceline,
        ident=scos[0]["identifier"],
    )
    return [
        {
            "id": scos[0]["identifier"],
            "title": scos[0]["identifier"],
            "href": scos[0]["href"],
            "type": scos[0]["scorm_type"],
            "visible": True,
            "resource": scos[0]["identifier"],
        }
    ]


def _scorm_organization(
    org: etree._Element,
    kind: str,
    resources: dict[str, dict[str, Any]],
    collection: dict[str, Any],
    report: Report,
    name: str,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "identifier": org.get("identifier") or "",
        "title": _text(_kid(org, "title")),
        "structure": org.get("structure") or "hierarchical",
        "objectives_global_to_system": _value("", _attr(org, "objectivesGlobalToSystem") or "true"),
        "shared_data_global_to_system": _value(
            "", _attr(org, "sharedDataGlobalToSystem") or "true"
        ),
        "items": [
            _scorm_item(i, kind, resources, collection, report, name) for i in _kids(org, "item")
        ],
    }
    seq = _kid(org, "sequencing")
    if seq is not None:
        data["sequencing"] = sequencing(seq, collection, report, name)
    if not data["items"]:
        report.error(
            N_("Organization %(ident)r has no items"),
            name,
            org.sourceline,
            ident=data["identifier"],
        )
    return data


def _scorm_item(
    item: etree._Element,
    kind: str,
    resources: dict[str, dict[str, Any]],
    collection: dict[str, Any],
    report: Report,
    name: str,
) -> dict[str, Any]:
    ident = item.get("identifier") or ""
    ref = item.get("identifierref")
    children = [
        _scorm_item(i, kind, resources, collection, report, name) for i in _kids(item, "item")
    ]
    data: dict[str, Any] = {
        "identifier": ident,
        "title": _text(_kid(item, "title")),
        "identifierref": ref,
        "isvisible": _attr(item, "isvisible", "true") != "false",
        "parameters": item.get("parameters"),
        "href": None,
        "scorm_type": None,
    }
    if ref:
        _link_resource(data, item, resources.get(ref), bool(children), kind, report, name)
    elif not children:
        report.warn(
            N_("Item %(ident)r has neither children nor an identifierref"),
            name,
            item.sourceline,
            ident=ident,
        )
    for child in _kids(item):
        _item_detail(data, child, collection, report, name)
    data["items"] = children
    return data


def _link_resource(
    data: dict[str, Any],
    item: etree._Element,
    res: dict[str, Any] | None,
    has_children: bool,
    kind: str,
    report: Report,
    name: str,
) -> None:
    """An item's launch href and SCORM type from the resource it refers to."""
    ident, ref = data["identifier"], data["identifierref"]
    if res is None:
        report.error(
            N_("Item %(ident)r refers to resource %(ref)r, which does not exist"),
            name,
            item.sourceline,
            ident=ident,
            ref=ref,
        )
    elif not res["href"]:
        report.error(
            N_("Item %(ident)r refers to resource %(ref)r, which has no href"),
            name,
            item.sourceline,
            ident=ident,
            ref=ref,
        )
    else:
        data["href"] = add_parameters(res["href"], data["parameters"])
        data["scorm_type"] = res["scorm_type"]
    if has_children and kind == "scorm2004":
        report.warn(
            N_(
                "Item %(ident)r has child items and an identifierref; SCORM 2004 "
                "launches only leaf items"
            ),
            name,
            item.sourceline,
            ident=ident,
        )


def _item_detail(
    data: dict[str, Any],
    child: etree._Element,
    collection: dict[str, Any],
    report: Report,
    name: str,
) -> None:
    """One child element of an item: ADL CP data, completion threshold, sequencing..."""
    ident = data["identifier"]
    local = _local(child)
    text = _text(child)
    if local == "prerequisites":
        data["prerequisites"] = {"type": child.get("type") or "aicc_script", "value": text}
    elif local == "masteryscore":
        try:
            score = Decimal(text)
            if not 0 <= score <= 100:
                raise InvalidOperation
            data["masteryscore"] = float(score)
        except InvalidOperation:
            report.warn(
                N_(
                    "adlcp:masteryscore %(value)r of item %(ident)r is not a number "
                    "from 0 to 100; ignored"
                ),
                name,
                child.sourceline,
                value=text,
                ident=ident,
            )
    elif local in ("datafromlms", "dataFromLMS"):
        data["datafromlms"] = text
    elif local in ("maxtimeallowed",):
        data["maxtimeallowed"] = text
    elif local in ("timelimitaction", "timeLimitAction"):
        if text not in TIME_LIMIT_ACTIONS:
            report.warn(
                N_("timelimitaction %(value)r of item %(ident)r is not one of %(allowed)s"),
                name,
                child.sourceline,
                value=text,
                ident=ident,
                allowed=", ".join(TIME_LIMIT_ACTIONS),
            )
        data["timelimitaction"] = text
    elif local == "completionThreshold":
        data["completion_threshold"] = element_data(child)
    elif local == "sequencing":
        data["sequencing"] = sequencing(child, collection, report, name)
    elif local == "presentation":
        data["presentation"] = element_data(child)
    elif local == "data" and _key(child) == "adlcp:data":
        data["shared_data"] = element_data(child).get("adlcp:map", [])


def _scorm_launch(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every launchable item, depth first, in manifest order."""
    found: list[dict[str, Any]] = []
    for item in items:
        if item["href"]:
            found.append(
                {
                    "id": item["identifier"],
                    "title": item["title"],
                    "href": item["href"],
                    "type": item["scorm_type"],
                    "visible": item["isvisible"],
                    "resource": item["identifierref"],
                }
            )
        found.extend(_scorm_launch(item["items"]))
    return found
