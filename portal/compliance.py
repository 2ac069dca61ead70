"""Each person's status per requirement, computed in SQL for whole audiences.

A person's status on a day (``today``):

- exempt: an exemption is recorded (portal/requirements.py);
- completed: their latest completion (completed or passed) of one of the courses is
  still valid (``validity_months`` after it; none: for good);
- expiring: completed, and the expiry is within the renewal window;
- overdue: the completion expired (the renewal was due at the expiry), or there is none
  and the due date (fixed, or ``due_days`` after joining the audience) has passed;
- in progress: an e-learning attempt, a booked classroom session or a failed result;
- not started: none of these.

Each member row holds the person's latest completion and whether they have begun
(portal/requirements.py keeps them). Everything that depends on ``today`` is, per
requirement, a moment to compare with: "valid" is "completed on or after today minus the
validity", "overdue" is "joined before today minus the due days". So the status is one
CASE on the member row, and a page counts a whole organisation's audiences with one
statement (bench/compliance_bench.py).
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from accounts.models import OrganisationUnit, User
from core.db import db
from packages.models import Course
from portal.i18n import N_
from portal.models import (
    Requirement,
    RequirementCourse,
    RequirementExemption,
    RequirementMember,
)

STATUSES = {
    "not_started": N_("Not started"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "expiring": N_("Expiring soon"),
    "overdue": N_("Overdue"),
    "exempt": N_("Exempt"),
}
_DONE = ("completed", "passed")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), the month's last day if it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def valid_until(requirement: Requirement, done: datetime | None) -> date | None:
    """The last day a completion on ``done`` counts (None: no completion, or for good)."""
    if done is None or requirement.validity_months is None:
        return None
    return add_months(done.date(), requirement.validity_months)


def due_on(requirement: Requirement, joined: datetime) -> date:
    """A member's due date: the fixed one, or ``due_days`` after joining."""
    if requirement.due_date is not None:
        return requirement.due_date
    return joined.date() + timedelta(days=requirement.due_days or 0)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


@dataclass(frozen=True)
class _Parts:
    """What a member's status is made of, as conditions on their row (on ``today``)."""

    exempt: Any
    done: Any
    valid: Any
    expiring: Any
    past_due: Any
    started: Any


def _parts(requirement: Requirement, today: date) -> _Parts:
    m, x = RequirementMember, RequirementExemption
    done = m.last_done.is_not(None)
    if requirement.validity_months is None:
        valid: Any = done
        expiring: Any = false()
    else:
        months = requirement.validity_months
        # Valid through add_months(done, months) >= today: done on or after today - months.
        valid = and_(done, m.last_done >= _at(_midnight(add_months(today, -months))))
        window = today + timedelta(days=requirement.renewal_days)
        expiring = m.last_done < _at(_midnight(add_months(window, -months) + timedelta(days=1)))
    if requirement.due_date is not None:
        past_due: Any = true() if requirement.due_date < today else false()
    else:
        past_due = m.joined_at < _at(_midnight(today - timedelta(days=requirement.due_days or 0)))
    return _Parts(x.user_id.is_not(None), done, valid, expiring, past_due, m.started)


def _status(requirement: Requirement, today: date) -> Any:
    """The member's status as one CASE on their row, for ``requirement`` on ``today``."""
    p = _parts(requirement, today)
    return case(
        (p.exempt, literal("exempt")),
        (and_(p.valid, p.expiring), literal("expiring")),
        (p.valid, literal("completed")),
        (p.done, literal("overdue")),  # expired: the renewal was due at the expiry
        (p.past_due, literal("overdue")),
        (p.started, literal("in_progress")),
        else_=literal("not_started"),
    )


def _status_is(requirement: Requirement, today: date, status: str) -> Any:
    """The condition "the member's status is ``status``": the CASE's branch, spelt out.

    Filtering on the CASE's value hides the columns from PostgreSQL's planner (it then
    guesses a few rows and sorts everyone); spelt out, it sees how many match and walks
    the people in name order for a page of them (bench/README.md, "Compliance").
    """
    p = _parts(requirement, today)
    if status == "exempt":
        return p.exempt
    return and_(~p.exempt, _unexempted(p)[status])


def _unexempted(p: _Parts) -> dict[str, Any]:
    """Each status but "exempt" as a condition on the member row, exemptions left aside."""
    live = ~p.valid  # not validly completed
    not_yet = and_(live, ~p.done, ~p.past_due)
    return {
        "expiring": and_(p.valid, p.expiring),
        "completed": and_(p.valid, ~p.expiring),
        "overdue": and_(live, or_(p.done, p.past_due)),
        "in_progress": and_(not_yet, p.started),
        "not_started": and_(not_yet, ~p.started),
    }


