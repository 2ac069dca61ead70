"""Which messages are due today: reminders, overdue notices, expiries, digests.

Read from the requirements' statuses (portal/compliance.py) and the assignments
(portal/models.py ``Assignment``); each message's key names its period (the due date, the
expiry, the week), so running a collector twice, or on two nodes, stores each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from accounts import units
from accounts.models import User
from core.db import db
from packages.models import Course
from portal import compliance, requirements
from portal.models import Assignment, Completion
from portal.notices import Draft

_DONE = ("completed", "passed")


def _active() -> list[Any]:
    return [User.active.is_(True)]


def _overdue(person: User, manager: User | None, ref: str, what: str, due: date) -> list[Draft]:
    """The person's overdue notice, and their manager's."""
    told = manager is not None and manager.active
    context = {"what": what, "due": str(due), "told": told}
    found = [Draft("overdue", f"overdue:{person.id}:{ref}:{due}", person, context)]
    if manager is not None and told:
        context = {"what": what, "due": str(due), "person": person.name}
        key = f"overdue_staff:{manager.id}:{ref}:{person.id}:{due}"
        found.append(Draft("overdue_staff", key, manager, context))
    return found


def _requirement_drafts(today: date, soon: date) -> Iterator[Draft]:
    for requirement in requirements.active_all():
        ref, what = f"r{requirement.id}", requirement.name
        for p in compliance.people(requirement, _active(), "overdue", today):
            due = (p.since or today) - timedelta(days=1)
            yield from _overdue(p.person, p.manager, ref, what, due)
        for p in compliance.people(requirement, _active(), "expiring", today):
            until = {"what": what, "until": str(p.valid_until)}
            yield Draft(
                "expiring", f"expiring:{p.person.id}:{ref}:{p.valid_until}", p.person, until
            )
        for status in ("not_started", "in_progress"):
            for p in compliance.people(requirement, _active(), status, today):
                if today <= p.due <= soon:
                    context = {"what": what, "due": str(p.due)}
                    yield Draft(
                        "reminder", f"reminder:{p.person.id}:{ref}:{p.due}", p.person, context
                    )


def assignees(assignment: Assignment) -> list[User]:
    """The active people an assignment reaches who have not completed its course."""
    if assignment.user_id is not None:
        where: Any = User.id == assignment.user_id
    else:
        where = User.unit_id.in_(units.subtree_ids([assignment.unit_id or 0]))
    done = select(Completion.user_id).where(
        Completion.course_id == assignment.course_id, Completion.verb.in_(_DONE)
    )
    return list(
        db.session.scalars(
            select(User).where(where, User.active.is_(True), User.id.not_in(done)).order_by(User.id)
        )
    )


def _course_title(assignment: Assignment) -> str:
    return str(db.session.scalar(select(Course.title).where(Course.id == assignment.course_id)))


def _assignment_drafts(today: date, soon: date) -> Iterator[Draft]:
    due_soon = db.session.scalars(
        select(Assignment).where(Assignment.due_date.is_not(None), Assignment.due_date <= soon)
    )
    for assignment in list(due_soon):
        due = assignment.due_date
        assert due is not None  # noqa: S101  (the query's condition)
        ref, what = f"a{assignment.id}", _course_title(assignment)
        for person in assignees(assignment):
            if due < today:
                manager = db.session.get(User, person.manager_id) if person.manager_id else None
                yield from _overdue(person, manager, ref, what, due)
            else:
                context = {"what": what, "due": str(due)}
                yield Draft("reminder", f"reminder:{person.id}:{ref}:{due}", person, context)


def daily(today: date) -> list[Draft]:
    """Today's reminders, overdue notices (person and manager) and expiries."""
    soon = today + timedelta(days=int(current_app.config["REMINDER_DAYS"]))
    return [*_requirement_drafts(today, soon), *_assignment_drafts(today, soon)]


def assigned(assignment_id: int) -> list[Draft]:
    """The message "a course is assigned to you" to everyone the assignment reaches."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:  # deleted before the job ran
        return []
    what = _course_title(assignment)
    context = {"what": what, "due": str(assignment.due_date or ""), "note": assignment.note}
    return [
        Draft("assigned", f"assigned:{person.id}:a{assignment.id}", person, context)
        for person in assignees(assignment)
    ]


def _overdue_everywhere(today: date) -> set[tuple[int | None, str, str, str]]:
    """(unit, person, what, due) of everyone overdue: mandatory training and assigned courses."""
    overdue: set[tuple[int | None, str, str, str]] = set()
    for requirement in requirements.active_all():
        for p in compliance.people(requirement, _active(), "overdue", today):
            due = (p.since or today) - timedelta(days=1)
            overdue.add((p.person.unit_id, p.person.name, requirement.name, str(due)))
    late = db.session.scalars(
        select(Assignment).where(Assignment.due_date.is_not(None), Assignment.due_date < today)
    )
    for assignment in list(late):
        what = _course_title(assignment)
        for person in assignees(assignment):
            overdue.add((person.unit_id, person.name, what, str(assignment.due_date)))
    return overdue


def weekly(today: date) -> list[Draft]:
    """Each manager's digest: who in their unit and the units below is overdue, on what.

    Both mandatory training (requirements) and assigned courses past their due date.
    """
    overdue = _overdue_everywhere(today)
    if not overdue:
        return []
    year, week, _ = today.isocalendar()
    managers = db.session.scalars(
        select(User).where(User.role == "manager", User.active.is_(True), User.unit_id.is_not(None))
    )
    drafts = []
    for manager in managers:
        scope = set(units.subtree_ids([manager.unit_id or 0]))
        rows = sorted((n, w, d) for unit, n, w, d in overdue if unit in scope)
        if rows:
            key = f"digest:{manager.id}:{year}-W{week:02d}"
            drafts.append(Draft("digest", key, manager, {"rows": rows}))
    return drafts
