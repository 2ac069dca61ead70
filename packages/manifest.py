"""Detect a package's kind and parse its manifest (lxml, no Flask).

- SCORM 1.2 and 2004 (2nd, 3rd, 4th edition): ``imsmanifest.xml`` (IMS Content Packaging
  1.1.x as profiled by SCORM CAM: https://adlnet.gov/projects/scorm/ , CAM 1.3 §3).
- cmi5: ``cmi5.xml`` course structure (https://github.com/AICC/CMI-5_Spec_Current/blob/quartz/cmi5_spec.md#13-course-structure-data-requirements).
- xAPI/Tin Can: ``tincan.xml`` (https://github.com/RusticiSoftware/launch/blob/master/lms_lrs.md).

``parse_package`` returns the structure the player needs (JSON-serialisable dicts), the
launch entries, and a report whose errors refuse the upload and whose warnings are shown.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from core.iri import is_iri
from packages.builds import check_builds
from packages.extract import PackageZip, ZipLimits
from packages.report import Problem, Report

Reader = Callable[[str], bytes]

NS_CP_12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
NS_CP_2004 = "http://www.imsglobal.org/xsd/imscp_v1p1"
NS_ADLCP_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NS_ADLCP_2004 = "http://www.adlnet.org/xsd/adlcp_v1p3"
NS_IMSSS = "http://www.imsglobal.org/xsd/imsss"
NS_XML = "http://www.w3.org/XML/1998/namespace"
NS_CMI5 = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
NS_TINCAN = "http://projecttincan.com/tincan.xsd"

#: cmi5 §13.1.4 AU attributes.
MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")
#: SCORM 1.2 CAM §2.3.5 adlcp:timelimitaction vocabulary (2004 uses the same values).
TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")

# Elements that may repeat inside imsss:sequencing and the ADL extensions; they become lists.
_REPEATABLE = {
    "preConditionRule", "exitConditionRule", "postConditionRule", "ruleCondition",
    "rollupRule", "rollupCondition", "objective", "mapInfo", "adlseq:objective",
    "adlseq:mapInfo", "sequencing", "adlcp:map", "adlnav:hideLMSUI",
}  # fmt: skip
_NUMERIC = {
    "attemptLimit", "minNormalizedMeasure", "measureThreshold", "minimumPercent",
    "minimumCount", "progressWeight", "minProgressMeasure", "weight", "objectiveMeasureWeight",
    "rollupObjectiveMeasureWeight",
}  # fmt: skip


@dataclass
class ParsedPackage:
    """What the parser learned about one package."""

    kind: str
    edition: str
    title: str
    description: str
    structure: dict[str, Any]
    launch: list[dict[str, Any]]
    report: Report = field(default_factory=Report)


# -- small lxml helpers -----------------------------------------------------------------


def _name(tag: str) -> str:
    """Local part of ``{ns}name`` or of ``prefix:name`` (left by the recovering parser)."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _local(el: etree._Element) -> str:
    return _name(el.tag) if isinstance(el.tag, str) else ""


def _ns(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _key(el: etree._Element) -> str:
    """Key for an element in the serialised structure: ADL extensions keep their prefix."""
    ns = _ns(el)
    name = _local(el)
    for prefix in ("adlseq", "adlnav", "adlcp"):
        if prefix in ns or el.tag.startswith(prefix + ":"):  # type: ignore[union-attr]
            return f"{prefix}:{name}"
    return name


def _kids(el: etree._Element, name: str | None = None) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and (name is None or _local(c) == name)]


def _kid(el: etree._Element, name: str) -> etree._Element | None:
    found = _kids(el, name)
    return found[0] if found else None


def _attr(el: etree._Element, name: str, default: str | None = None) -> str | None:
    """Return an attribute by local name in any namespace, ignoring case (scormType)."""
    lowered = name.lower()
    for key, value in el.attrib.items():
        if _name(str(key)).lower() == lowered:
            return str(value)
    return default


