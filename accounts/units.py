"""The organisation as a tree of units: subtrees, paths from the top, moving a unit.

A unit's ``parent_id`` is the only link; a subtree is read with one recursive query
(SQLite and PostgreSQL both have ``WITH RECURSIVE``), so a tree of any depth costs one
round trip, and moving a unit moves everything below it with no other row changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from accounts import audit, signals
from accounts.models import OrganisationUnit, User
from core.db import db
from core.errors import BadRequest


def subtree_ids(unit_ids: Iterable[int]) -> list[int]:
    """The given units and every unit below them, at any depth."""
    roots = sorted(set(unit_ids))
    if not roots:
        return []
    units = OrganisationUnit.__table__
    tree = select(units.c.id).where(units.c.id.in_(roots)).cte("tree", recursive=True)
    tree = tree.union(select(units.c.id).where(units.c.parent_id == tree.c.id))
    return sorted(db.session.scalars(select(tree.c.id)))


def path(unit: OrganisationUnit) -> list[OrganisationUnit]:
    """The units from the top of the tree down to ``unit`` (for breadcrumbs)."""
    found = [unit]
    seen = {unit.id}
    while found[0].parent_id is not None and found[0].parent_id not in seen:
        parent = db.session.get(OrganisationUnit, found[0].parent_id)
        if parent is None:
            break
        seen.add(parent.id)
        found.insert(0, parent)
    return found


def children(parent_id: int | None) -> list[OrganisationUnit]:
    """The units directly below ``parent_id`` (None: the top units), by name."""
    condition = (
        OrganisationUnit.parent_id.is_(None)
        if parent_id is None
        else OrganisationUnit.parent_id == parent_id
    )
    stmt = select(OrganisationUnit).where(condition).order_by(OrganisationUnit.name)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Branch:
    """A unit as a tree listing shows it: how deep it sits, and its place in the order."""

    unit: OrganisationUnit
    depth: int


def tree(units: list[OrganisationUnit] | None = None) -> list[Branch]:
    """Every unit in tree order (each parent before its children, siblings by name)."""
    units = units if units is not None else list(db.session.scalars(select(OrganisationUnit)))
    by_parent: dict[int | None, list[OrganisationUnit]] = {}
    known = {u.id for u in units}
    for unit in units:
        # A unit whose parent is not in the list shows at the top of it.
        parent = unit.parent_id if unit.parent_id in known else None
        by_parent.setdefault(parent, []).append(unit)
    ordered: list[Branch] = []
    stack = [(u, 0) for u in sorted(by_parent.get(None, []), key=_name, reverse=True)]
    while stack:
        unit, depth = stack.pop()
        ordered.append(Branch(unit, depth))
        below = sorted(by_parent.get(unit.id, []), key=_name, reverse=True)
        stack.extend((child, depth + 1) for child in below)
    return ordered


def choices(active_only: bool = True, keep: int | None = None) -> list[tuple[int, str]]:
    """Units for a picker, in tree order, each named by its path ("Kommun / IFO / Enhet 1").

    With ``active_only`` the inactive units are left out, except ``keep`` (a course's
    current owner), so that saving a form never silently changes what it holds.
    """
    every = list(db.session.scalars(select(OrganisationUnit)))
    by_id = {u.id: u for u in every}
    shown = [u for u in every if not active_only or u.active or u.id == keep]
    labels: list[tuple[int, str]] = []
    for branch in tree(shown):
        names = [branch.unit.name]
        seen = {branch.unit.id}
        parent = by_id.get(branch.unit.parent_id) if branch.unit.parent_id is not None else None
        while parent is not None and parent.id not in seen:
            seen.add(parent.id)
            names.insert(0, parent.name)
            parent = by_id.get(parent.parent_id) if parent.parent_id is not None else None
        labels.append((branch.unit.id, " / ".join(names)))
    return labels


def _name(unit: OrganisationUnit) -> str:
    return unit.name.casefold()


def move(unit: OrganisationUnit, parent_id: int | None) -> OrganisationUnit:
    """Put ``unit`` (with its subtree) below ``parent_id``; None makes it a top unit.

    Refused when the new parent is the unit itself or below it: the tree would become a
    loop that no report could roll up.
    """
    if parent_id is not None:
        if db.session.get(OrganisationUnit, parent_id) is None:
            raise BadRequest(
                "No such parent unit", errors=[{"path": "parent_id", "message": "unknown"}]
            )
        if parent_id in subtree_ids([unit.id]):
            raise BadRequest(
                "A unit cannot be placed below itself or one of its own units",
                errors=[{"path": "parent_id", "message": "loop"}],
            )
    moved = unit.parent_id != parent_id
    if moved:
        details = {"parent_id": [unit.parent_id, parent_id]}
        audit.record("unit.changed", "unit", unit.id, f"{unit.name} ({unit.code})", details=details)
    unit.parent_id = parent_id
    db.session.flush()
    if moved:  # everyone below it may now be in other audiences
        signals.people_changed.send(None, user_ids=None)
    return unit


def people_counts(unit_ids: Iterable[int]) -> dict[int | None, int]:
    """Active people whose home unit is each of ``unit_ids`` (not counting subunits)."""
    ids = list(unit_ids)
    if not ids:
        return {}
    stmt = (
        select(User.unit_id, func.count())
        .where(User.unit_id.in_(ids), User.active.is_(True))
        .group_by(User.unit_id)
    )
    return {unit_id: int(n) for unit_id, n in db.session.execute(stmt) if unit_id is not None}


def roll_up_to(tops: list[int], unit_ids: Iterable[int]) -> dict[int, int]:
    """For each unit of ``unit_ids``, which of ``tops`` it sits in (itself or below).

    Units under none of them are left out. ``tops`` must not contain one another.
    """
    parents = {
        unit_id: parent_id
        for unit_id, parent_id in db.session.execute(
            select(OrganisationUnit.id, OrganisationUnit.parent_id)
        )
    }
    top_set = set(tops)
    found: dict[int, int] = {}
    for unit_id in unit_ids:
        seen: set[int] = set()
        current: int | None = unit_id
        while current is not None and current not in top_set and current not in seen:
            seen.add(current)
            current = parents.get(current)
        if current in top_set:
            found[unit_id] = current
    return found
