"""Learning paths: an ordered set of courses that a learner takes and completes as one.

Authors make a path from catalogue courses, order them and publish it; who sees it
follows the courses' rule (a path owned by a unit is for that unit's whole subtree).
A learner's progress is read from what the courses record: a step is done once the
course has a completed or passed result (the completions projection), in progress while
an attempt is open or a session booked, and the path is completed when every step is,
on the day its last step was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, or_, select

from accounts.auth import has_role
from accounts.models import OrganisationUnit, User
from core.db import db
from core.errors import BadRequest, Conflict, NotFound
from core.i18n import N_
from packages.models import Course
from portal import catalogue, learning
from portal.models import Completion
from portal.path_models import LearningPath, LearningPathCourse

DONE, IN_PROGRESS, NOT_STARTED = "done", "in_progress", "not_started"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _bad(path: str, message: str) -> BadRequest:
    return BadRequest(message, errors=[{"path": path, "message": message}])


# -- authoring ----------------------------------------------------------------------------


def create(title: str, description: str, unit_id: int | None) -> LearningPath:
    """A new path (a draft: learners see it once it is published)."""
    now = _now()
    path = LearningPath(
        title=title.strip(),
        description=description,
        owner_unit_id=_owner(unit_id),
        published=False,
        created_at=now,
        updated_at=now,
    )
    db.session.add(path)
    db.session.flush()
    return path


def update(path: LearningPath, title: str, description: str, unit_id: int | None) -> LearningPath:
    """Change a path's title, description and owning unit."""
    path.title = title.strip()
    path.description = description
    path.owner_unit_id = _owner(unit_id)
    path.updated_at = _now()
    db.session.flush()
    return path


def _owner(unit_id: int | None) -> int | None:
    if unit_id is not None and db.session.get(OrganisationUnit, unit_id) is None:
        raise _bad("unit", N_("Unknown organisation unit"))
    return unit_id


def get(path_id: int) -> LearningPath:
    """A path by id (NotFound when there is none)."""
    path = db.session.get(LearningPath, path_id)
    if path is None:
        raise NotFound(N_("There is no such learning path"))
    return path


def all_paths() -> list[tuple[LearningPath, int]]:
    """Every path with its number of courses, for authors."""
    count = (
        select(LearningPathCourse.path_id, func.count().label("n"))
        .group_by(LearningPathCourse.path_id)
        .subquery()
    )
    stmt = (
        select(LearningPath, func.coalesce(count.c.n, 0))
        .outerjoin(count, count.c.path_id == LearningPath.id)
        .order_by(LearningPath.title, LearningPath.id)
    )
    return [(path, int(n)) for path, n in db.session.execute(stmt)]


def courses_of(path: LearningPath) -> list[Course]:
    """The path's courses in order."""
    stmt = (
        select(Course)
        .join(LearningPathCourse, LearningPathCourse.course_id == Course.id)
        .where(LearningPathCourse.path_id == path.id)
        .order_by(LearningPathCourse.position)
    )
    return list(db.session.scalars(stmt))


def add_course(path: LearningPath, course_id: int) -> None:
    """Put a course last in the path (each course once)."""
    if db.session.get(Course, course_id) is None:
        raise _bad("course_id", N_("Choose a course from the list."))
    if db.session.get(LearningPathCourse, (path.id, course_id)) is not None:
        raise Conflict(N_("The course is in the path already"))
    last = db.session.scalar(
        select(func.max(LearningPathCourse.position)).where(LearningPathCourse.path_id == path.id)
    )
    step = LearningPathCourse(path_id=path.id, course_id=course_id, position=(last or 0) + 1)
    db.session.add(step)
    path.updated_at = _now()
    db.session.flush()


def _steps(path: LearningPath) -> list[LearningPathCourse]:
    stmt = (
        select(LearningPathCourse)
        .where(LearningPathCourse.path_id == path.id)
        .order_by(LearningPathCourse.position)
    )
    return list(db.session.scalars(stmt))


def _renumber(steps: list[LearningPathCourse]) -> None:
    for position, step in enumerate(steps, start=1):
        step.position = position


def move(path: LearningPath, course_id: int, by: int) -> None:
    """Move a course one place earlier (``by`` -1) or later (+1)."""
    steps = _steps(path)
    index = next((i for i, s in enumerate(steps) if s.course_id == course_id), None)
    if index is None:
        raise NotFound(N_("The course is not in this path"))
    target = min(max(index + by, 0), len(steps) - 1)
    steps.insert(target, steps.pop(index))
    _renumber(steps)
    path.updated_at = _now()
    db.session.flush()