def _text(el: etree._Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _value(key: str, raw: str) -> Any:
    if raw in ("true", "false"):
        return raw == "true"
    if key in _NUMERIC:
        try:
            number = float(raw)
        except ValueError:
            return raw
        return int(number) if number.is_integer() and "." not in raw else number
    return raw


def element_data(el: etree._Element) -> dict[str, Any]:
    """Serialise an element (attributes, children by local name, text as ``value``)."""
    data: dict[str, Any] = {}
    for key, raw in el.attrib.items():
        name = _name(str(key))
        data[name] = _value(name, str(raw))
    for child in _kids(el):
        key = _key(child)
        value = element_data(child)
        if key in _REPEATABLE or key.split(":")[-1] in _REPEATABLE:
            data.setdefault(key, []).append(value)
        else:
            data[key] = value
    text = (el.text or "").strip()
    if text and not _kids(el):
        data["value"] = _value(_local(el), text)
    return data


def _parse_xml(data: bytes, name: str, report: Report) -> etree._Element | None:
    """Parse without network or entity expansion; undeclared prefixes become a warning."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg if hasattr(exc, "msg") else exc)
        if "Namespace prefix" in message:
            lenient = etree.XMLParser(
                resolve_entities=False, no_network=True, load_dtd=False, recover=True
            )
            root = etree.fromstring(data, lenient)
            if root is not None:
                report.warn(f"Undeclared namespace: {message}", name, exc.lineno)
                return root
        if "Start tag expected" in message or "Document is empty" in message:
            message = "it has no root element (the file is empty or not XML)"
        report.error(f"{name} is not well-formed XML: {message}", name, exc.lineno)
        return None


# -- files and hrefs --------------------------------------------------------------------


def is_absolute_url(href: str) -> bool:
    """Tell whether ``href`` is a URL with a scheme (not package files)."""
    parts = urlsplit(href)
    return bool(parts.scheme) and len(parts.scheme) > 1


def href_path(href: str) -> str | None:
    """Return the package path of an href (no query or fragment), or None if outside."""
    path = urlsplit(href).path
    path = unquote(path)
    if not path or path.startswith("/"):
        return None
    norm = posixpath.normpath(path)
    if norm.startswith("../") or norm == "..":
        return None
    return norm


class _Files:
    """Existence checks against the package file list."""

    def __init__(self, files: Collection[str]) -> None:
        self.files = set(files)
        self.lower = {f.lower(): f for f in self.files}

    def check(self, href: str, what: str, report: Report, file: str, line: int | None) -> bool:
        """Report an error unless ``href`` names a file in the package."""
        if is_absolute_url(href):
            return True
        path = href_path(href)
        if path is None:
            report.error(f"{what} {href!r} points outside the package", file, line)
            return False
        raw = posixpath.normpath(urlsplit(href).path)
        if path in self.files or raw in self.files:
            return True
        hint = ""
        if path.lower() in self.lower:
            hint = f" (the zip has {self.lower[path.lower()]!r}; names are case-sensitive)"
        report.error(f"{what} {href!r} is not in the package{hint}", file, line)
        return False


def _check_listed(
    check: _Files, href: str, ident: str, report: Report, name: str, line: int | None
) -> None:
    probe = Report()
    if not check.check(href, "File", probe, name, line):
        for problem in probe.problems:
            report.warn(f"{problem.message} (listed in resource {ident!r})", name, line)


def add_parameters(href: str, parameters: str | None) -> str:
    """Append an item's ``parameters`` to a launch href (SCORM CAM 1.3 §3.4.1.8)."""
    if not parameters:
        return href
    params = parameters.lstrip("?&")
    if parameters.startswith("#"):
        return href if "#" in href else href + parameters
    if not params:
        return href
    return href + ("&" if "?" in href else "?") + params


def _langstrings(el: etree._Element | None) -> dict[str, str]:
    if el is None:
        return {}
    found: dict[str, str] = {}
    for ls in _kids(el):
        if _local(ls) in ("langstring", "string"):
            lang = ls.get(f"{{{NS_XML}}}lang") or ls.get("lang") or "und"
            found[lang] = _text(ls)
    if not found and _text(el):
        found["und"] = _text(el)
    return found


def _pick(strings: dict[str, str]) -> str:
    for lang in ("en-US", "en", "und"):
        if strings.get(lang):
            return strings[lang]
    return next((v for v in strings.values() if v), "")


# -- entry point ------------------------------------------------------------------------


def detect_kind(files: Collection[str]) -> str | None:
    """Detect the package kind from its root files (cmi5 wins over SCORM over tincan.xml)."""
    if "cmi5.xml" in files:
        return "cmi5"
    if "imsmanifest.xml" in files:
        return "scorm"
    if "tincan.xml" in files:
        return "xapi"
    return None


def parse_package(files: Collection[str], read: Reader) -> ParsedPackage:
    """Parse the package whose files (paths from its root) are ``files``.

    Args:
        files: every file path in the package, relative to its root.
        read: returns the bytes of a (small, XML) file of the package.

    """
    kind = detect_kind(files)
    report = Report()
    if kind is None:
        report.error("No imsmanifest.xml, cmi5.xml or tincan.xml at the top of the package")
        return ParsedPackage("", "", "", "", {}, [], report)
    others = [m for m in ("imsmanifest.xml", "tincan.xml") if m in files and kind == "cmi5"]
    if kind == "scorm" and "tincan.xml" in files:
        others.append("tincan.xml")
    for other in others:
        report.warn(f"{other} is ignored: the package is imported as {kind}", other)
    if kind == "cmi5":
        parsed = _parse_cmi5(files, read, report)
    elif kind == "xapi":
        parsed = _parse_tincan(files, read, report)
    else:
        parsed = _parse_scorm(files, read, report)
    check_builds(files, read, parsed.report)
    return parsed


def read_package(package: PackageZip, limits: ZipLimits | None = None) -> ParsedPackage:
    """Parse an opened upload; problems name files as in the zip, extraction warnings first."""
    limits = limits or ZipLimits()
    result = parse_package(package.files, lambda path: package.read(path, limits.max_xml_size))
    problems = [
        Problem(
            package.root + p.file if p.file and p.file in package.files else p.file,
            p.line,
            p.message,
            p.severity,
        )
        for p in result.report.problems
    ]
    result.report = Report([*package.warnings, *problems])
    return result


# -- SCORM ------------------------------------------------------------------------------

_EDITION = re.compile(r"2004\s*(2nd|3rd|4th)", re.IGNORECASE)


def _detect_edition(root: etree._Element, report: Report) -> tuple[str, str]:
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
                "schemaversion says 1.2 but the manifest uses SCORM 2004 namespaces",
                "imsmanifest.xml",
                line,
            )
        return "scorm12", "1.2"
    if version in ("CAM 1.3", "1.3") or (match and match.group(1).lower() == "2nd"):
        return "scorm2004", "2nd"
    if match:
        if says_12 and not says_2004:
            report.warn(
                f"schemaversion says {version!r} but the manifest uses SCORM 1.2 namespaces",
                "imsmanifest.xml",
                line,
            )
        return "scorm2004", match.group(1).lower()
    # No or unknown schemaversion: fall back to the namespaces.
    if says_2004:
        report.warn(
            f"Unknown or missing schemaversion {version!r}; assumed SCORM 2004 "
            "3rd Edition from the namespaces",
            "imsmanifest.xml",
            line,
        )
        return "scorm2004", "3rd"
    report.warn(
        f"Unknown or missing schemaversion {version!r}; assumed SCORM 1.2", "imsmanifest.xml", line
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


def _scorm_metadata(
    root: etree._Element, files: Collection[str], read: Reader, report: Report
) -> tuple[str, str]:
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
                f"Metadata file {href!r} named by adlcp:location is not in the package",
                "imsmanifest.xml",
                location.sourceline,
            )
    return title, description