def _without_jit() -> None:
    """PostgreSQL: no JIT compilation for the rest of this transaction.

    The planner's cost of a union of 40 grouped branches passes ``jit_above_cost``, and
    compiling it took 1.5 s of a 1.8 s page in bench/compliance_bench.py; run plainly,
    the query takes a fraction of that. (SET LOCAL ends with the transaction.)
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def _at(moment: datetime) -> Any:
    return literal(moment, DateTime)


def status_rows(
    requirement: Requirement,
    where: list[Any],
    today: date | None = None,
    status: str | None = None,
) -> Select[Any]:
    """One row per member of ``requirement`` matching ``where`` (on the member or User).

    Columns: rid, uid, unit_id, joined_at, last_done, status; only ``status``'s if given.
    """
    m, x = RequirementMember, RequirementExemption
    today = today or date.today()
    stmt = (
        select(
            m.requirement_id.label("rid"),
            m.user_id.label("uid"),
            m.unit_id.label("unit_id"),
            m.joined_at.label("joined_at"),
            m.last_done.label("last_done"),
            _status(requirement, today).label("status"),
        )
        .join(User, User.id == m.user_id)
        .outerjoin(x, and_(x.requirement_id == m.requirement_id, x.user_id == m.user_id))
        .where(m.requirement_id == requirement.id, *where)
    )
    return stmt.where(_status_is(requirement, today, status)) if status else stmt


@dataclass
class Figures:
    """A requirement's counts in a scope: the denominator leaves the exempt out."""

    counts: Counter[str]

    @property
    def covered(self) -> int:
        """Everyone in the audience inside the scope, exempt people included."""
        return sum(self.counts.values())

    @property
    def denominator(self) -> int:
        """The people who must complete it: covered, less the exempt."""
        return self.covered - self.counts["exempt"]

    @property
    def compliant(self) -> int:
        """Valid completions (expiring ones still count)."""
        return self.counts["completed"] + self.counts["expiring"]

    def share(self, status: str) -> float | None:
        """``status``'s share of the denominator (compliant: "compliant"); None of none."""
        n = self.compliant if status == "compliant" else self.counts[status]
        return n / self.denominator if self.denominator else None


def counts(
    requirements: list[Requirement], where: list[Any], today: date | None = None
) -> dict[int, Figures]:
    """Each requirement's status counts for the members matching ``where``.

    ``where``: conditions on the member row only (``RequirementMember.unit_id``, the
    person's home unit, or ``user_id``; ``Scope.where`` makes them): no branch joins the
    accounts. One statement, two branches per requirement joined by UNION ALL: every
    member's status counted in one row (a filtered count per status over a range of the
    member table's primary key, with the requirement's own moments), exemptions left
    aside; and the same counts for the exempt members only (few; read from the
    exemptions' side), which are taken off their statuses and counted as exempt. Neither
    joins each member to the exemptions nor groups 365,000 rows by a CASE's value
    (twice the time, bench/README.md).
    """
    found: dict[int, Figures] = {r.id: Figures(Counter()) for r in requirements}
    if not requirements:
        return found
    m, x = RequirementMember, RequirementExemption
    branches = []
    for requirement in requirements:
        columns = _counted(requirement, today or date.today())
        rid = literal(requirement.id)
        own = [m.requirement_id == requirement.id, *where]
        branches.append(select(rid, literal(False), *columns).where(*own))
        branches.append(
            select(rid, literal(True), *columns)
            .select_from(x)
            .join(m, and_(m.requirement_id == x.requirement_id, m.user_id == x.user_id))
            .where(x.requirement_id == requirement.id, *own)
        )
    _without_jit()
    for rid, exempt, *numbers in db.session.execute(union_all(*branches)):
        counted = Counter(dict(zip(_UNEXEMPTED, (int(n or 0) for n in numbers), strict=True)))
        if exempt:
            found[rid].counts.subtract(counted)
            found[rid].counts["exempt"] += counted.total()
        else:
            found[rid].counts.update(counted)
    for figures in found.values():
        figures.counts = +figures.counts  # statuses nobody has are left out, as before
    return found


_UNEXEMPTED = ("expiring", "completed", "overdue", "in_progress", "not_started")
_COUNTED: dict[tuple[Any, ...], list[Any]] = {}


def _counted(requirement: Requirement, today: date) -> list[Any]:
    """The filtered counts for ``requirement`` on ``today``, built once per rule and day.

    Building the expressions of 40 requirements took a third of the overview's time;
    they hold no values but the requirement's own and the day's moments, so they are
    kept (keyed by those) and the statement is put together from them.
    """
    key = (
        requirement.id,
        requirement.validity_months,
        requirement.renewal_days,
        requirement.due_date,
        requirement.due_days,
        today,
    )
    found = _COUNTED.get(key)
    if found is None:
        if len(_COUNTED) > 1000:  # yesterday's and changed rules' go
            _COUNTED.clear()
        conditions = _unexempted(_parts(requirement, today))
        found = _COUNTED[key] = [func.count().filter(conditions[s]) for s in _UNEXEMPTED]
    return found


