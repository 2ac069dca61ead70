"""My learning (in progress, completed, assigned) and assignments made by managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from accounts import units
from accounts.models import OrganisationUnit, User
from accounts.service import get_unit, get_user
from core.db import db
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from packages.models import Course
from player import attempts as player_attempts
from player import progress as player_progress
from player.models import Attempt
from portal.models import Assignment, ClassroomSession, Completion, Enrolment


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class InProgress:
    """An open e-learning attempt (resume) or an upcoming classroom session."""

    course_id: int
    title: str
    started: datetime
    status: str
    session: ClassroomSession | None = None


@dataclass
class Done:
    """A course the learner completed, passed or failed."""

    course_id: int | None
    title: str
    date: datetime
    verb: str
    score: float | None


@dataclass
class Assigned:
    """A course assigned to the learner (directly or through their unit)."""

    assignment: Assignment
    title: str
    done: bool
    overdue: bool


# A course's outcome that closes it for the learner (a failed one may be tried again).
_DONE = ("completed", "passed")
# Within one registration, the outcome My learning names (the most telling one first).
_RANK = {"passed": 0, "failed": 1, "completed": 2}


def in_progress(user: User) -> list[InProgress]:
    """Courses the learner is in: open attempts (newest first), then upcoming sessions.

    An attempt is in progress until the course's result (player/outcome.py) says it is
    completed or passed, whatever its SCOs or AUs say; a session until its attendance
    is recorded.
    """
    items: list[InProgress] = []
    # The player's table exists once the player area is registered (player/models.py).
    attempts = db.metadata.tables.get("player_attempt")
    if attempts is not None:
        done = select(Completion.id).where(
            Completion.registration == attempts.c.registration,
            Completion.user_id == user.id,
            Completion.verb.in_(_DONE),
        )
        stmt = (
            select(
                attempts.c.course_id,
                Course.title,
                attempts.c.updated_at,
                attempts.c.completion_status,
            )
            .join(Course, Course.id == attempts.c.course_id)
            .where(attempts.c.user_id == user.id, attempts.c.ended_at.is_(None))
            .where(attempts.c.preview.is_(False))  # an author's preview is not learning
            .where(~done.exists())
            .order_by(attempts.c.updated_at.desc())
        )
        seen: set[int] = set()
        for course_id, title, updated, status in db.session.execute(stmt):
            if course_id not in seen:
                seen.add(course_id)
                items.append(InProgress(course_id, title, updated, status))
    sessions = db.session.execute(
        select(ClassroomSession, Course.title)
        .join(Enrolment, Enrolment.session_id == ClassroomSession.id)
        .join(Course, Course.id == ClassroomSession.course_id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.recorded_at.is_(None),
            ClassroomSession.cancelled_at.is_(None),
        )
        .order_by(ClassroomSession.starts_at)
    )
    for session, title in sessions:
        items.append(InProgress(session.course_id, title, session.starts_at, "enrolled", session))
    return items


def progress_of(user: User, items: list[InProgress]) -> dict[int, float]:
    """For My learning's bars: how far the learner is into each open e-learning attempt."""
    course_ids = [i.course_id for i in items if i.session is None]
    if not course_ids:
        return {}
    stmt = (
        select(Attempt)
        .where(
            Attempt.user_id == user.id,
            Attempt.course_id.in_(course_ids),
            Attempt.ended_at.is_(None),
            Attempt.preview.is_(False),
        )
        .order_by(Attempt.updated_at)
    )
    found: dict[int, float] = {}
    for open_attempt in db.session.scalars(stmt):  # oldest first: the newest wins
        found[open_attempt.course_id] = player_progress.progress(
            open_attempt, player_attempts.version_of(open_attempt)
        )
    return found


def completed(user: User) -> list[Done]:
    """The learner's course results from the LRS projection, newest first, one per course.

    A course the learner is in again (``in_progress``) is listed there only: My learning
    shows each course once. A course's row is its latest result: the registration (an
    attempt, a classroom session) with the newest outcome, named by its most telling
    outcome (passed, then failed, then completed), with that registration's score; an
    outcome without a registration stands alone.
    """
    busy = {item.course_id for item in in_progress(user)}
    rows = db.session.execute(
        select(Completion, Course.title)
        .outerjoin(Course, Course.id == Completion.course_id)
        .where(Completion.user_id == user.id)
        .order_by(Completion.stored.desc(), Completion.id.desc())
    )
    # Newest first: each course's first registration is its latest result.
    latest: dict[Any, Any] = {}
    outcomes: dict[Any, list[tuple[Completion, str | None]]] = {}
    for completion, title in rows:
        course = completion.course_id or completion.activity_id
        if completion.course_id in busy:
            continue
        group = completion.registration or completion.statement_id
        latest.setdefault(course, group)
        if latest[course] == group:
            outcomes.setdefault(course, []).append((completion, title))
    done = []
    for found in outcomes.values():
        ranked = sorted(found, key=lambda pair: _RANK.get(pair[0].verb, 9))
        first, name = ranked[0]
        score = next((c.score for c, _t in ranked if c.score is not None), None)
        when = max(c.stored for c, _t in found)
        done.append(Done(first.course_id, name or first.activity_id, when, first.verb, score))
    return done


