"""People, not only completions, in the course reports: "12 of 40".

A report's completions count statements (a person who completed a course three times
counts three times). These count people: of the people in the report's scope now (the
active people in the unit's subtree, the whole organisation, or the manager's line),
how many completed or passed a course. Each person is counted once, and only people who
are in the scope now, so "of N" is always a part of N.

For one course (its report page) also: how many of them the course is assigned to (to
them, or to their unit or a unit above it) or required of (an active requirement that
names it, unless they are exempt), and how many of those completed or passed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select

from accounts import units
from accounts.models import User
from core.db import db
from portal.i18n import N_
from portal.models import (
    Assignment,
    Completion,
    Requirement,
    RequirementCourse,
    RequirementExemption,
    RequirementMember,
)
from portal.reports import Scope, Table, period_conditions

DONE_VERBS = ("completed", "passed")


def _people(scope: Scope) -> list[Any]:
    """Conditions on User: active, and in the scope now."""
    return [User.active.is_(True), *scope.where(User.unit_id, User.id)]


def in_scope(scope: Scope) -> int:
    """How many (active) people the scope covers: the N of "of N"."""
    return int(db.session.scalar(select(func.count()).where(*_people(scope))) or 0)


def done_per_course(
    scope: Scope, start: str | None = None, end: str | None = None
) -> dict[int | None, int]:
    """Per course, the people in the scope who completed or passed it in the months."""
    stmt = (
        select(Completion.course_id, func.count(distinct(Completion.user_id)))
        .join(User, User.id == Completion.user_id)
        .where(Completion.verb.in_(DONE_VERBS), *period_conditions(start, end), *_people(scope))
        .group_by(Completion.course_id)
    )
    return {course_id: int(n) for course_id, n in db.session.execute(stmt)}


def _assigned(course_id: int) -> Any:
    """A condition on User: the course is assigned to them or required of them."""
    a = Assignment
    direct = select(a.user_id).where(a.course_id == course_id, a.user_id.is_not(None))
    unit_ids = db.session.scalars(
        select(a.unit_id).where(a.course_id == course_id, a.unit_id.is_not(None))
    )
    reached = units.subtree_ids(u for u in unit_ids if u is not None)
    m, rc, x = RequirementMember, RequirementCourse, RequirementExemption
    required = (
        select(m.user_id)
        .join(rc, rc.requirement_id == m.requirement_id)
        .join(Requirement, Requirement.id == m.requirement_id)
        .outerjoin(x, and_(x.requirement_id == m.requirement_id, x.user_id == m.user_id))
        .where(rc.course_id == course_id, Requirement.active.is_(True), x.user_id.is_(None))
    )
    conditions = [User.id.in_(direct), User.id.in_(required)]
    if reached:
        conditions.append(User.unit_id.in_(reached))
    return or_(*conditions)


@dataclass(frozen=True)
class CourseReach:
    """One course in a scope, counted in people (at any time, not per month)."""

    in_scope: int
    done: int
    assigned: int
    assigned_done: int


def reach(scope: Scope, course_id: int) -> CourseReach:
    """How many people in the scope completed or passed the course, and of the assigned.

    Read from the course's completions (a few per person) rather than by asking of
    every person in the scope whether they have one.
    """
    people, assigned = _people(scope), _assigned(course_id)
    c = Completion
    done = (
        select(c.user_id)
        .where(c.course_id == course_id, c.verb.in_(DONE_VERBS))
        .distinct()
        .subquery("done")
    )
    done_n, assigned_done = db.session.execute(
        select(func.count(), func.count().filter(assigned))
        .select_from(User)
        .join(done, done.c.user_id == User.id)
        .where(*people)
    ).one()
    assigned_n = db.session.scalar(select(func.count()).where(*people, assigned))
    return CourseReach(in_scope(scope), int(done_n), int(assigned_n or 0), int(assigned_done))


def assigned_among(course_id: int, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` the course is assigned to or required of."""
    if not user_ids:
        return set()
    stmt = select(User.id).where(User.id.in_(user_ids), _assigned(course_id))
    return set(db.session.scalars(stmt))


def with_people(table: Table, scope: Scope, start: str | None, end: str | None) -> Table:
    """The per-course table with two columns more: people who completed it, of N."""
    done = done_per_course(scope, start, end)
    total = in_scope(scope)
    for row in table.rows:
        row["people"] = done.get(row["course_id"], 0) if row["course_id"] else None
        row["in_scope"] = total
    columns = [*table.columns, ("people", PEOPLE_DONE), ("in_scope", N_("People in scope"))]
    return Table(columns, table.rows)


def with_assigned(table: Table, course_id: int) -> Table:
    """A course's learners with a column more: whether it is assigned to or required of them."""
    ids = [r["user_id"] for r in table.rows if r.get("user_id") is not None]
    assigned = assigned_among(course_id, ids)
    for row in table.rows:
        row["assigned"] = "yes" if row.get("user_id") in assigned else "no"
    return Table([*table.columns, ("assigned", N_("Assigned or required"))], table.rows)


PEOPLE_DONE = N_("People who completed or passed")
