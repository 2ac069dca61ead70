"""Files and hrefs of a package: paths inside it, existence checks, launch parameters.

Pure (no Flask).
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection
from urllib.parse import unquote, urlsplit

from packages.report import Report


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
