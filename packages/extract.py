"""Safe reading of uploaded zip files.

Pure Python, no Flask.  Nothing is written to disk here except, for a zip inside a zip,
the inner zip in a temporary file that is removed on ``close()``.  Entries are read as
streams so memory does not grow with package size.

Refused: zip-slip (``..``) and absolute paths, symlinks, encrypted entries, duplicate
names, and zip bombs (total uncompressed size, number of files, the compression ratio
of each entry and of the whole zip; all limits come from ``ZipLimits``).  ``__MACOSX/``
and ``.DS_Store`` entries are ignored.  ZIP64 archives are accepted: cmi5 requires it
(CATAPULT LTS case 102-zip64 is in the "must import" range), and the size limits apply to
them as to any zip.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, BinaryIO

from core.i18n import N_
from packages.report import PackageRefused, Problem, Report

#: Files that mark the root of a package, in the order they win when several exist.
MARKERS = ("cmi5.xml", "imsmanifest.xml", "tincan.xml")

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    """Limits applied to every upload (see config.PACKAGE_ZIP_*)."""

    max_total_size: int = 2 * 1024**3
    max_files: int = 20_000
    max_ratio: float = 200.0
    #: Entries smaller than this are not ratio-checked (tiny text files compress very well).
    ratio_min_size: int = 1024 * 1024
    #: The largest XML file (manifest, metadata) read into memory.
    max_xml_size: int = 16 * 1024 * 1024
    allow_nested_zip: bool = True


@dataclass(frozen=True)
class Entry:
    """One regular file of the package, ``path`` relative to the package root."""

    path: str
    size: int
    info: zipfile.ZipInfo


def is_junk(path: str) -> bool:
    """Tell whether a path is a macOS resource fork or a Finder/Explorer file."""
    parts = path.split("/")
    return "__MACOSX" in parts or parts[-1] in {".DS_Store", "Thumbs.db"}


def _normalise(name: str) -> str | None:
    """Return a safe relative path for a zip entry name, or None if it is unsafe."""
    name = name.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name) or _CONTROL.search(name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


class _BoundedReader:
    """A zip entry stream that refuses to yield more bytes than the entry declared."""

    def __init__(self, raw: IO[bytes], entry: Entry) -> None:
        self._raw = raw
        self._entry = entry
        self._count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._count += len(data)
        if self._count > self._entry.size:
            raise PackageRefused(
                [Problem(self._entry.path, None, N_("The entry is larger than the zip declares"))]
            )
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> _BoundedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PackageZip:
    """An opened, checked upload; use as a context manager."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        entries: dict[str, Entry],
        root: str,
        warnings: list[Problem],
        temp_files: list[Path],
    ) -> None:
        self._zip = archive
        self.files = entries
        self.root = root
        self.warnings = warnings
        self._temp_files = temp_files

    @property
    def total_size(self) -> int:
        """Sum of the uncompressed sizes of the package files."""
        return sum(e.size for e in self.files.values())

    def open(self, path: str) -> _BoundedReader:
        """Stream one package file."""
        entry = self.files[path]
        return _BoundedReader(self._zip.open(entry.info), entry)

    def read(self, path: str, limit: int) -> bytes:
        """Read a small file (an XML manifest) whole, refusing files over ``limit``."""
        entry = self.files[path]
        if entry.size > limit:
            too_large = N_("The file is larger than %(limit)s bytes")
            raise PackageRefused([Problem(path, None, too_large, params={"limit": limit})])
        with self.open(path) as stream:
            return stream.read()

    def iter_files(self) -> Iterator[Entry]:
        """Iterate over the package files in zip order."""
        return iter(self.files.values())

    def close(self) -> None:
        """Close the zip and remove any temporary file."""
        self._zip.close()
        for path in self._temp_files:
            path.unlink(missing_ok=True)

    def __enter__(self) -> PackageZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _scan(archive: zipfile.ZipFile, limits: ZipLimits, label: str) -> dict[str, zipfile.ZipInfo]:
    """Check every entry; return regular files by safe name or raise PackageRefused."""
    report = Report()
    files: dict[str, zipfile.ZipInfo] = {}
    total = 0
    compressed = 0
    for info in archive.infolist():
        name = _normalise(info.filename)
        if name is None:
            report.error(
                N_("Unsafe path in zip: %(name)r (absolute or outside the package)"),
                label,
                name=info.filename,
            )
            continue
        if info.flag_bits & 0x1:
            report.error(
                N_("Encrypted entry: %(name)r; upload the package without a password"),
                label,
                name=name,
            )
            continue
        if _is_symlink(info):
            report.error(N_("Symbolic link in zip: %(name)r"), label, name=name)
            continue
        if info.is_dir() or not name or is_junk(name):
            continue
        if name in files:
            report.error(N_("The zip holds %(name)r twice"), label, name=name)
            continue
        if info.file_size >= limits.ratio_min_size:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                report.error(
                    N_(
                        "Entry %(name)r expands %(ratio)s times (limit %(limit)s); "
                        "refused as a possible zip bomb"
                    ),
                    label,
                    name=name,
                    ratio=round(ratio),
                    limit=round(limits.max_ratio),
                )
                continue
        total += info.file_size
        compressed += info.compress_size
        files[name] = info
    # Many entries each too small (or too little compressed) to be refused alone can still
    # make a bomb together (100 MB from a 116 KB upload): the whole zip's ratio is bounded
    # by the same limit.
    ratio = total / max(compressed, 1)
    if total >= limits.ratio_min_size and ratio > limits.max_ratio:
        report.error(
            N_(
                "The zip expands %(ratio)s times as a whole (limit %(limit)s); "
                "refused as a possible zip bomb"
            ),
            label,
            ratio=round(ratio),
            limit=round(limits.max_ratio),
        )
    if len(files) > limits.max_files:
        report.error(
            N_("The zip holds %(count)s files; the limit is %(limit)s"),
            label,
            count=len(files),
            limit=limits.max_files,
        )
    if total > limits.max_total_size:
        report.error(
            N_("The zip expands to %(size)s bytes; the limit is %(limit)s bytes"),
            label,
            size=total,
            limit=limits.max_total_size,
        )
    if report.errors:
        raise PackageRefused(report.errors[:50])
    return files


