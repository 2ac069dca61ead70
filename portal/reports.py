"""Reports for managers and admins, read from the projection of the LRS.

The projection (``portal/projection.py``) holds one row per stored completed/passed/
failed statement that counts, kept in step with the LRS in the same transaction.
Reports are aggregate queries on indexed columns of that table and its monthly totals,
so they stay fast at 10 years x 34,000 completions (bench/reports_bench.py).

A manager sees rows of learners in their unit's subtree (any unit below it too, and
drills down to one of those); admins choose any unit or all. A unit's figures always
count its whole subtree (accounts/units.py).

Reports can follow the manager line instead (``by="line"``): the people whose chain of
managers leads to the manager (the table accounts/line.py keeps), wherever their units
are, their figures from each line's monthly totals (portal/line_rollup.py); a manager
drills down to the line of one of their reports, an admin follows anyone's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext
from sqlalchemy import Select, case, func, select

from accounts import line, units
from accounts.models import OrganisationUnit, User
from core.db import db
from core.errors import Forbidden
from core.i18n import NC_
from packages.models import Course, PackageVersion
from player.models import Attempt
from portal.i18n import N_
from portal.models import Completion, CompletionRollup, LineRollup

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# -- Scope: what a manager may see ----------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The rows a report may read: one unit's subtree, every unit's, or a manager's line.

    ``unit_id`` is the unit the report is about (None: the whole organisation);
    ``unit_ids`` that unit and every unit below it. With ``manager_id`` the scope is
    instead the people below that manager in the manager line (units do not matter).
    """

    unit_id: int | None
    unit_ids: tuple[int, ...] | None
    manager_id: int | None = None

    @property
    def by_line(self) -> bool:
        """Whether the scope follows the manager line rather than the unit tree."""
        return self.manager_id is not None

    @property
    def all_units(self) -> bool:
        """Whether the scope is the whole organisation (people in no unit included)."""
        return self.unit_ids is None and not self.by_line

    def covers(self, person: User) -> bool:
        """Whether ``person`` is inside the scope."""
        if self.manager_id is not None:
            return line.reports_to(person.id, self.manager_id)
        return self.unit_ids is None or person.unit_id in self.unit_ids

    def where(self, column: Any = None, person: Any = None) -> list[Any]:
        """Conditions for this scope on a unit or a person column.

        By unit: ``column`` (Completion.unit_id by default); following the manager
        line: ``person`` (Completion.user_id by default).
        """
        if self.manager_id is not None:
            return [
                (Completion.user_id if person is None else person).in_(line.ids(self.manager_id))
            ]
        if self.unit_ids is None:
            return []
        return [(Completion.unit_id if column is None else column).in_(self.unit_ids)]


def scope_for(
    user: User, unit_id: int | None = None, by: str = "unit", manager_id: int | None = None
) -> Scope:
    """Admins see every unit or the subtree they pick; a manager their unit's subtree.

    A manager may also pick a unit inside their subtree (drilling down), nothing else.
    ``by="line"``: the manager line below ``manager_id`` (default: the user's own).
    """
    if user.role not in ("admin", "manager"):
        raise Forbidden("Reports are for managers and admins")
    if by == "line":
        return _line_scope(user, manager_id)
    if user.role == "admin":
        if unit_id is None:
            return Scope(None, None)
        return Scope(unit_id, tuple(units.subtree_ids([unit_id])))
    if user.unit_id is None:
        return Scope(-1, ())  # a manager without a unit sees nothing
    own = units.subtree_ids([user.unit_id])
    if unit_id is None:
        return Scope(user.unit_id, tuple(own))
    if unit_id not in own:
        raise Forbidden("A manager sees only their own unit and the units below it")
    return Scope(unit_id, tuple(units.subtree_ids([unit_id])))


