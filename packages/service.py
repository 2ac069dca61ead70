"""The packages Python API: import a package, find courses and versions.

Service functions ``flush()`` but never ``commit()``; the CLI command or view commits.
Imports are all-or-nothing: a refused package stores no file and no row.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import quote

from flask import current_app
from sqlalchemy import func, insert, select

from accounts.models import User
from accounts.service import unit_by_code
from core.db import db
from core.errors import BadRequest, NotFound
from core.i18n import N_
from packages import review_log
from packages.extract import PackageZip, ZipLimits, open_package
from packages.manifest import read_package
from packages.manifest.common import ParsedPackage
from packages.manifest.hrefs import is_absolute_url
from packages.models import Course, PackageFile, PackageVersion
from packages.report import PackageRefused, Problem
from packages.s3_storage import S3Storage
from packages.storage import LocalStorage, StagedFile, Storage

# Told (bytes stored so far, bytes to store) while an import stores its files.
Progress = Callable[[int, int], None]


@dataclass
class ImportResult:
    """What an import created."""

    course: Course
    version: PackageVersion
    warnings: list[Problem]

    def as_dict(self) -> dict[str, Any]:
        """The documented summary (``flask packages import --json`` and the API)."""
        return {
            "course": self.course.id,
            "version": self.version.number,
            "kind": self.version.kind,
            "edition": self.version.edition,
            "launch": self.version.launch,
            "warnings": [w.as_dict() for w in self.warnings],
            "review_state": self.version.review_state,
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def zip_limits() -> ZipLimits:
    """Return the zip limits from the app config (config.PACKAGE_ZIP_*)."""
    cfg = current_app.config
    return ZipLimits(
        max_total_size=int(cfg["PACKAGE_ZIP_MAX_TOTAL_SIZE"]),
        max_files=int(cfg["PACKAGE_ZIP_MAX_FILES"]),
        max_ratio=float(cfg["PACKAGE_ZIP_MAX_RATIO"]),
        ratio_min_size=int(cfg["PACKAGE_ZIP_RATIO_MIN_SIZE"]),
        allow_nested_zip=bool(cfg["PACKAGE_ZIP_ALLOW_NESTED"]),
    )


def get_storage() -> Storage:
    """Return the configured storage: STORAGE_PATH, or the S3 bucket with STORAGE=s3.

    One per process, app and settings: a boto3 client is slow to make and safe to share
    between threads, and keeps its connections to the bucket open (never across a fork).
    """
    settings = storage_settings(current_app.config)
    key = (os.getpid(), tuple(settings.values()))
    cached = current_app.extensions.get("kompetens_storage")
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    storage = storage_from_settings(settings)
    current_app.extensions["kompetens_storage"] = (key, storage)
    return storage


def storage_settings(config: Mapping[str, Any]) -> dict[str, str]:
    """The settings that choose the storage (config.py STORAGE, S3_*), as text."""
    return {name: str(config.get(name) or "") for name in _STORAGE_SETTINGS}


_STORAGE_SETTINGS = (
    "STORAGE",
    "STORAGE_PATH",
    "S3_ENDPOINT_URL",
    "S3_BUCKET",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_PREFIX",
)


def storage_from_settings(settings: dict[str, str]) -> Storage:
    """The storage the settings name (config.py STORAGE); ValueError for a wrong one."""
    kind = settings.get("STORAGE") or "local"
    if kind == "local":
        return LocalStorage(settings["STORAGE_PATH"])
    if kind != "s3":
        raise ValueError(f"STORAGE must be 'local' or 's3', not {kind!r}")
    if not settings.get("S3_BUCKET"):
        raise ValueError("STORAGE=s3 needs S3_BUCKET")
    return S3Storage(
        settings["S3_BUCKET"],
        temp_root=settings["STORAGE_PATH"],
        prefix=settings.get("S3_PREFIX", ""),
        endpoint_url=settings.get("S3_ENDPOINT_URL"),
        region=settings.get("S3_REGION"),
        access_key_id=settings.get("S3_ACCESS_KEY_ID"),
        secret_access_key=settings.get("S3_SECRET_ACCESS_KEY"),
    )


def get_course(course_id: int) -> Course:
    """Return a course by id, or raise NotFound."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course {course_id}")
    return course


