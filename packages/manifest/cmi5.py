"""cmi5 packages: ``cmi5.xml``, the course structure (cmi5 §13).

https://github.com/AICC/CMI-5_Spec_Current/blob/quartz/cmi5_spec.md#13-course-structure-data-requirements
Messages carry the CATAPULT LTS requirement ids.  Pure (lxml, no Flask).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from core.i18n import N_
from core.iri import is_iri
from packages.manifest.common import (
    ParsedPackage,
    Reader,
    _kid,
    _kids,
    _langstrings,
    _local,
    _ns,
    _parse_xml,
    _pick,
    _text,
)
from packages.manifest.hrefs import HrefTexts, _Files
from packages.report import Report

NS_CMI5 = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"

#: cmi5 §13.1.4 AU attributes.
MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")

_AU_URL = HrefTexts(
    N_("AU %(ident)r url %(href)r points outside the package"),
    N_("AU %(ident)r url %(href)r is not in the package"),
    N_(
        "AU %(ident)r url %(href)r is not in the package (the zip has %(found)r; names are "
        "case-sensitive)"
    ),
)

# Children allowed in the cmi5 namespace (other namespaces are extensions), after
# CourseStructure.xsd (cmi5 §13.2; requirement 13.2.0.0-1).
_CMI5_CHILDREN = {
    "courseStructure": {"course", "objectives", "au", "block"},
    "course": {"title", "description"},
    "objectives": {"objective"},
    "block": {"title", "description", "objectives", "au", "block"},
    "au": {"title", "description", "objectives", "url", "launchParameters", "entitlementKey"},
}


def _cmi5_shape(root: etree._Element, report: Report, name: str) -> None:
    """Check element placement, titles and descriptions the course structure XSD requires."""
    for el in root.iter():
        local = _local(el)
        if not isinstance(el.tag, str) or _ns(el) != NS_CMI5 or local not in _CMI5_CHILDREN:
            continue
        for child in _kids(el):
            if _ns(child) == NS_CMI5 and _local(child) not in _CMI5_CHILDREN[local]:
                report.error(
                    N_("<%(element)s> is not allowed in <%(parent)s> (13.2.0.0-1)"),
                    name,
                    child.sourceline,
                    element=_local(child),
                    parent=local,
                )
        if local in ("course", "block", "au"):
            if _kid(el, "title") is None:
                report.error(
                    N_("<%(element)s> has no <title> (13.2.0.0-1)"),
                    name,
                    el.sourceline,
                    element=local,
                )
            if _kid(el, "description") is None:
                report.warn(
                    N_("<%(element)s> has no <description>"), name, el.sourceline, element=local
                )
        if local == "block" and not (_kids(el, "au") or _kids(el, "block")):
            report.warn(N_("<block> holds no <au> or <block>"), name, el.sourceline)


def parse_cmi5(files: Collection[str], read: Reader, report: Report) -> ParsedPackage:
    """cmi5 course structure (cmi5 spec §13; CATAPULT LTS requirement ids in messages)."""
    name = "cmi5.xml"
    root = _parse_xml(read(name), name, report)
    if root is None:
        return ParsedPackage("cmi5", "1.0", "", "", {}, [], report)
    if _local(root) != "courseStructure" or _ns(root) != NS_CMI5:
        report.error(
            N_(
                'cmi5.xml must hold <courseStructure xmlns="%(namespace)s"> (13.2.0.0-1); '
                "found <%(element)s>"
            ),
            name,
            root.sourceline,
            namespace=NS_CMI5,
            element=str(root.tag),
        )
        return ParsedPackage("cmi5", "1.0", "", "", {}, [], report)
    _cmi5_shape(root, report, name)
    structure = _CourseStructure(_Files(files), report, name)
    course = structure.course(_kid(root, "course"), root)
    objectives = structure.objectives(_kid(root, "objectives"))
    children = structure.walk(root)
    objective_ids = {o["id"] for o in objectives}
    for ref, el in structure.refs:
        if ref not in objective_ids:
            report.error(
                N_("Objective reference %(ref)r names no course objective"),
                name,
                el.sourceline,
                ref=ref,
            )
    if not structure.launch:
        report.error(N_("cmi5.xml has no <au>: nothing can be launched"), name, root.sourceline)
    parsed = {"course": course, "objectives": objectives, "children": children}
    title = _pick(course.get("title", {}))
    description = _pick(course.get("description", {}))
    return ParsedPackage("cmi5", "1.0", title, description, parsed, structure.launch, report)


class _CourseStructure:
    """The course, its objectives, blocks and AUs, read in document order (cmi5 §13.1).

    Holds what the reading collects across the tree: the ids claimed so far (unique in
    the course), the objective references to resolve, and the AUs' launch entries.
    """

    def __init__(self, check: _Files, report: Report, name: str) -> None:
        self.check, self.report, self.name = check, report, name
        self.ids: dict[str, int | None] = {}
        self.refs: list[tuple[str, etree._Element]] = []
        self.launch: list[dict[str, Any]] = []

    def claim(self, ident: str | None, what: str, el: etree._Element) -> str:
        """Check an id (present, unique, an IRI) and take it."""
        report, name, ids = self.report, self.name, self.ids
        if not ident:
            report.error(
                N_("<%(element)s> without an id (13.2.0.0-1)"), name, el.sourceline, element=what
            )
            return ""
        if ident in ids:
            report.error(
                N_(
                    "Duplicate id %(ident)r (first on line %(first)s); course, block, "
                    "AU and objective ids must be unique (13.1.4.0-1)"
                ),
                name,
                el.sourceline,
                ident=ident,
                first=str(ids[ident]),
            )
        else:
            ids[ident] = el.sourceline
        if not is_iri(ident):
            # cmi5 §3.0: IRIs are fully qualified; the LRS refuses statements about any other.
            report.error(
                N_(
                    "The %(element)s id %(ident)r is not an IRI (RFC 3987), so no statement "
                    "about it could be recorded"
                ),
                name,
                el.sourceline,
                element=what,
                ident=ident,
            )
        return ident

    def course(self, course_el: etree._Element | None, root: etree._Element) -> dict[str, Any]:
        """The <course> element's id, title and description."""
        if course_el is None:
            self.report.error(
                N_("cmi5.xml has no <course> (13.2.0.0-1)"), self.name, root.sourceline
            )
            return {}
        return {
            "id": self.claim(course_el.get("id"), "course", course_el),
            "title": _langstrings(_kid(course_el, "title")),
            "description": _langstrings(_kid(course_el, "description")),
        }

    def objectives(self, objectives_el: etree._Element | None) -> list[dict[str, Any]]:
        """The course's objectives (the ones blocks and AUs may refer to)."""
        objectives: list[dict[str, Any]] = []
        if objectives_el is not None:
            for obj in _kids(objectives_el, "objective"):
                objectives.append(
                    {
                        "id": self.claim(obj.get("id"), "objective", obj),
                        "title": _langstrings(_kid(obj, "title")),
                        "description": _langstrings(_kid(obj, "description")),
                    }
                )
        return objectives

    def objective_refs(self, el: etree._Element) -> list[str]:
        """A block's or AU's objective references (resolved once the tree is read)."""
        holder = _kid(el, "objectives")
        if holder is None:
            return []
        found = [o.get("idref") or "" for o in _kids(holder, "objective")]
        self.refs.extend((r, o) for r, o in zip(found, _kids(holder, "objective"), strict=True))
        return found

    def walk(self, parent: etree._Element) -> list[dict[str, Any]]:
        """The blocks and AUs inside ``parent``, in order."""
        nodes: list[dict[str, Any]] = []
        for el in _kids(parent):
            local = _local(el)
            if local == "block":
                nodes.append(
                    {
                        "type": "block",
                        "id": self.claim(el.get("id"), "block", el),
                        "title": _langstrings(_kid(el, "title")),
                        "description": _langstrings(_kid(el, "description")),
                        "objectives": self.objective_refs(el),
                        "children": self.walk(el),
                    }
                )
            elif local == "au":
                nodes.append(
                    _cmi5_au(
                        el, self.claim, self.objective_refs, self.check, self.report, self.name
                    )
                )
                self.launch.append(_cmi5_launch(nodes[-1]))
        return nodes