def _parse_scorm(files: Collection[str], read: Reader, report: Report) -> ParsedPackage:
    name = "imsmanifest.xml"
    root = _parse_xml(read(name), name, report)
    if root is None:
        return ParsedPackage("scorm12", "", "", "", {}, [], report)
    if _local(root) != "manifest":
        report.error(f"The root element is <{_local(root)}>, not <manifest>", name, root.sourceline)
        return ParsedPackage("scorm12", "", "", "", {}, [], report)
    if _ns(root) not in (NS_CP_12, NS_CP_2004):
        report.warn(
            f"The manifest namespace {_ns(root)!r} is not an IMS Content Packaging "
            "namespace SCORM uses",
            name,
            root.sourceline,
        )
    kind, edition = _detect_edition(root, report)
    check = _Files(files)

    # Identifiers are xs:ID: unique in the whole manifest (IMS CP 1.1.4 §5).
    seen: dict[str, int | None] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) in ("organization", "item", "resource"):
            ident = el.get("identifier")
            if not ident:
                report.error(f"<{_local(el)}> without an identifier", name, el.sourceline)
            elif ident in seen:
                report.error(
                    f"Duplicate identifier {ident!r} (first on line {seen[ident]})",
                    name,
                    el.sourceline,
                )
            else:
                seen[ident] = el.sourceline

    base = root.get(f"{{{NS_XML}}}base") or ""
    resources_el = _kid(root, "resources")
    resources: dict[str, dict[str, Any]] = {}
    if resources_el is None:
        report.error("The manifest has no <resources>", name, root.sourceline)
    else:
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
                check.check(full, f"Resource {ident!r} launch file", report, name, res.sourceline)
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
                        f"Resource {ident!r} depends on {dep!r}, which does not exist",
                        name,
                        del_.sourceline,
                    )

    collection: dict[str, Any] = {}
    seq_collection = _kid(root, "sequencingCollection")
    if seq_collection is not None:
        for seq in _kids(seq_collection, "sequencing"):
            if seq.get("ID"):
                collection[seq.get("ID") or ""] = element_data(seq)

    organizations_el = _kid(root, "organizations")
    organizations: list[dict[str, Any]] = []
    launch: list[dict[str, Any]] = []
    default_org: str | None = None
    if organizations_el is None:
        report.error("The manifest has no <organizations>", name, root.sourceline)
    else:
        orgs = _kids(organizations_el, "organization")
        for org in orgs:
            organizations.append(
                _scorm_organization(org, kind, resources, collection, report, name)
            )
        wanted = organizations_el.get("default")
        ids = [o["identifier"] for o in organizations]
        if wanted and wanted not in ids and organizations:
            message = (
                f"organizations default={wanted!r} names no organization "
                f"(there is {', '.join(map(repr, ids))})"
            )
            if kind == "scorm12":
                report.warn(
                    message + "; the first organization is used", name, organizations_el.sourceline
                )
            else:
                # SCORM 2004 CAM 3.4.1.3: default is an IDREF to an <organization>.
                report.error(message, name, organizations_el.sourceline)
        if organizations:
            default_org = wanted if wanted in ids else ids[0]
            org_data = organizations[ids.index(default_org)]
            launch = _scorm_launch(org_data["items"])
            if not launch:
                report.error(
                    f"Organization {default_org!r} has no item that can be launched",
                    name,
                    organizations_el.sourceline,
                )
        else:
            scos = [r for r in resources.values() if r["href"]]
            scos.sort(key=lambda r: r["scorm_type"] != "sco")
            if scos:
                report.warn(
                    "<organizations> holds no <organization>; the package is launched "
                    f"from resource {scos[0]['identifier']!r}",
                    name,
                    organizations_el.sourceline,
                )
                launch = [
                    {
                        "id": scos[0]["identifier"],
                        "title": scos[0]["identifier"],
                        "href": scos[0]["href"],
                        "type": scos[0]["scorm_type"],
                        "visible": True,
                        "resource": scos[0]["identifier"],
                    }
                ]
            else:
                report.error(
                    "<organizations> holds no <organization> and no resource can be launched",
                    name,
                    organizations_el.sourceline,
                )

    title, description = _scorm_metadata(root, files, read, report)
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
        data["sequencing"] = _sequencing(seq, collection, report, name)
    if not data["items"]:
        report.error(f"Organization {data['identifier']!r} has no items", name, org.sourceline)
    return data


