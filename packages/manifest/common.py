"""What the manifest parsers share: the parsed package, lxml helpers, language strings.

Pure (lxml, no Flask).  The helpers keep their leading underscore: they are for the
modules of ``packages.manifest`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from core.i18n import N_
from packages.report import Report

# Returns the bytes of a (small, XML) file of the package, by its path.
Reader = Callable[[str], bytes]

NS_XML = "http://www.w3.org/XML/1998/namespace"

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
                undeclared = N_("Undeclared namespace: %(detail)s")
                report.warn(undeclared, name, exc.lineno, detail=message)
                return root
        if "Start tag expected" in message or "Document is empty" in message:
            report.error(
                N_(
                    "%(name)s is not well-formed XML: it has no root element (the file is "
                    "empty or not XML)"
                ),
                name,
                exc.lineno,
                name=name,
            )
        else:
            report.error(
                N_("%(name)s is not well-formed XML: %(detail)s"),
                name,
                exc.lineno,
                name=name,
                detail=message,
            )
        return None


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