def _cmi5_au(
    el: etree._Element,
    claim: Callable[[str | None, str, etree._Element], str],
    objective_refs: Callable[[etree._Element], list[str]],
    check: _Files,
    report: Report,
    name: str,
) -> dict[str, Any]:
    """One AU (cmi5 §13.1.4)."""
    ident = claim(el.get("id"), "au", el)
    move_on = el.get("moveOn") or "NotApplicable"
    if move_on not in MOVE_ON:
        report.error(
            N_("AU %(ident)r: moveOn %(value)r is not one of %(allowed)s"),
            name,
            el.sourceline,
            ident=ident,
            value=move_on,
            allowed=", ".join(MOVE_ON),
        )
    method = el.get("launchMethod") or "AnyWindow"
    if method not in LAUNCH_METHODS:
        report.error(
            N_("AU %(ident)r: launchMethod %(value)r is not AnyWindow or OwnWindow"),
            name,
            el.sourceline,
            ident=ident,
            value=method,
        )
    mastery: float | None = None
    raw = el.get("masteryScore")
    if raw is not None:
        try:
            score = Decimal(raw)
            if not 0 <= score <= 1:
                raise InvalidOperation
            mastery = float(score)
        except InvalidOperation:
            report.error(
                N_("AU %(ident)r: masteryScore %(value)r is not a decimal from 0 to 1"),
                name,
                el.sourceline,
                ident=ident,
                value=raw,
            )
    url_el = _kid(el, "url")
    url = _text(url_el)
    if not url:
        report.error(N_("AU %(ident)r has no <url>"), name, el.sourceline, ident=ident)
    else:
        check.check(
            url,
            _AU_URL,
            report,
            name,
            url_el.sourceline if url_el is not None else None,
            ident=ident,
        )
    params = _kid(el, "launchParameters")
    entitlement = _kid(el, "entitlementKey")
    return {
        "type": "au",
        "id": ident,
        "title": _langstrings(_kid(el, "title")),
        "description": _langstrings(_kid(el, "description")),
        "objectives": objective_refs(el),
        "url": url,
        "moveOn": move_on,
        "masteryScore": mastery,
        "launchMethod": method,
        "activityType": el.get("activityType"),
        "launchParameters": (params.text or "") if params is not None else None,
        "entitlementKey": (entitlement.text or "").strip() if entitlement is not None else None,
    }


def _cmi5_launch(au: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": au["id"],
        "title": _pick(au["title"]),
        "href": au["url"],
        "type": "au",
        "moveOn": au["moveOn"],
        "masteryScore": au["masteryScore"],
        "launchMethod": au["launchMethod"],
        "launchParameters": au["launchParameters"],
        "entitlementKey": au["entitlementKey"],
    }