def remove_course(path: LearningPath, course_id: int) -> None:
    """Take a course out of the path (the others close up)."""
    steps = _steps(path)
    found = next((s for s in steps if s.course_id == course_id), None)
    if found is None:
        raise NotFound(N_("The course is not in this path"))
    db.session.delete(found)
    steps.remove(found)
    _renumber(steps)
    if not steps:
        path.published = False  # an empty path is nothing to take
    path.updated_at = _now()
    db.session.flush()


def set_published(path: LearningPath, published: bool) -> None:
    """Publish (every course in it must be published) or take back to draft."""
    if published:
        courses = courses_of(path)
        if not courses:
            raise BadRequest(N_("Add at least one course before publishing the path"))
        if any(not c.published for c in courses):
            raise BadRequest(N_("Publish every course in the path before publishing the path"))
    path.published = published
    path.updated_at = _now()
    db.session.flush()


# -- learners -----------------------------------------------------------------------------


def _visible(user: User) -> list[ColumnElement[bool]]:
    """Published paths the user's unit may see (authors and admins see every path)."""
    if has_role("author", user):
        return []
    ids = catalogue.units_above(user)
    shared = LearningPath.owner_unit_id.is_(None)
    mine = or_(shared, LearningPath.owner_unit_id.in_(ids)) if ids else shared
    return [LearningPath.published.is_(True), mine]


def visible_path(user: User, path_id: int) -> LearningPath:
    """A path the user may open (NotFound otherwise, without a hint that it exists)."""
    stmt = select(LearningPath).where(LearningPath.id == path_id, *_visible(user))
    path = db.session.scalar(stmt)
    if path is None:
        raise NotFound(N_("There is no such learning path"))
    return path


@dataclass
class Step:
    """One course of a path as the learner stands with it."""

    course: Course
    status: str  # DONE, IN_PROGRESS, NOT_STARTED
    done_at: datetime | None


@dataclass
class Progress:
    """A learner's way through a path."""

    path: LearningPath
    steps: list[Step]

    @property
    def done(self) -> int:
        """How many steps are done."""
        return sum(step.status == DONE for step in self.steps)

    @property
    def share(self) -> float:
        """The share (0..1) of steps done."""
        return self.done / len(self.steps) if self.steps else 0.0

    @property
    def completed_at(self) -> datetime | None:
        """When the last step was done, once every step is (None until then)."""
        if not self.steps or self.done < len(self.steps):
            return None
        return max(step.done_at for step in self.steps if step.done_at is not None)

    @property
    def next_step(self) -> Step | None:
        """The first step not done, the one to take next."""
        return next((step for step in self.steps if step.status != DONE), None)

    @property
    def started(self) -> bool:
        """Whether the learner has begun any step."""
        return any(step.status != NOT_STARTED for step in self.steps)


def progress(user: User, path: LearningPath) -> Progress:
    """The user's progress through one path."""
    return progress_many(user, [path])[0]


def progress_many(user: User, paths: list[LearningPath]) -> list[Progress]:
    """The user's progress through each of these paths (one query for the results)."""
    steps = {path.id: courses_of(path) for path in paths}
    course_ids = {c.id for courses in steps.values() for c in courses}
    first_done = (
        dict(
            db.session.execute(
                select(Completion.course_id, func.min(Completion.stored))
                .where(
                    Completion.user_id == user.id,
                    Completion.course_id.in_(course_ids),
                    Completion.verb.in_(("completed", "passed")),
                )
                .group_by(Completion.course_id)
            ).all()
        )
        if course_ids
        else {}
    )
    busy = {item.course_id for item in learning.in_progress(user)} if course_ids else set()
    found = []
    for path in paths:
        found.append(
            Progress(
                path,
                [
                    Step(
                        course,
                        DONE
                        if course.id in first_done
                        else IN_PROGRESS
                        if course.id in busy
                        else NOT_STARTED,
                        first_done.get(course.id),
                    )
                    for course in steps[path.id]
                ],
            )
        )
    return found


def catalogue_paths(user: User) -> list[Progress]:
    """The published paths the user may take, with their progress, by title."""
    stmt = select(LearningPath).where(*_visible(user)).order_by(LearningPath.title)
    if has_role("author", user):
        stmt = stmt.where(LearningPath.published.is_(True))
    return progress_many(user, list(db.session.scalars(stmt)))


def started_paths(user: User) -> list[Progress]:
    """Paths the user has begun (My learning), completed ones included."""
    return [p for p in catalogue_paths(user) if p.started]
