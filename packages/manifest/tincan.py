"""xAPI (Tin Can) packages: ``tincan.xml``'s activities and their launch.

The Rustici "launch" convention:
https://github.com/RusticiSoftware/launch/blob/master/lms_lrs.md .  Pure (lxml, no Flask).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

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
from packages.manifest.hrefs import _Files
from packages.report import Report

NS_TINCAN = "http://projecttincan.com/tincan.xsd"


def parse_tincan(files: Collection[str], read: Reader, report: Report) -> ParsedPackage:
    """tincan.xml activities and launch (Rustici "launch" convention)."""
    name = "tincan.xml"
    root = _parse_xml(read(name), name, report)
    if root is None:
        return ParsedPackage("xapi", "1.0", "", "", {}, [], report)
    if _local(root) != "tincan":
        report.error(f"The root element is <{_local(root)}>, not <tincan>", name, root.sourceline)
        return ParsedPackage("xapi", "1.0", "", "", {}, [], report)
    if _ns(root) != NS_TINCAN:
        report.warn(
            f"tincan.xml namespace {_ns(root)!r} is not {NS_TINCAN!r}", name, root.sourceline
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
            report.error("<activity> without an id", name, act.sourceline)
        elif not is_iri(ident):
            report.error(
                f"The activity id {ident!r} is not an IRI (RFC 3987), so no statement about "
                "it could be recorded",
                name,
                act.sourceline,
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
            check.check(href, f"Activity {ident!r} launch", report, name, launch_el.sourceline)  # type: ignore[union-attr]
            launch.append({"id": ident, "title": _pick(names), "href": href, "type": "activity"})
    if not launch:
        report.error("tincan.xml has no activity with a <launch>", name, root.sourceline)
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