def _sequencing(
    seq: etree._Element, collection: dict[str, Any], report: Report, name: str
) -> dict[str, Any]:
    """imsss:sequencing in full (IMS SS 1.0 §5; SCORM 2004 SN Book §5.1)."""
    data = element_data(seq)
    ref = seq.get("IDRef")
    if ref and ref not in collection:
        report.error(
            f"Sequencing IDRef {ref!r} names nothing in <imsss:sequencingCollection>",
            name,
            seq.sourceline,
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
        res = resources.get(ref)
        if res is None:
            report.error(
                f"Item {ident!r} refers to resource {ref!r}, which does not exist",
                name,
                item.sourceline,
            )
        elif not res["href"]:
            report.error(
                f"Item {ident!r} refers to resource {ref!r}, which has no href",
                name,
                item.sourceline,
            )
        else:
            data["href"] = add_parameters(res["href"], data["parameters"])
            data["scorm_type"] = res["scorm_type"]
        if children and kind == "scorm2004":
            report.warn(
                f"Item {ident!r} has child items and an identifierref; SCORM 2004 "
                "launches only leaf items",
                name,
                item.sourceline,
            )
    elif not children:
        report.warn(
            f"Item {ident!r} has neither children nor an identifierref", name, item.sourceline
        )
    for child in _kids(item):
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
                    f"adlcp:masteryscore {text!r} of item {ident!r} is not a number "
                    "from 0 to 100; ignored",
                    name,
                    child.sourceline,
                )
        elif local in ("datafromlms", "dataFromLMS"):
            data["datafromlms"] = text
        elif local in ("maxtimeallowed",):
            data["maxtimeallowed"] = text
        elif local in ("timelimitaction", "timeLimitAction"):
            if text not in TIME_LIMIT_ACTIONS:
                report.warn(
                    f"timelimitaction {text!r} of item {ident!r} is not one of "
                    f"{', '.join(TIME_LIMIT_ACTIONS)}",
                    name,
                    child.sourceline,
                )
            data["timelimitaction"] = text
        elif local == "completionThreshold":
            data["completion_threshold"] = element_data(child)
        elif local == "sequencing":
            data["sequencing"] = _sequencing(child, collection, report, name)
        elif local == "presentation":
            data["presentation"] = element_data(child)
        elif local == "data" and _key(child) == "adlcp:data":
            data["shared_data"] = element_data(child).get("adlcp:map", [])
    data["items"] = children
    return data


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