def _line_scope(user: User, manager_id: int | None) -> Scope:
    """The people below ``manager_id`` in the manager line.

    The user's own line, or (drilling down) the line of someone in it; an admin may
    follow anyone's.
    """
    if manager_id is None or manager_id == user.id:
        return Scope(None, None, user.id)
    if user.role != "admin" and not line.reports_to(manager_id, user.id):
        raise Forbidden("A manager follows only the people who report to them")
    return Scope(None, None, manager_id)


def months_ago(n: int, today: date | None = None) -> str:
    """The period ("YYYY-MM") ``n`` months before this month."""
    today = today or date.today()
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_conditions(start: str | None, end: str | None) -> list[Any]:
    """Conditions on Completion.period for the months from ``start`` to ``end``."""
    conditions = []
    if start and PERIOD.match(start):
        conditions.append(Completion.period >= start)
    if end and PERIOD.match(end):
        conditions.append(Completion.period <= end)
    return conditions


def verb_counts() -> list[Any]:
    """Sums of completed, passed and failed rows of Completion (labelled so)."""
    return [
        func.sum(case((Completion.verb == "completed", 1), else_=0)).label("completed"),
        func.sum(case((Completion.verb == "passed", 1), else_=0)).label("passed"),
        func.sum(case((Completion.verb == "failed", 1), else_=0)).label("failed"),
    ]


