"""Files and hrefs of a package: paths inside it, existence checks, launch parameters.

Pure (no Flask).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from core.i18n import N_
from packages.report import Report, Severity


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


@dataclass(frozen=True)
class HrefTexts:
    """What to say of one kind of href (``%(href)r`` and the kind's own values).

    ``case``, with ``%(found)r``: the zip has the file under another case.
    """

    outside: str
    missing: str
    case: str


class _Files:
    """Existence checks against the package file list."""

    def __init__(self, files: Collection[str]) -> None:
        self.files = set(files)
        self.lower = {f.lower(): f for f in self.files}

    def check(
        self,
        href: str,
        texts: HrefTexts,
        report: Report,
        file: str,
        line: int | None,
        severity: Severity = "error",
        **params: str,
    ) -> bool:
        """Report a problem unless ``href`` names a file in the package."""
        if is_absolute_url(href):
            return True
        path = href_path(href)
        add = report.error if severity == "error" else report.warn
        if path is None:
            add(texts.outside, file, line, href=href, **params)
            return False
        raw = posixpath.normpath(urlsplit(href).path)
        if path in self.files or raw in self.files:
            return True
        if path.lower() in self.lower:
            add(texts.case, file, line, href=href, found=self.lower[path.lower()], **params)
        else:
            add(texts.missing, file, line, href=href, **params)
        return False


# A file a resource lists: authoring tools list files they did not ship (Storyline's
# story.html), so these are warnings.
_LISTED = HrefTexts(
    N_("File %(href)r points outside the package (listed in resource %(ident)r)"),
    N_("File %(href)r is not in the package (listed in resource %(ident)r)"),
    N_(
        "File %(href)r is not in the package (the zip has %(found)r; names are "
        "case-sensitive) (listed in resource %(ident)r)"
    ),
)


def _check_listed(
    check: _Files, href: str, ident: str, report: Report, name: str, line: int | None
) -> None:
    check.check(href, _LISTED, report, name, line, "warning", ident=ident)


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