def counts_per_unit(
    requirements: list[Requirement], today: date
) -> dict[tuple[int, int | None], Counter[str]]:
    """Every requirement's status counts per home unit, keyed (requirement id, unit id).

    One statement like ``counts``, grouped by the unit too (the nightly snapshot).
    """
    found: dict[tuple[int, int | None], Counter[str]] = {}
    if not requirements:
        return found
    m, x = RequirementMember, RequirementExemption
    branches = []
    for requirement in requirements:
        status = _status(requirement, today)
        branches.append(
            select(m.requirement_id, m.unit_id, status, func.count())
            .outerjoin(x, and_(x.requirement_id == m.requirement_id, x.user_id == m.user_id))
            .where(m.requirement_id == requirement.id)
            .group_by(m.requirement_id, m.unit_id, status)
        )
    _without_jit()
    for rid, unit_id, status, n in db.session.execute(union_all(*branches)):
        found.setdefault((rid, unit_id), Counter())[status] += int(n)
    return found


def counts_by_unit(
    requirement: Requirement, where: list[Any], today: date | None = None
) -> dict[int | None, Counter[str]]:
    """One requirement's status counts per home unit (not rolled up).

    ``where`` as for ``counts``: on the member row (no join to the accounts).
    """
    _without_jit()
    m, x = RequirementMember, RequirementExemption
    status = _status(requirement, today or date.today())
    stmt = (
        select(m.unit_id, status, func.count())
        .outerjoin(x, and_(x.requirement_id == m.requirement_id, x.user_id == m.user_id))
        .where(m.requirement_id == requirement.id, *where)
        .group_by(m.unit_id, status)
    )
    found: dict[int | None, Counter[str]] = {}
    for unit_id, status, n in db.session.execute(stmt):
        found.setdefault(unit_id, Counter())[status] += int(n)
    return found


@dataclass
class PersonStatus:
    """One person's status on one requirement, with the dates that explain it."""

    requirement: Requirement
    person: User
    manager: User | None
    status: str
    due: date
    valid_until: date | None
    last_done: datetime | None
    exemption: RequirementExemption | None
    unit: OrganisationUnit | None = None  # the person's home unit (loaded with them)

    @property
    def since(self) -> date | None:
        """Since when the person is overdue: the expiry, else the due date."""
        if self.status != "overdue":
            return None
        if self.last_done is not None and self.valid_until is not None:
            return self.valid_until + timedelta(days=1)
        return self.due + timedelta(days=1)


def people(
    requirement: Requirement,
    where: list[Any],
    status: str | None = None,
    today: date | None = None,
    limit: int | None = None,
) -> list[PersonStatus]:
    """The people of one requirement in a scope (optionally one status), by name.

    The members are filtered, sorted and cut to ``limit`` on narrow rows first; only
    the people shown are then joined to their accounts, units, managers and exemptions
    (for 20,000 members, joining them all before the sort cost most of the page).
    """
    _without_jit()
    rows = status_rows(requirement, where, today, status).add_columns(User.name.label("name"))
    # Ordered on the account's columns, so that an index on (name, id) gives the order.
    page = rows.order_by(User.name, User.id).limit(limit).subquery("p")
    boss = aliased(User)
    x = RequirementExemption
    stmt = (
        select(page.c.joined_at, page.c.last_done, page.c.status, User, OrganisationUnit, boss, x)
        .join(User, User.id == page.c.uid)
        .outerjoin(OrganisationUnit, OrganisationUnit.id == User.unit_id)
        .outerjoin(boss, boss.id == User.manager_id)
        .outerjoin(x, and_(x.requirement_id == page.c.rid, x.user_id == page.c.uid))
        .order_by(page.c.name, page.c.uid)
    )
    return [
        PersonStatus(
            requirement,
            person,
            manager,
            st,
            due_on(requirement, joined),
            valid_until(requirement, last),
            _as_datetime(last),
            exemption,
            unit,
        )
        for joined, last, st, person, unit, manager, exemption in db.session.execute(stmt)
    ]


def _as_datetime(value: Any) -> datetime | None:
    """SQLite hands back MAX() of a DateTime column as text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def for_person(person: User, today: date | None = None) -> list[PersonStatus]:
    """A person's own active requirements, by due date."""
    requirements = list(
        db.session.scalars(
            select(Requirement)
            .join(RequirementMember, RequirementMember.requirement_id == Requirement.id)
            .where(Requirement.active.is_(True), RequirementMember.user_id == person.id)
        )
    )
    found: list[PersonStatus] = []
    for requirement in requirements:
        found.extend(people(requirement, [User.id == person.id], None, today))
    return sorted(found, key=lambda p: (p.due, p.requirement.name))


def courses_of(requirement_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Each requirement's courses (id, title), by title."""
    found: dict[int, list[tuple[int, str]]] = {}
    if not requirement_ids:
        return found
    rows = db.session.execute(
        select(RequirementCourse.requirement_id, Course.id, Course.title)
        .join(Course, Course.id == RequirementCourse.course_id)
        .where(RequirementCourse.requirement_id.in_(requirement_ids))
        .order_by(Course.title)
    )
    for rid, course_id, title in rows:
        found.setdefault(rid, []).append((course_id, title))
    return found