# -- cmi5 -------------------------------------------------------------------------------


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
                    f"<{_local(child)}> is not allowed in <{local}> (13.2.0.0-1)",
                    name,
                    child.sourceline,
                )
        if local in ("course", "block", "au"):
            if _kid(el, "title") is None:
                report.error(f"<{local}> has no <title> (13.2.0.0-1)", name, el.sourceline)
            if _kid(el, "description") is None:
                report.warn(f"<{local}> has no <description>", name, el.sourceline)
        if local == "block" and not (_kids(el, "au") or _kids(el, "block")):
            report.warn("<block> holds no <au> or <block>", name, el.sourceline)


def _parse_cmi5(files: Collection[str], read: Reader, report: Report) -> ParsedPackage:
    """cmi5 course structure (cmi5 spec §13; CATAPULT LTS requirement ids in messages)."""
    name = "cmi5.xml"
    root = _parse_xml(read(name), name, report)
    if root is None:
        return ParsedPackage("cmi5", "1.0", "", "", {}, [], report)
    if _local(root) != "courseStructure" or _ns(root) != NS_CMI5:
        report.error(
            f'cmi5.xml must hold <courseStructure xmlns="{NS_CMI5}"> (13.2.0.0-1); '
            f"found <{root.tag}>",
            name,
            root.sourceline,
        )
        return ParsedPackage("cmi5", "1.0", "", "", {}, [], report)
    _cmi5_shape(root, report, name)
    check = _Files(files)
    ids: dict[str, int | None] = {}

    def claim(ident: str | None, what: str, el: etree._Element) -> str:
        if not ident:
            report.error(f"<{what}> without an id (13.2.0.0-1)", name, el.sourceline)
            return ""
        if ident in ids:
            report.error(
                f"Duplicate id {ident!r} (first on line {ids[ident]}); course, block, "
                "AU and objective ids must be unique (13.1.4.0-1)",
                name,
                el.sourceline,
            )
        else:
            ids[ident] = el.sourceline
        if not is_iri(ident):
            # cmi5 §3.0: IRIs are fully qualified; the LRS refuses statements about any other.
            report.error(
                f"The {what} id {ident!r} is not an IRI (RFC 3987), so no statement about "
                "it could be recorded",
                name,
                el.sourceline,
            )
        return ident

    course_el = _kid(root, "course")
    course: dict[str, Any] = {}
    if course_el is None:
        report.error("cmi5.xml has no <course> (13.2.0.0-1)", name, root.sourceline)
    else:
        course = {
            "id": claim(course_el.get("id"), "course", course_el),
            "title": _langstrings(_kid(course_el, "title")),
            "description": _langstrings(_kid(course_el, "description")),
        }
    objectives: list[dict[str, Any]] = []
    objectives_el = _kid(root, "objectives")
    if objectives_el is not None:
        for obj in _kids(objectives_el, "objective"):
            objectives.append(
                {
                    "id": claim(obj.get("id"), "objective", obj),
                    "title": _langstrings(_kid(obj, "title")),
                    "description": _langstrings(_kid(obj, "description")),
                }
            )
    refs: list[tuple[str, etree._Element]] = []
    launch: list[dict[str, Any]] = []

    def objective_refs(el: etree._Element) -> list[str]:
        holder = _kid(el, "objectives")
        if holder is None:
            return []
        found = [o.get("idref") or "" for o in _kids(holder, "objective")]
        refs.extend((r, o) for r, o in zip(found, _kids(holder, "objective"), strict=True))
        return found

    def walk(parent: etree._Element) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        for el in _kids(parent):
            local = _local(el)
            if local == "block":
                nodes.append(
                    {
                        "type": "block",
                        "id": claim(el.get("id"), "block", el),
                        "title": _langstrings(_kid(el, "title")),
                        "description": _langstrings(_kid(el, "description")),
                        "objectives": objective_refs(el),
                        "children": walk(el),
                    }
                )
            elif local == "au":
                nodes.append(_cmi5_au(el, claim, objective_refs, check, report, name))
                launch.append(_cmi5_launch(nodes[-1]))
        return nodes

    children = walk(root)
    objective_ids = {o["id"] for o in objectives}
    for ref, el in refs:
        if ref not in objective_ids:
            report.error(
                f"Objective reference {ref!r} names no course objective", name, el.sourceline
            )
    if not launch:
        report.error("cmi5.xml has no <au>: nothing can be launched", name, root.sourceline)
    structure = {"course": course, "objectives": objectives, "children": children}
    title = _pick(course.get("title", {}))
    description = _pick(course.get("description", {}))
    return ParsedPackage("cmi5", "1.0", title, description, structure, launch, report)


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
            f"AU {ident!r}: moveOn {move_on!r} is not one of {', '.join(MOVE_ON)}",
            name,
            el.sourceline,
        )
    method = el.get("launchMethod") or "AnyWindow"
    if method not in LAUNCH_METHODS:
        report.error(
            f"AU {ident!r}: launchMethod {method!r} is not AnyWindow or OwnWindow",
            name,
            el.sourceline,
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
                f"AU {ident!r}: masteryScore {raw!r} is not a decimal from 0 to 1",
                name,
                el.sourceline,
            )
    url_el = _kid(el, "url")
    url = _text(url_el)
    if not url:
        report.error(f"AU {ident!r} has no <url>", name, el.sourceline)
    else:
        check.check(
            url,
            f"AU {ident!r} url",
            report,
            name,
            url_el.sourceline if url_el is not None else None,
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


# -- tincan.xml -------------------------------------------------------------------------


def _parse_tincan(files: Collection[str], read: Reader, report: Report) -> ParsedPackage:
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
