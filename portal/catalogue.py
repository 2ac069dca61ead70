"""The catalogue and authoring: which courses a user sees, metadata, uploads, publishing.

A course is owned by one organisation unit (``package_course.owner_unit_id``) or shared
by the whole organisation (None).  A learner sees the published shared courses and those
of their own unit and the units above it: a unit's course is for the people of its whole
subtree, wherever the unit is moved or whatever it is renamed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, BinaryIO

from sqlalchemy import ColumnElement, func, or_, select

from accounts import units
from accounts.auth import has_role
from accounts.models import OrganisationUnit, User
from core.db import db
from core.errors import BadRequest, Forbidden, NotFound
from core.i18n import N_
from packages import review
from packages import service as packages
from packages.models import Course, PackageVersion
from packages.report import PackageRefused, Problem
from portal import course_images
from portal.models import CourseKind


@dataclass
class CatalogueEntry:
    """One row of the catalogue."""

    course: Course
    kind: str
    unit_name: str | None


def units_above(user: User) -> list[int]:
    """The ids of the user's unit and every unit above it.

    A department's course is for everyone in the department's units too.
    """
    return [unit.id for unit in units.path(user.unit)] if user.unit is not None else []


def _visible(user: User) -> list[ColumnElement[bool]]:
    """Conditions limiting courses to what ``user`` may see (admins and authors see all)."""
    if has_role("author", user):
        return []
    ids = units_above(user)
    shared = Course.owner_unit_id.is_(None)
    return [or_(shared, Course.owner_unit_id.in_(ids)) if ids else shared]


def course_kind(course_id: int) -> str:
    """Return "elearning" or "classroom"."""
    kind = db.session.get(CourseKind, course_id)
    return kind.kind if kind is not None else "elearning"


def search_catalogue(
    user: User,
    q: str = "",
    category: str | None = None,
    unit: str | None = None,
    kind: str | None = None,
    published_only: bool = True,
) -> list[CatalogueEntry]:
    """Courses ``user`` may see, filtered by text, category, unit code ("shared") and kind."""
    kind_col = func.coalesce(CourseKind.kind, "elearning")
    stmt = (
        select(Course, kind_col, OrganisationUnit.name)
        .outerjoin(CourseKind, CourseKind.course_id == Course.id)
        .outerjoin(OrganisationUnit, OrganisationUnit.id == Course.owner_unit_id)
        .where(*_visible(user))
        .order_by(Course.title, Course.id)
    )
    if published_only:
        stmt = stmt.where(Course.published.is_(True))
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(Course.title).like(like), func.lower(Course.description).like(like))
        )
    if category:
        stmt = stmt.where(Course.category == category)
    if unit == "shared":
        stmt = stmt.where(Course.owner_unit_id.is_(None))
    elif unit:
        stmt = stmt.where(OrganisationUnit.code == unit)
    if kind:
        stmt = stmt.where(kind_col == kind)
    return [CatalogueEntry(c, k, n) for c, k, n in db.session.execute(stmt)]


def categories(user: User) -> list[str]:
    """The categories of the courses ``user`` may see, for the filter."""
    stmt = (
        select(Course.category)
        .where(Course.category.is_not(None), Course.published.is_(True), *_visible(user))
        .distinct()
        .order_by(Course.category)
    )
    return [c for c in db.session.scalars(stmt) if c]


def visible_course(user: User, course_id: int) -> Course:
    """Return a course ``user`` may see, else NotFound (no hint that it exists)."""
    course = db.session.get(Course, course_id)
    if course is None or (not has_role("author", user) and not course.published):
        raise NotFound(f"No course {course_id}")
    if (
        not has_role("author", user)
        and course.owner_unit_id is not None
        and course.owner_unit_id not in units_above(user)
    ):
        raise NotFound(f"No course {course_id}")
    return course


def is_published(course_id: int) -> bool:
    """Whether the course exists and is published."""
    course = db.session.get(Course, course_id)
    return course is not None and course.published


def launchable_course(user: User, course_id: int) -> Course:
    """A course ``user`` may launch or review as a learner, else NotFound.

    Published, of the catalogue they see (visible_course), and e-learning: a classroom
    course has no package to play. Authors too, so that their attempts are real ones;
    their drafts they preview (previewable_course).
    """
    course = db.session.get(Course, course_id)
    if course is None or not course.published:
        raise NotFound(f"No course {course_id}")
    course = visible_course(user, course_id)
    if course_kind(course.id) != "elearning":
        raise NotFound(f"Course {course_id} has nothing to launch")
    return course


def previewable_course(course_id: int) -> Course:
    """An e-learning course an author may preview (any, published or not), else NotFound."""
    course = db.session.get(Course, course_id)
    if course is None or course_kind(course.id) != "elearning":
        raise NotFound(f"No e-learning course {course_id}")
    return course


# -- Authoring ------------------------------------------------------------------------


def _owner(unit_id: int | None) -> int | None:
    """The owning unit chosen in a form (None: the whole organisation), if it exists."""
    if unit_id is None:
        return None
    if db.session.get(OrganisationUnit, unit_id) is None:
        raise BadRequest(
            "Unknown organisation unit", errors=[{"path": "unit", "message": "unknown"}]
        )
    return unit_id


def _live_at_upload(by: User | None, publish: bool) -> bool:
    """Whether an upload's version is offered to learners at once.

    Without COURSE_REVIEW, and for the system (``by`` None: the demo, scripts), as
    before review: yes. With it, an admin's only when they publish at once, and an
    author's never (refused when asked): it goes to review first.
    """
    if by is None or not review.required():
        return True
    if publish and not review.may_publish_directly(by):
        message = "Courses are reviewed before they are published: submit the version for review"
        raise Forbidden(message, errors=[{"path": "publish", "message": message}])
    return publish


def upload_course(
    stream: BinaryIO,
    filename: str,
    title: str | None,
    category: str | None,
    unit: int | None,
    publish: bool,
    by: User | None = None,
    progress: packages.Progress | None = None,
) -> packages.ImportResult:
    """Import a package as a new e-learning course (PackageRefused lists the problems).

    ``by``: the author uploading it (None: the system); see ``_live_at_upload``.
    ``progress``: told how far the import has come (a background import's page).
    """
    live = _live_at_upload(by, publish)
    result = packages.import_package(
        stream,
        title=title,
        category=category,
        owner_unit_id=_owner(unit),
        label=filename,
        published=live,
        uploaded_by=by,
        progress=progress,
    )
    db.session.add(CourseKind(course_id=result.course.id, kind="elearning"))
    if publish:
        packages.set_published(result.course, True)
    db.session.flush()
    return result


def upload_version(
    course: Course,
    stream: BinaryIO,
    filename: str,
    by: User | None = None,
    progress: packages.Progress | None = None,
) -> packages.ImportResult:
    """Import a package as the next version of ``course``.

    With COURSE_REVIEW a person's upload is a draft (even an admin's, who may publish
    it without review from the course's page); otherwise it is offered at once.
    """
    check_upload(course, by, filename, publish=False)
    live = by is None or not review.required()
    return packages.import_package(
        stream, course.id, label=filename, published=live, uploaded_by=by, progress=progress
    )


def check_upload(course: Course | None, by: User | None, filename: str, publish: bool) -> None:
    """Refuse now what an import would refuse whatever the zip (a background import's check).

    A version of a classroom course; an author publishing without review.
    """
    if course is None:
        _live_at_upload(by, publish)
    elif course_kind(course.id) == "classroom":
        raise PackageRefused([Problem(filename, None, N_("A classroom course has no packages"))])


def create_classroom_course(
    title: str, description: str, category: str | None, unit: int | None
) -> Course:
    """Create a classroom course (no package; its sessions are held in a room)."""
    course = packages.create_course(title, description, category, _owner(unit))
    db.session.add(CourseKind(course_id=course.id, kind="classroom"))
    db.session.flush()
    return course


def update_metadata(
    course: Course, title: str, description: str, category: str | None, unit: int | None
) -> Course:
    """Change title, description, category and owning unit."""
    return packages.update_course(
        course,
        title=title.strip(),
        description=description,
        category=category,
        owner_unit_id=_owner(unit),
    )


def update_presentation(
    course: Course, summary: str | None, image: IO[bytes] | None, remove_image: bool
) -> Course:
    """The catalogue card: short description, and a new picture or none."""
    packages.update_course(course, summary=(summary or "").strip() or None)
    if image is not None:
        course_images.store(course, image)
    elif remove_image:
        course_images.remove(course)
    return course


def set_published(course: Course, published: bool) -> Course:
    """Publish or unpublish; an e-learning course needs a published version first.

    Its versions are published one by one (packages/review.py), after a review where
    COURSE_REVIEW asks for one; this only puts the course in the catalogue or takes it out.
    """
    if (
        published
        and course_kind(course.id) == "elearning"
        and packages.latest_published_version(course) is None
    ):
        if packages.latest_version(course) is None:
            raise BadRequest("Upload a package before publishing the course")
        raise BadRequest("No version of this course is published yet: submit one for review")
    return packages.set_published(course, published)


def authored_courses() -> list[tuple[Course, str, int]]:
    """Every course with its kind and number of versions, newest first (authoring list)."""
    versions = (
        select(PackageVersion.course_id, func.count().label("n"))
        .group_by(PackageVersion.course_id)
        .subquery()
    )
    stmt = (
        select(Course, func.coalesce(CourseKind.kind, "elearning"), func.coalesce(versions.c.n, 0))
        .outerjoin(CourseKind, CourseKind.course_id == Course.id)
        .outerjoin(versions, versions.c.course_id == Course.id)
        .order_by(Course.id.desc())
    )
    return [(c, k, int(n)) for c, k, n in db.session.execute(stmt)]
