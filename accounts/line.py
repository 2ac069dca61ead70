"""The manager line: the people whose chain of managers leads to a person.

A person's ``manager_id`` (from SCIM, the CSV import or the admin pages) is the only
link. The line below a manager is read with one recursive query, like a unit's subtree
(accounts/units.py): direct and indirect reports, any depth. It is safe with loops in
the data (A manages B, B manages A): UNION keeps each row once and the manager is never
part of their own line, so the recursion ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CTE, Select, select

from accounts.models import User
from core.db import db


def line(manager_id: int, name: str = "line") -> CTE:
    """A recursive CTE of (``id``, ``top``): everyone below ``manager_id``.

    ``top`` is the direct report of ``manager_id`` whose own line the person is in
    (for a direct report, themselves), so that a report can sum each direct report's
    whole line in one query.
    """
    users = User.__table__
    first = select(users.c.id, users.c.id.label("top")).where(
        users.c.manager_id == manager_id, users.c.id != manager_id
    )
    found = first.cte(name, recursive=True)
    below = select(users.c.id, found.c.top).where(
        users.c.manager_id == found.c.id, users.c.id != manager_id
    )
    return found.union(below)


def ids(manager_id: int) -> Select[Any]:
    """A subquery of the ids of everyone below ``manager_id`` (for ``column.in_(...)``)."""
    return select(line(manager_id).c.id)


def reports_to(person_id: int, manager_id: int) -> bool:
    """Whether ``person_id`` is in the line below ``manager_id`` (direct or indirect)."""
    below = line(manager_id)
    found = db.session.scalar(select(below.c.id).where(below.c.id == person_id).limit(1))
    return found is not None


def chain(person_id: int, up_to: int | None = None) -> list[User]:
    """The managers from ``up_to`` (or the top of the chain) down to ``person_id``.

    For breadcrumbs; stops at a loop.
    """
    person = db.session.get(User, person_id)
    found: list[User] = []
    seen: set[int] = set()
    while person is not None and person.id not in seen:
        found.insert(0, person)
        seen.add(person.id)
        if person.id == up_to or person.manager_id is None:
            break
        person = db.session.get(User, person.manager_id)
    return found


def managers() -> list[User]:
    """Everyone who is someone's manager, by name (an admin picks a line to follow)."""
    has_reports = select(User.manager_id).where(User.manager_id.is_not(None)).distinct()
    stmt = select(User).where(User.id.in_(has_reports)).order_by(User.name, User.id)
    return list(db.session.scalars(stmt))