def _copy_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: BinaryIO) -> None:
    entry = Entry(info.filename, info.file_size, info)
    with _BoundedReader(archive.open(info), entry) as src:
        shutil.copyfileobj(src, target, _CHUNK)  # type: ignore[misc]


def open_package(
    source: str | os.PathLike[str] | BinaryIO,
    limits: ZipLimits | None = None,
    temp_dir: str | None = None,
    label: str = "upload.zip",
    _depth: int = 0,
) -> PackageZip:
    """Open and check an upload; find the package root (top, single folder or inner zip).

    Args:
        source: a path or a seekable binary stream holding the zip.
        limits: the zip-bomb limits; defaults to ``ZipLimits()``.
        temp_dir: where an inner zip is unpacked (it is removed on close).
        label: the name used for the upload in problems.
        _depth: internal; an inner zip is opened at most one level deep.

    Raises:
        PackageRefused: the upload is not a zip, is unsafe, or holds no package.

    """
    limits = limits or ZipLimits()
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageRefused([Problem(label, None, N_("The upload is not a zip file"))]) from None
    try:
        infos = _scan(archive, limits, label)
    except BaseException:
        archive.close()
        raise
    names = set(infos)
    warnings: list[Problem] = []
    root: str | None = None
    if any(m in names for m in MARKERS):
        root = ""
    else:
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and all("/" in n for n in names):
            top = next(iter(tops))
            if any(f"{top}/{m}" in names for m in MARKERS):
                root = top + "/"
                warnings.append(
                    Problem(
                        label,
                        None,
                        N_("The package is inside the folder %(folder)r; that folder was imported"),
                        "warning",
                        {"folder": top},
                    )
                )
    if root is None:
        inner = [n for n in names if n.lower().endswith(".zip") and n.count("/") <= 1]
        if len(inner) == 1 and _depth == 0 and limits.allow_nested_zip:
            return _open_inner(archive, infos[inner[0]], inner[0], limits, temp_dir, label)
        archive.close()
        raise PackageRefused([_no_root(names, label)])
    entries = {
        n[len(root) :]: Entry(n[len(root) :], i.file_size, i)
        for n, i in infos.items()
        if n.startswith(root)
    }
    return PackageZip(archive, entries, root, warnings, [])


def _no_root(names: set[str], label: str) -> Problem:
    """Why an upload holds no package: its manifest is deeper down, or there is none."""
    deeper = sorted(n for n in names if n.rsplit("/", 1)[-1] in MARKERS)
    if deeper:
        return Problem(
            label,
            None,
            N_(
                "%(path)s is in a sub-folder; imsmanifest.xml, cmi5.xml or tincan.xml "
                "must be at the top of the zip"
            ),
            params={"path": deeper[0]},
        )
    return Problem(
        label,
        None,
        N_(
            "No imsmanifest.xml (SCORM), cmi5.xml (cmi5) or tincan.xml (xAPI) "
            "at the top of the zip: this is not a course package"
        ),
    )


def _open_inner(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    limits: ZipLimits,
    temp_dir: str | None,
    label: str,
) -> PackageZip:
    """Unpack the one zip inside the upload to a temporary file and open that."""
    fd, tmp = tempfile.mkstemp(suffix=".zip", dir=temp_dir)
    path = Path(tmp)
    try:
        with os.fdopen(fd, "wb") as target:
            _copy_entry(archive, info, target)
        package = open_package(path, limits, temp_dir, name, _depth=1)
    except BaseException:
        path.unlink(missing_ok=True)
        archive.close()
        raise
    archive.close()
    package._temp_files.append(path)
    package.warnings.insert(
        0,
        Problem(
            label,
            None,
            N_("The package was inside %(name)r; that zip was imported"),
            "warning",
            {"name": name},
        ),
    )
    return package