def import_package(
    source: str | os.PathLike[str] | BinaryIO,
    course_id: int | None = None,
    *,
    title: str | None = None,
    category: str | None = None,
    owner_unit_id: int | None = None,
    published: bool = True,
    storage: Storage | None = None,
    limits: ZipLimits | None = None,
    label: str = "upload.zip",
    uploaded_by: User | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check and store a package as a new course, or as the next version of ``course_id``.

    Args:
        source: the zip, as a path or a seekable binary stream.
        course_id: add a version to this course instead of creating one.
        title: the new course's title (default: the package's own title).
        category: the new course's category.
        owner_unit_id: the organisation unit owning a new course (owner_unit_id() finds
            it by code); None = the whole organisation.
        published: whether new attempts may use this version at once (without a
            review: the caller has decided it may, packages/review.py).
        storage: where files go (default: ``get_storage()``).
        limits: zip limits (default: ``zip_limits()``).
        label: the upload's file name, used in problems.
        uploaded_by: who uploaded it (None: the command line); an author of the course
            from now on, in its review history.
        progress: called with (bytes stored, bytes to store) as files are stored
            (a background import's page), before anything is added to the session.

    Raises:
        PackageRefused: the package is unsafe or invalid; nothing was stored.
        NotFound: ``course_id`` names no course.

    """
    course = get_course(course_id) if course_id is not None else None
    storage = storage or get_storage()
    limits = limits or zip_limits()
    with open_package(source, limits, temp_dir=str(storage.temp_dir), label=label) as package:
        parsed = read_package(package, limits)
        if parsed.report.errors:
            raise PackageRefused(parsed.report.errors, parsed.report.warnings)
        rows = _store_files(package, storage, label, progress)
    if course is None:
        course = create_course(
            title or parsed.title or label, parsed.description, category, owner_unit_id
        )
    version = _add_version(course, parsed, rows)
    review_log.record(version, "uploaded", uploaded_by)
    if published:
        review_log.published(version, uploaded_by, reviewed=False)
    return ImportResult(course, version, parsed.report.warnings)


def _store_files(
    package: PackageZip, storage: Storage, label: str, progress: Progress | None = None
) -> list[dict[str, object]]:
    """Stage every file of the zip, then commit them all to the store.

    A damaged zip leaves nothing behind. Returns one file-map row (path, sha256, size)
    per file.
    """
    staged: list[tuple[str, StagedFile]] = []
    total, done = package.total_size, 0
    try:
        for entry in package.iter_files():
            with package.open(entry.path) as stream:
                staged.append((entry.path, storage.stage(stream)))  # type: ignore[arg-type]
            done += entry.size
            if progress is not None:
                progress(done, total)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        damaged = N_("The zip is damaged (%(detail)s); nothing was imported")
        raise PackageRefused([Problem(label, None, damaged, params={"detail": str(exc)})]) from None
    finally:
        if len(staged) < len(package.files):
            for _, file in staged:
                storage.discard(file)
    # Every entry was read whole: only now do files enter the store. A commit that fails
    # leaves the files committed before it (complete, under their digests: harmless).
    try:
        storage.commit_all([file for _, file in staged])
    except BaseException:
        for _, file in staged:
            storage.discard(file)
        raise
    return [{"path": path, "sha256": f.digest, "size": f.size} for path, f in staged]


def _add_version(
    course: Course, parsed: ParsedPackage, rows: list[dict[str, object]]
) -> PackageVersion:
    """The course's next version (a draft) with its file map; its content hash names the files."""
    content_hash = hashlib.sha256()
    for row in sorted(rows, key=lambda r: str(r["path"])):
        content_hash.update(f"{row['path']}\0{row['sha256']}\n".encode())
    now = _now()
    number = (
        db.session.scalar(
            select(func.max(PackageVersion.number)).where(PackageVersion.course_id == course.id)
        )
        or 0
    ) + 1
    version = PackageVersion(
        course_id=course.id,
        number=number,
        kind=parsed.kind,
        edition=parsed.edition,
        title=parsed.title[:500],
        published=False,
        review_state="draft",
        manifest=parsed.structure,
        launch=parsed.launch,
        warnings=[w.as_dict() for w in parsed.report.warnings],
        content_hash=content_hash.hexdigest(),
        file_count=len(rows),
        total_size=sum(int(r["size"]) for r in rows),  # type: ignore[call-overload]
        created_at=now,
    )
    db.session.add(version)
    course.updated_at = now
    db.session.flush()
    if rows:
        db.session.execute(insert(PackageFile), [{"version_id": version.id, **r} for r in rows])
    return version


def owner_unit_id(code: str | None, path: str = "owner_unit") -> int | None:
    """The id of the unit with this code; None (or "") is the whole organisation.

    The API and the CLI name units by code (what organisations use); courses keep the id.
    Raises BadRequest naming ``path`` for a code no unit has.
    """
    if code is None or code == "":
        return None
    unit = unit_by_code(code)
    if unit is None:
        raise BadRequest(
            f"No organisation unit with code {code!r}",
            errors=[{"path": path, "message": "unknown unit"}],
        )
    return unit.id


def create_course(
    title: str,
    description: str = "",
    category: str | None = None,
    owner_unit_id: int | None = None,
    published: bool = False,
) -> Course:
    """Create a course without a package (classroom courses; imports call this too)."""
    now = _now()
    course = Course(
        title=title.strip()[:500],
        description=description,
        category=category,
        owner_unit_id=owner_unit_id,
        published=published,
        created_at=now,
        updated_at=now,
    )
    db.session.add(course)
    db.session.flush()
    return course


def latest_published_version(course: Course | int) -> PackageVersion | None:
    """Return the version new attempts get: the newest published one (old attempts keep theirs)."""
    course_id = course if isinstance(course, int) else course.id
    return db.session.scalar(
        select(PackageVersion)
        .where(PackageVersion.course_id == course_id, PackageVersion.published.is_(True))
        .order_by(PackageVersion.number.desc())
        .limit(1)
    )


def latest_version(course: Course | int) -> PackageVersion | None:
    """Return the newest version, published or not (what an author previews)."""
    course_id = course if isinstance(course, int) else course.id
    return db.session.scalar(
        select(PackageVersion)
        .where(PackageVersion.course_id == course_id)
        .order_by(PackageVersion.number.desc())
        .limit(1)
    )


def list_courses(owner_unit_id: int | None = None) -> list[Course]:
    """All courses, newest first; with ``owner_unit_id``, that unit's and the shared ones."""
    query = select(Course).order_by(Course.id.desc())
    if owner_unit_id is not None:
        query = query.where(
            (Course.owner_unit_id == owner_unit_id) | Course.owner_unit_id.is_(None)
        )
    return list(db.session.scalars(query))


def list_versions(course: Course) -> list[PackageVersion]:
    """Return a course's versions, oldest first."""
    return list(
        db.session.scalars(
            select(PackageVersion)
            .where(PackageVersion.course_id == course.id)
            .order_by(PackageVersion.number)
        )
    )


def get_version(version_id: int) -> PackageVersion:
    """Return a version by id, or raise NotFound."""
    version = db.session.get(PackageVersion, version_id)
    if version is None:
        raise NotFound(f"No package version {version_id}")
    return version


def find_file(version_id: int, path: str) -> PackageFile | None:
    """Return the stored file at ``path`` in a version, if there is one."""
    return db.session.get(PackageFile, (version_id, path))


def find_content_file(key: str, path: str) -> PackageFile | None:
    """Return the file at ``path`` of the version whose content hash is ``key``.

    Never by version id: ids can be counted, hashes cannot (content URLs are the only
    key to an unpublished course's files).
    """
    if len(key) != 64 or key.strip("0123456789abcdef"):
        return None
    return db.session.scalar(
        select(PackageFile)
        .join(PackageVersion, PackageVersion.id == PackageFile.version_id)
        .where(PackageVersion.content_hash == key, PackageFile.path == path)
        .limit(1)
    )


def content_url(version: PackageVersion, href: str) -> str:
    """Return the URL of a package file (a launch href) on the content origin.

    Built from the version's content hash, so URLs cannot be enumerated and may be cached
    forever; relative links inside the content resolve against it.
    """
    if is_absolute_url(href):
        return href
    origin = str(current_app.config.get("CONTENT_ORIGIN") or "").rstrip("/")
    return f"{origin}/content/{version.content_hash}/{quote(href, safe='/?&=#%:;,+@!$~*()')}"


def set_published(course: Course, published: bool) -> Course:
    """Publish or unpublish a course in the catalogue."""
    return update_course(course, published=published)


def update_course(course: Course, **changes: object) -> Course:
    """Change a course's title, description, summary, category, owner or published flag."""
    allowed = {"title", "description", "summary", "category", "owner_unit_id", "published"}
    for name, value in changes.items():
        if name not in allowed:
            raise ValueError(f"not a course field: {name}")
        setattr(course, name, value)
    course.updated_at = _now()
    db.session.flush()
    return course