@dataclass
class Table:
    """A report table: column keys and labels, and rows of values (HTML and CSV)."""

    columns: Sequence[tuple[str, str]]
    rows: list[dict[str, Any]]

    def csv(self) -> str:
        """The table as CSV (UTF-8 text with a header row)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _, label in self.columns])
        for row in self.rows:
            writer.writerow([_csv_value(row.get(key)) for key, _ in self.columns])
        return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # no formula injection when opened in a spreadsheet
    return value


def rolled(
    model: type[CompletionRollup] | type[LineRollup],
    dim: str,
    group: Any,
    conditions: list[Any],
    start: str | None,
    end: str | None,
) -> Select[Any]:
    """Sum monthly totals (``model``: per unit and course, or per manager's line).

    One dimension (``dim``: "u" unit, "c" course, "m" a line's month), the rows
    ``conditions`` pick, grouped by ``group``.
    """
    r = model
    where: list[Any] = [r.dim == dim, *conditions]
    if start and PERIOD.match(start):
        where.append(r.period >= start)
    if end and PERIOD.match(end):
        where.append(r.period <= end)
    total = func.sum(r.completed) + func.sum(r.passed) + func.sum(r.failed)
    return (
        select(
            group,
            func.sum(r.completed).label("completed"),
            func.sum(r.passed).label("passed"),
            func.sum(r.failed).label("failed"),
            (func.sum(r.score_sum) / func.nullif(func.sum(r.score_count), 0)).label("avg_score"),
        )
        .where(*where)
        .group_by(group)
        .having(total > 0)
    )


def per_course(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions, passes and failures per course.

    Every unit: from the monthly totals; a manager's line: from the line's monthly
    totals.  One unit: from the completions themselves (the unit's covering index),
    since the totals are per unit or per course, not both.
    """
    if scope.all_units:
        r = CompletionRollup
        stmt = rolled(r, "c", r.ref.label("course_id"), [], start, end)
    elif scope.manager_id is not None:
        lr = LineRollup
        mine = [lr.manager_id == scope.manager_id]
        stmt = rolled(lr, "c", lr.ref.label("course_id"), mine, start, end)
    else:
        stmt = (
            select(
                Completion.course_id, *verb_counts(), func.avg(Completion.score).label("avg_score")
            )
            .where(*scope.where(), *period_conditions(start, end))
            .group_by(Completion.course_id)
        )
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    for row in rows:
        row["course_id"] = row["course_id"] or None
    titles = _course_titles(r["course_id"] for r in rows)
    for row in rows:
        row["course"] = titles.get(row["course_id"], "")
    rows.sort(key=lambda r: (-int(r["completed"] or 0), r["course"]))
    return Table(
        [
            ("course", N_("Course")),
            ("completed", N_("Completions")),
            ("passed", NC_("heading", "Passed")),
            ("failed", NC_("heading", "Failed")),
            ("avg_score", N_("Average score")),
        ],
        rows,
    )


UNIT_COLUMNS = [
    ("unit", N_("Unit")),
    ("people", N_("People")),
    ("completed", N_("Completions")),
    ("passed", NC_("heading", "Passed")),
    ("failed", NC_("heading", "Failed")),
]


def per_unit(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions, passes and failures one level down the tree.

    A row for each unit directly below the scope's unit (the top units for the whole
    organisation) counts its whole subtree and says how many people it covers. A first
    row counts the people of the scope's unit itself (for the whole organisation: those
    in no unit), when there are any.
    """
    if scope.unit_ids == ():
        return Table(UNIT_COLUMNS, [])
    r = CompletionRollup
    stmt = rolled(r, "u", r.ref.label("unit_id"), scope.where(r.ref), start, end)
    totals = {(r.unit_id or None): r for r in db.session.execute(stmt)}
    own_unit = db.session.get(OrganisationUnit, scope.unit_id) if scope.unit_id else None
    # Lazy: translated when shown (a page or CSV), so the function runs outside a request.
    own = _unit_row(scope.unit_id, own_unit.name if own_unit else lazy_gettext(N_("In no unit")))
    rows = {unit.id: _unit_row(unit.id, unit.name) for unit in units.children(scope.unit_id)}
    if scope.unit_ids is None:
        every_unit = db.session.scalars(select(OrganisationUnit.id))
        people: dict[int | None, int] = dict(units.people_counts(every_unit))
        people[None] = _people_without_unit()
    else:
        people = dict(units.people_counts(scope.unit_ids))
    home = units.roll_up_to(list(rows), [u for u in {*people, *totals} if u is not None])
    for unit_id in {*people, *totals}:
        row = rows[home[unit_id]] if unit_id in home else own
        row["people"] += people.get(unit_id, 0)
        if unit_id in totals:
            for key in ("completed", "passed", "failed"):
                row[key] += int(getattr(totals[unit_id], key) or 0)
    ordered = sorted(rows.values(), key=lambda r: str(r["unit"]).casefold())
    if own["people"] or own["completed"] or own["passed"] or own["failed"]:
        ordered.insert(0, own)
    return Table(UNIT_COLUMNS, ordered)


def _unit_row(unit_id: int | None, name: str) -> dict[str, Any]:
    return {"unit_id": unit_id, "unit": name, "people": 0, "completed": 0, "passed": 0, "failed": 0}


def _people_without_unit() -> int:
    stmt = select(func.count()).where(User.unit_id.is_(None), User.active.is_(True))
    return int(db.session.scalar(stmt) or 0)


def per_month(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions per month (the month the statement's timestamp falls in)."""
    r = CompletionRollup
    stmt = rolled(r, "u", r.period, scope.where(r.ref), start, end).order_by(r.period)
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    return Table(
        [
            ("period", N_("Month")),
            ("completed", N_("Completions")),
            ("passed", NC_("heading", "Passed")),
            ("failed", NC_("heading", "Failed")),
        ],
        rows,
    )


def check_learner(scope: Scope, learner: User) -> None:
    """Forbidden unless the scope covers the learner.

    A manager: their unit's subtree or, following the line, the people whose chain of
    managers leads to them.
    """
    if not scope.covers(learner):
        if scope.by_line:
            raise Forbidden("This person does not report to you")
        raise Forbidden("This learner is not in your unit")


def transcript(scope: Scope, learner: User) -> Table:
    """Everything a learner completed, passed or failed (within the scope), newest first."""
    check_learner(scope, learner)
    stmt = (
        select(Completion)
        .where(Completion.user_id == learner.id, *scope.where())
        .order_by(Completion.stored.desc(), Completion.id.desc())
    )
    completions = list(db.session.scalars(stmt))
    titles = _course_titles(c.course_id for c in completions)
    rows = [
        {
            "stored": c.stored,
            "course": titles.get(c.course_id) or c.activity_id,
            "verb": c.verb,
            "success": c.success,
            "score": c.score,
            "course_id": c.course_id,
            "statement_id": c.statement_id,
        }
        for c in completions
    ]
    return Table(
        [
            ("stored", N_("Date")),
            ("course", N_("Course")),
            ("verb", N_("Outcome")),
            ("score", N_("Score")),
        ],
        rows,
    )


def course_learners(scope: Scope, course_id: int) -> Table:
    """A course's learners: status (passed > failed > completed), last date, best score."""
    stmt = (
        select(
            Completion.user_id,
            func.max(Completion.actor_name).label("actor_name"),
            *verb_counts(),
            func.max(Completion.score).label("score"),
            func.max(Completion.stored).label("last"),
        )
        .where(Completion.course_id == course_id, *scope.where())
        .group_by(Completion.user_id)
    )
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_([r["user_id"] for r in rows])))
    }
    for row in rows:
        user = users.get(row["user_id"])
        row["learner"] = user.name if user else row["actor_name"]
        row["email"] = (user.email or "") if user else ""
        row["status"] = "passed" if row["passed"] else "failed" if row["failed"] else "completed"
    rows.sort(key=lambda r: r["learner"])
    return Table(
        [
            ("learner", N_("Learner")),
            ("email", N_("E-mail")),
            ("status", N_("Status")),
            ("score", N_("Best score")),
            ("last", N_("Last")),
        ],
        rows,
    )