def assigned(user: User) -> list[Assigned]:
    """Assignments to the user, their unit or a unit above it, by due date."""
    conditions = [Assignment.user_id == user.id]
    if user.unit is not None:
        conditions.append(Assignment.unit_id.in_([unit.id for unit in units.path(user.unit)]))
    rows = db.session.execute(
        select(Assignment, Course.title)
        .join(Course, Course.id == Assignment.course_id)
        .where(or_(*conditions))
        .order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
    ).all()
    course_ids = {a.course_id for a, _ in rows}
    finished = (
        set(
            db.session.scalars(
                select(Completion.course_id).where(
                    Completion.user_id == user.id,
                    Completion.course_id.in_(course_ids),
                    Completion.verb.in_(("completed", "passed")),
                )
            )
        )
        if course_ids
        else set()
    )
    today = date.today()
    # One row per course: assigned to the person and to their unit (or twice to a unit
    # above), the earliest due date is the one that counts (rows come in due order).
    first: dict[int, tuple[Assignment, str]] = {}
    for a, title in rows:
        first.setdefault(a.course_id, (a, title))
    return [
        Assigned(
            a,
            title,
            a.course_id in finished,
            a.course_id not in finished and a.due_date is not None and a.due_date < today,
        )
        for a, title in first.values()
    ]


def _check_assigner(manager: User, user_id: int | None, unit_id: int | None) -> None:
    if manager.role == "admin":
        return
    if manager.role != "manager":
        raise Forbidden("Assignments are made by managers")
    own = managed_units(manager)
    if unit_id is not None and unit_id not in own:
        raise Forbidden("A manager assigns only to their own unit")
    if user_id is not None and get_user(user_id).unit_id not in own:
        raise Forbidden("A manager assigns only to people in their own unit")


def managed_units(manager: User) -> list[int]:
    """The units a manager looks after: their unit and every unit below it."""
    return units.subtree_ids([manager.unit_id]) if manager.unit_id is not None else []


def assignable(manager: User, course: Course) -> bool:
    """Whether a manager may assign ``course``.

    Shared courses, and those owned by a unit above, at or below the manager's.
    """
    if manager.role == "admin" or course.owner_unit_id is None:
        return True
    if manager.unit is None:
        return False
    above = {unit.id for unit in units.path(manager.unit)}
    return course.owner_unit_id in above.union(managed_units(manager))


def create_assignment(
    manager: User,
    course_id: int,
    user_id: int | None,
    unit_id: int | None,
    due_date: date | None,
    note: str = "",
) -> Assignment:
    """Assign a course to one user or to a whole unit."""
    if (user_id is None) == (unit_id is None):
        raise BadRequest(
            "Assign to either a person or a unit",
            errors=[{"path": "user_id", "message": "one of user_id, unit_id"}],
        )
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course {course_id}")
    if unit_id is not None:
        get_unit(unit_id)
    _check_assigner(manager, user_id, unit_id)
    if not assignable(manager, course):
        raise Forbidden("This course belongs to another unit")
    same = db.session.scalar(
        select(Assignment.id).where(
            Assignment.course_id == course_id,
            Assignment.user_id.is_(None) if user_id is None else Assignment.user_id == user_id,
            Assignment.unit_id.is_(None) if unit_id is None else Assignment.unit_id == unit_id,
            Assignment.due_date.is_(None) if due_date is None else Assignment.due_date == due_date,
        )
    )
    if same is not None:
        raise Conflict(
            "This course is already assigned to them with that due date",
            errors=[{"path": "course_id", "message": "already assigned"}],
        )
    assignment = Assignment(
        course_id=course_id,
        user_id=user_id,
        unit_id=unit_id,
        due_date=due_date,
        note=note,
        assigned_by_id=manager.id,
        created_at=_now(),
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def assignments_by(manager: User) -> list[tuple[Assignment, str, str]]:
    """Assignments a manager may see (their unit's, or all for admins) with course and target."""
    stmt = (
        select(Assignment, Course.title, func.coalesce(User.name, OrganisationUnit.name))
        .join(Course, Course.id == Assignment.course_id)
        .outerjoin(User, User.id == Assignment.user_id)
        .outerjoin(OrganisationUnit, OrganisationUnit.id == Assignment.unit_id)
        .order_by(Assignment.id.desc())
    )
    if manager.role != "admin":
        own = managed_units(manager)
        stmt = stmt.where(or_(Assignment.unit_id.in_(own), User.unit_id.in_(own)))
    return [(a, t, n) for a, t, n in db.session.execute(stmt)]


def delete_assignment(manager: User, assignment_id: int) -> None:
    """Withdraw an assignment (within the manager's unit)."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("No such assignment")
    _check_assigner(manager, assignment.user_id, assignment.unit_id)
    db.session.delete(assignment)
    db.session.flush()
