"""Detect a package's kind and parse its manifest (lxml, no Flask).

- SCORM 1.2 and 2004 (2nd, 3rd, 4th edition): ``imsmanifest.xml`` (IMS Content Packaging
  1.1.x as profiled by SCORM CAM: https://adlnet.gov/projects/scorm/ , CAM 1.3 §3);
  ``scorm.py``, with ``sequencing.py`` for IMS Simple Sequencing.
- cmi5: ``cmi5.xml`` course structure (https://github.com/AICC/CMI-5_Spec_Current/blob/quartz/cmi5_spec.md#13-course-structure-data-requirements);
  ``cmi5.py``.
- xAPI/Tin Can: ``tincan.xml`` (https://github.com/RusticiSoftware/launch/blob/master/lms_lrs.md);
  ``tincan.py``.

``parse_package`` returns the structure the player needs (JSON-serialisable dicts), the
launch entries, and a report whose errors refuse the upload and whose warnings are shown.
``common.py`` and ``hrefs.py`` hold what the parsers share.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from core.i18n import N_
from packages.builds import check_builds
from packages.extract import PackageZip, ZipLimits
from packages.manifest.cmi5 import parse_cmi5
from packages.manifest.common import ParsedPackage, Reader
from packages.manifest.scorm import parse_scorm
from packages.manifest.tincan import parse_tincan
from packages.report import Report


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
        report.error(N_("No imsmanifest.xml, cmi5.xml or tincan.xml at the top of the package"))
        return ParsedPackage("", "", "", "", {}, [], report)
    others = [m for m in ("imsmanifest.xml", "tincan.xml") if m in files and kind == "cmi5"]
    if kind == "scorm" and "tincan.xml" in files:
        others.append("tincan.xml")
    for other in others:
        report.warn(
            N_("%(name)s is ignored: the package is imported as %(kind)s"),
            other,
            name=other,
            kind=kind,
        )
    if kind == "cmi5":
        parsed = parse_cmi5(files, read, report)
    elif kind == "xapi":
        parsed = parse_tincan(files, read, report)
    else:
        parsed = parse_scorm(files, read, report)
    check_builds(files, read, parsed.report)
    return parsed


def read_package(package: PackageZip, limits: ZipLimits | None = None) -> ParsedPackage:
    """Parse an opened upload; problems name files as in the zip, extraction warnings first."""
    limits = limits or ZipLimits()
    result = parse_package(package.files, lambda path: package.read(path, limits.max_xml_size))
    problems = [
        replace(p, file=package.root + p.file if p.file and p.file in package.files else p.file)
        for p in result.report.problems
    ]
    result.report = Report([*package.warnings, *problems])
    return result
