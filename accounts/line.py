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

The pairs are worked out by the database (a recursive query up the chains of the
people concerned), and only the ones that differ reach Python. It is safe with loops in
the data (A manages B, B manages A): UNION keeps each pair once, so a chain walked up
ends where it repeats, and nobody is part of their own line.
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

# People whose manager changed, walked a thousand at a time: the pairs that differ for
# them are all that is held in memory (a large import stays flat), in few parameters.
CHUNK = 1_000
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
        session.execute(_LOCK_SHARED if shared else _LOCK, {"key": LOCK_KEY})


# Built once: the shared one is taken with every batch of results stored (the portal's
# line totals), under the LRS clock.
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(:key)")


def refresh(session: AnySession, people: Iterable[int]) -> None:
    """Bring the table up to date after the managers of ``people`` changed.

    Everyone below them is walked again too (their chains pass through them); only the
    pairs that differ are written, and ``signals.line_changed`` says which.
    """
    wanted = sorted(set(people))
    if wanted:
        lock(session)
    for start in range(0, len(wanted), CHUNK):
        _refresh(session, wanted[start : start + CHUNK])


def _refresh(session: AnySession, people: list[int]) -> None:
    below = _below(people)
    walked = select(*_above(below).c)
    stored = select(LineMember.manager_id, LineMember.person_id).where(
        LineMember.person_id.in_(select(below.c.id))
    )
    added = [(m, p) for m, p in session.execute(walked.except_(stored))]
    removed = [(m, p) for m, p in session.execute(stored.except_(walked))]
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

    For managers changed behind the application's back (SQL).
    """
    lock(session)
    session.execute(delete(TABLE))
    up = _above(User.__table__)
    session.execute(insert(TABLE).from_select(["manager_id", "person_id"], select(*up.c)))
    signals.line_changed.send(None, session=session, added=None, removed=None)


def _below(people: list[int]) -> Any:
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


def _above(people: Any) -> Any:
    """A recursive CTE of (manager, person): everyone above each of ``people``.

    ``people`` has ``id`` and ``manager_id`` columns (the users, or some of them). A
    chain stops at its top, at the person (nobody is above themselves), and where it
    repeats: UNION adds no pair twice.
    """
    users = User.__table__
    found = (
        select(people.c.manager_id.label("manager_id"), people.c.id.label("person_id"))
        .where(people.c.manager_id.is_not(None), people.c.manager_id != people.c.id)
        .cte("above", recursive=True)
    )
    return found.union(
        select(users.c.manager_id, found.c.person_id)
        .join_from(found, users, users.c.id == found.c.manager_id)
        .where(users.c.manager_id.is_not(None), users.c.manager_id != found.c.person_id)
    )


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
