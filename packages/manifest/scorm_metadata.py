"""A SCORM manifest's edition, title and description.

The edition comes from ``metadata/schemaversion`` (SCORM CAM), checked
against the namespaces the manifest uses; title and description from its LOM metadata,
inline or in the file ``adlcp:location`` names.  Pure (lxml, no Flask).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lxml import etree

from core.i18n import N_
from packages.manifest.common import (
    Reader,
    _kid,
    _langstrings,
    _local,
    _ns,
    _parse_xml,
    _pick,
    _text,
)
from packages.manifest.hrefs import href_path
from packages.report import Report

NS_CP_12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
NS_CP_2004 = "http://www.imsglobal.org/xsd/imscp_v1p1"
NS_ADLCP_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NS_ADLCP_2004 = "http://www.adlnet.org/xsd/adlcp_v1p3"
NS_IMSSS = "http://www.imsglobal.org/xsd/imsss"

_EDITION = re.compile(r"2004\s*(2nd|3rd|4th)", re.IGNORECASE)


def detect_edition(root: etree._Element, report: Report) -> tuple[str, str]:
    """(kind, edition) from metadata/schemaversion, checked against the namespaces."""
    namespaces = set(root.nsmap.values()) | {_ns(root)}
    for el in root.iter():
        if isinstance(el.tag, str):
            namespaces.add(_ns(el))
    says_2004 = bool({NS_ADLCP_2004, NS_IMSSS, NS_CP_2004} & namespaces)
    says_12 = NS_ADLCP_12 in namespaces or _ns(root) == NS_CP_12
    metadata = _kid(root, "metadata")
    version_el = _kid(metadata, "schemaversion") if metadata is not None else None
    version = _text(version_el)
    line = version_el.sourceline if version_el is not None else root.sourceline
    match = _EDITION.search(version)
    if version in ("1.2",):
        if NS_ADLCP_2004 in namespaces:
            report.warn(
                N_("schemaversion says 1.2 but the manifest uses SCORM 2004 namespaces"),
                "imsmanifest.xml",
                line,
            )
        return "scorm12", "1.2"
    if version in ("CAM 1.3", "1.3") or (match and match.group(1).lower() == "2nd"):
        return "scorm2004", "2nd"
    if match:
        if says_12 and not says_2004:
            report.warn(
                N_("schemaversion says %(version)r but the manifest uses SCORM 1.2 namespaces"),
                "imsmanifest.xml",
                line,
                version=version,
            )
        return "scorm2004", match.group(1).lower()
    # No or unknown schemaversion: fall back to the namespaces.
    if says_2004:
        report.warn(
            N_(
                "Unknown or missing schemaversion %(version)r; assumed SCORM 2004 "
                "3rd Edition from the namespaces"
            ),
            "imsmanifest.xml",
            line,
            version=version,
        )
        return "scorm2004", "3rd"
    report.warn(
        N_("Unknown or missing schemaversion %(version)r; assumed SCORM 1.2"),
        "imsmanifest.xml",
        line,
        version=version,
    )
    return "scorm12", "1.2"


def _lom_text(scope: etree._Element, field_name: str) -> str:
    """``lom/general/<field_name>`` as plain text (LOM 1.2 ``langstring`` or 2004 ``string``)."""
    for el in scope.iter():
        if isinstance(el.tag, str) and _local(el) == "general":
            target = _kid(el, field_name)
            if target is not None:
                return _pick(_langstrings(target)) or _text(target)
    return ""


def title_and_description(
    root: etree._Element, files: Collection[str], read: Reader, report: Report
) -> tuple[str, str]:
    """The LOM title and description: inline, or in the file ``adlcp:location`` names."""
    metadata = _kid(root, "metadata")
    if metadata is None:
        return "", ""
    title = _lom_text(metadata, "title")
    description = _lom_text(metadata, "description")
    location = _kid(metadata, "location")
    if not title and location is not None:
        href = _text(location)
        path = href_path(href)
        if path and path in files:
            doc = _parse_xml(read(path), path, Report())
            if doc is not None:
                title = _lom_text(doc, "title")
                description = description or _lom_text(doc, "description")
        else:
            report.warn(
                N_("Metadata file %(href)r named by adlcp:location is not in the package"),
                "imsmanifest.xml",
                location.sourceline,
                href=href,
            )
    return title, description
