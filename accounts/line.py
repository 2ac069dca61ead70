"""The manager line: the people whose chain of managers leads to a person.

A person's ``manager_id`` (from SCIM, the CSV import or the admin pages) is the only
link. The line below a manager is direct and indirect reports, any depth. It is kept
as a table of (manager, person) pairs, ``accounts_manager_line`` (``LineMember``), so
that reports join it on an index instead of walking the chain in every query (a
recursive query per report was 1.2 s for a line of 20,000 people: bench/README.md).

The table changes in the same transaction as the managers, whoever changes them:
a flush that changes a person's ``manager_id`` through the ORM (SCIM, the admin
pages) brings it up to date (``refresh``, from the session events below), and the
people import's bulk UPDATE calls ``refresh`` itself. A change sends
``signals.line_changed`` with the pairs added and removed, for the portal's totals.

It is safe with loops in the data (A manages B, B manages A): a chain is walked up
until it repeats, and the manager is never part of their own line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    bindparam,
    delete,
    event,
    insert,
    inspect,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session, scoped_session

from accounts import signals
from accounts.models import LineMember, User
from core.db import db

# Above this many people changed at once, the whole table is built again.
REBUILD_ABOVE = 5_000
# PostgreSQL advisory lock between changes of the line and writers of the totals.
LOCK_KEY = 0x6B6F6D706C696E65  # "kompline"
_PENDING = "line_pending"
# The session a change runs in: the request's (``db.session``) or one of its own.
AnySession = Session | scoped_session[Any]
TABLE = cast(Table, LineMember.__table__)


def ids(manager_id: int) -> Select[Any]:
    """A subquery of the ids of everyone below ``manager_id`` (for ``column.in_(...)``)."""
    return select(LineMember.person_id).where(LineMember.manager_id == manager_id)


def reports_to(person_id: int, manager_id: int) -> bool:
    """Whether ``person_id`` is in the line below ``manager_id`` (direct or indirect)."""
    found = db.session.scalar(
        select(literal(1)).where(
            LineMember.manager_id == manager_id, LineMember.person_id == person_id
        )
    )
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


# -- Keeping the table ----------------------------------------------------------------------


def lock(session: AnySession, *, shared: bool = False) -> None:
    """Order changes of the line and writers of totals that read it (PostgreSQL).

    A change of the line takes it alone, a writer of the portal's line totals shared,
    each until its commit: a completion stored while a manager changes is counted for
    the line as it is after the change, never for the old line's managers alone.
    SQLite has one writer at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        name = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {name}(:key)"), {"key": LOCK_KEY})


def refresh(session: AnySession, people: Iterable[int]) -> None:
    """Bring the table up to date after the managers of ``people`` changed.

    Everyone below them is walked again too (their chains pass through them); only the
    pairs that differ are written, and ``signals.line_changed`` says which.
    """
    wanted = set(people)
    if not wanted:
        return
    if len(wanted) > REBUILD_ABOVE:
        rebuild(session)
        return
    lock(session)
    below = _below(wanted)
    people_below: dict[int, int | None] = {
        i: m for i, m in session.execute(select(below.c.id, below.c.manager_id))
    }
    managers = {**_above(session, people_below), **people_below}
    new = {(boss, person) for person in people_below for boss in _chain(person, managers)}
    old: set[tuple[int, int]] = {
        (m, p)
        for m, p in session.execute(
            select(LineMember.manager_id, LineMember.person_id).where(
                LineMember.person_id.in_(select(below.c.id))
            )
        )
    }
    added, removed = sorted(new - old), sorted(old - new)
    if removed:
        session.execute(
            delete(TABLE).where(
                TABLE.c.manager_id == bindparam("m"), TABLE.c.person_id == bindparam("p")
            ),
            [{"m": m, "p": p} for m, p in removed],
        )
    if added:
        session.execute(insert(TABLE), [{"manager_id": m, "person_id": p} for m, p in added])
    if added or removed:
        signals.line_changed.send(None, session=session, added=added, removed=removed)


def rebuild(session: AnySession) -> None:
    """Build the whole table again from everyone's manager (and say so: ``added`` None).

    For data changed behind the application's back (SQL) and for very large imports.
    """
    lock(session)
    managers: dict[int, int | None] = {
        i: m for i, m in session.execute(select(User.id, User.manager_id))
    }
    session.execute(delete(TABLE))
    rows = [
        {"manager_id": boss, "person_id": person}
        for person in managers
        for boss in _chain(person, managers)
    ]
    if rows:
        session.execute(insert(TABLE), rows)
    signals.line_changed.send(None, session=session, added=None, removed=None)


def _chain(person: int, managers: dict[int, int | None]) -> list[int]:
    """Everyone above ``person``, nearest first, until the chain ends or repeats."""
    found: list[int] = []
    seen = {person}
    boss = managers.get(person)
    while boss is not None and boss not in seen:
        found.append(boss)
        seen.add(boss)
        boss = managers.get(boss)
    return found


def _below(people: set[int]) -> Any:
    """A recursive CTE of ``people`` and everyone below them now: (id, manager_id)."""
    users = User.__table__
    found = (
        select(users.c.id, users.c.manager_id)
        .where(users.c.id.in_(people))
        .cte("below", recursive=True)
    )
    return found.union(
        select(users.c.id, users.c.manager_id).where(users.c.manager_id == found.c.id)
    )


def _above(session: AnySession, people: dict[int, int | None]) -> dict[int, int | None]:
    """The chains of managers above ``people`` (id: manager_id), outside ``people``."""
    start = {m for m in people.values() if m is not None and m not in people}
    if not start:
        return {}
    users = User.__table__
    found = (
        select(users.c.id, users.c.manager_id)
        .where(users.c.id.in_(start))
        .cte("above", recursive=True)
    )
    found = found.union(
        select(users.c.id, users.c.manager_id).where(users.c.id == found.c.manager_id)
    )
    return {i: m for i, m in session.execute(select(found.c.id, found.c.manager_id))}


# -- Session events: a flush that changes someone's manager keeps the table -----------------


@event.listens_for(Session, "before_flush")
def _note_new_managers(session: Session, _context: Any, _instances: Any) -> None:
    """Note the people whose manager this flush changes, and take the lock first."""
    changed = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, User) and _manager_changed(obj)
    ]
    if changed:
        lock(session)
        session.info.setdefault(_PENDING, []).extend(changed)


def _manager_changed(user: User) -> bool:
    """Whether the flush gives ``user`` another manager (a new person: any manager)."""
    state = inspect(user)
    for history in (state.attrs.manager_id.history, state.attrs.manager.history):
        if state.pending and any(value is not None for value in history.added):
            return True
        if not state.pending and history.has_changes():
            return True
    return False


@event.listens_for(Session, "after_flush_postexec")
def _refresh_after_flush(session: Session, _context: Any) -> None:
    """The flush wrote the new managers: bring the table up to date in it."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        refresh(session, {user.id for user in pending})


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    """A flush that failed leaves nothing to do for the next one."""
    session.info.pop(_PENDING, None)
