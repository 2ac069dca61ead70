"""xAPI (Tin Can) packages: ``tincan.xml``'s activities and their launch.

The Rustici "launch" convention:
https://github.com/RusticiSoftware/launch/blob/master/lms_lrs.md .  Pure (lxml, no Flask).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from core.i18n import N_
from core.iri import is_iri
from packages.manifest.common import (
    ParsedPackage,
    Reader,
    _kid,
    _kids,
    _local,
    _ns,
    _parse_xml,
    _pick,
    _text,
)
from packages.manifest.hrefs import HrefTexts, _Files
from packages.report import Report

NS_TINCAN = "http://projecttincan.com/tincan.xsd"

_LAUNCH = HrefTexts(
    N_("Activity %(ident)r launch %(href)r points outside the package"),
    N_("Activity %(ident)r launch %(href)r is not in the package"),
    N_(
        "Activity %(ident)r launch %(href)r is not in the package (the zip has %(found)r; "
        "names are case-sensitive)"
    ),
)


def parse_tincan(files: Collection[str], read: Reader, report: Report) -> ParsedPackage:
    """tincan.xml activities and launch (Rustici "launch" convention)."""
    name = "tincan.xml"
    root = _parse_xml(read(name), name, report)
    if root is None:
        return ParsedPackage("xapi", "1.0", "", "", {}, [], report)
    if _local(root) != "tincan":
        report.error(
            N_("The root element is <%(element)s>, not <tincan>"),
            name,
            root.sourceline,
            element=_local(root),
        )
        return ParsedPackage("xapi", "1.0", "", "", {}, [], report)
    if _ns(root) != NS_TINCAN:
        report.warn(
            N_("tincan.xml namespace %(namespace)r is not %(expected)r"),
            name,
            root.sourceline,
            namespace=_ns(root),
            expected=NS_TINCAN,
        )
    check = _Files(files)
    activities: list[dict[str, Any]] = []
    launch: list[dict[str, Any]] = []
    holder = _kid(root, "activities")
    for act in _kids(holder, "activity") if holder is not None else []:
        names = {(n.get("lang") or "und"): _text(n) for n in _kids(act, "name")}
        descriptions = {(n.get("lang") or "und"): _text(n) for n in _kids(act, "description")}
        launch_el = _kid(act, "launch")
        href = _text(launch_el) if launch_el is not None else None
        ident = act.get("id") or ""
        if not ident:
            report.error(N_("<activity> without an id"), name, act.sourceline)
        elif not is_iri(ident):
            report.error(
                N_(
                    "The activity id %(ident)r is not an IRI (RFC 3987), so no statement about "
                    "it could be recorded"
                ),
                name,
                act.sourceline,
                ident=ident,
            )
        activities.append(
            {
                "id": ident,
                "type": act.get("type"),
                "name": names,
                "description": descriptions,
                "launch": href,
            }
        )
        if href:
            check.check(href, _LAUNCH, report, name, launch_el.sourceline, ident=ident)  # type: ignore[union-attr]
            launch.append({"id": ident, "title": _pick(names), "href": href, "type": "activity"})
    if not launch:
        report.error(N_("tincan.xml has no activity with a <launch>"), name, root.sourceline)
    first = activities[0] if activities else {"name": {}, "description": {}}
    return ParsedPackage(
        "xapi",
        "1.0",
        _pick(first["name"]),
        _pick(first["description"]),
        {"activities": activities},
        launch,
        report,
    )