def learners_in_scope(scope: Scope, limit: int = 50) -> list[User]:
    """The first ``limit`` learners (by name) whose transcripts the scope may open."""
    stmt = (
        select(User)
        .where(*scope.where(User.unit_id, User.id))
        .order_by(User.name, User.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _course_titles(ids: Iterable[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    titles: dict[int | None, str] = {None: "(other activities)"}
    if wanted:
        titles.update(
            dict(
                db.session.execute(
                    select(Course.id, Course.title).where(Course.id.in_(wanted))
                ).all()
            )
        )
    return titles


def bars(table: Table, label_key: str, value_key: str = "completed") -> list[tuple[str, int]]:
    """(label, value) pairs for a bar chart."""
    return [(str(r.get(label_key) or ""), int(r.get(value_key) or 0)) for r in table.rows]


@dataclass(frozen=True)
class AttemptRow:
    """One e-learning attempt, for the managers' attempt lists."""

    id: int
    number: int
    course_id: int
    course: str
    kind: str
    learner_id: int
    learner: str
    completion_status: str
    success_status: str
    score: float | None
    started: datetime
    ended: datetime | None


def attempts_in_scope(
    scope: Scope, *, user_id: int | None = None, course_id: int | None = None, limit: int = 500
) -> list[AttemptRow]:
    """E-learning attempts (newest first) of learners the scope covers."""
    stmt = (
        select(Attempt, Course.title, PackageVersion.kind, User.name)
        .join(Course, Course.id == Attempt.course_id)
        .join(PackageVersion, PackageVersion.id == Attempt.version_id)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.preview.is_(False))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        .limit(limit)
    )
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    if course_id is not None:
        stmt = stmt.where(Attempt.course_id == course_id)
    stmt = stmt.where(*scope.where(User.unit_id, User.id))
    return [
        AttemptRow(
            a.id,
            a.number,
            a.course_id,
            title,
            kind,
            a.user_id,
            name,
            a.completion_status,
            a.success_status,
            a.score_scaled,
            a.started_at,
            a.ended_at,
        )
        for a, title, kind, name in db.session.execute(stmt)
    ]
