"""Checks of authoring-tool builds inside a package, beyond what its manifest lists.

A manifest names only the launch file, so a package can be valid SCORM and still never
start because the tool's runtime loads data files that were left out of the zip. These
checks read the tool's own markers and warn the author (the package is still imported).

- Adapt Framework (https://github.com/adaptlearning/adapt_framework): the build has
  ``adapt/js/adapt.min.js`` and ``course/config.json``; at start-up Adapt reads
  ``_defaultLanguage`` from the config and fetches ``course/<lang>/course.json``,
  ``contentObjects.json``, ``articles.json``, ``blocks.json`` and ``components.json``.
  Without them it never fires ``app:dataReady``, so its SCORM tracking (spoor) never
  initialises and the learner sees a loading screen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection

from core.i18n import N_
from packages.report import PackageRefused, Report

Reader = Callable[[str], bytes]

ADAPT_RUNTIME = "adapt/js/adapt.min.js"
ADAPT_CONFIG = "course/config.json"
#: The data files Adapt fetches from ``course/<lang>/`` before the course can start.
ADAPT_DATA = ("course", "contentObjects", "articles", "blocks", "components")
_LANGUAGE = re.compile(r"^[A-Za-z0-9_-]+$")


def check_builds(files: Collection[str], read: Reader, report: Report) -> None:
    """Warn about authoring-tool builds that cannot start from the files in the package."""
    if ADAPT_RUNTIME in files:
        _check_adapt(files, read, report)


def _line_of(text: str, key: str) -> int | None:
    """The 1-based line on which ``"key"`` first appears in ``text``."""
    at = text.find(f'"{key}"')
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _check_adapt(files: Collection[str], read: Reader, report: Report) -> None:
    if ADAPT_CONFIG not in files:
        report.warn(
            N_("Adapt course: %(config)s is missing; the course will not start"),
            ADAPT_RUNTIME,
            config=ADAPT_CONFIG,
        )
        return
    try:
        text = read(ADAPT_CONFIG).decode("utf-8-sig")
        config = json.loads(text)
    except (PackageRefused, UnicodeDecodeError, ValueError) as exc:
        reason = exc.errors[0].message if isinstance(exc, PackageRefused) else str(exc)
        report.warn(
            N_("Adapt course: %(config)s cannot be read (%(reason)s); the course will not start"),
            ADAPT_CONFIG,
            config=ADAPT_CONFIG,
            reason=reason,
        )
        return
    language = config.get("_defaultLanguage", "en") if isinstance(config, dict) else "en"
    line = _line_of(text, "_defaultLanguage")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        report.warn(
            N_(
                "Adapt course: _defaultLanguage %(language)s is not a language folder name; "
                "the course will not start"
            ),
            ADAPT_CONFIG,
            line,
            language=repr(language),
        )
        return
    folder = f"course/{language}/"
    missing = [f"{name}.json" for name in ADAPT_DATA if f"{folder}{name}.json" not in files]
    if missing:
        report.warn(
            _missing_text(files, folder, missing),
            ADAPT_CONFIG,
            line,
            folder=folder,
            files=", ".join(missing),
            config=ADAPT_CONFIG,
        )


def _missing_text(files: Collection[str], folder: str, missing: list[str]) -> str:
    """The warning for course data files absent from the language folder."""
    if "course.json" not in missing:
        return N_(
            "Adapt course: %(folder)s lacks %(files)s; the course will not start. Adapt "
            "loads its course data from the folder that _defaultLanguage names in %(config)s."
        )
    if not _has_folder(files, folder):
        return N_(
            "Adapt course: %(folder)scourse.json is missing (the package has no %(folder)s "
            "folder: %(files)s are all absent); the course will not start. Adapt loads its "
            "course data from the folder that _defaultLanguage names in %(config)s."
        )
    if len(missing) > 1:
        return N_(
            "Adapt course: %(folder)scourse.json is missing (absent from %(folder)s: "
            "%(files)s); the course will not start. Adapt loads its course data from the "
            "folder that _defaultLanguage names in %(config)s."
        )
    return N_(
        "Adapt course: %(folder)scourse.json is missing; the course will not start. Adapt "
        "loads its course data from the folder that _defaultLanguage names in %(config)s."
    )


def _has_folder(files: Collection[str], folder: str) -> bool:
    return any(f.startswith(folder) for f in files)
