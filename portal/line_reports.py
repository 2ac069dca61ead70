"""Reports that follow the manager line: per direct report and per month.

The monthly totals (``CompletionRollup``) are per unit and per course, so a line's
figures are summed from the completions themselves, on the learner's covering index
(``ix_completion_user_stored``), joined to the one recursive query of the line.
"""

from __future__ import annotations

from sqlalchemy import func, select

from accounts import line
from accounts.models import User
from core.db import db
from core.i18n import NC_
from portal.i18n import N_
from portal.models import Completion
from portal.reports import Scope, Table, period_conditions, verb_counts

REPORT_COLUMNS = [
    ("person", N_("Reports to the manager")),
    ("people", N_("People")),
    ("completed", N_("Completions")),
    ("passed", NC_("heading", "Passed")),
    ("failed", NC_("heading", "Failed")),
]


def per_report(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """A row for each direct report of the scope's manager, counting their whole line.

    Like a unit's row in the unit report: the person and everyone below them, with how
    many (active) people that is; drilling down follows that person's line.
    """
    if scope.manager_id is None:
        return Table(REPORT_COLUMNS, [])
    below = line.line(scope.manager_id)
    people: dict[int, int] = dict(
        db.session.execute(
            select(below.c.top, func.count())
            .join(User, User.id == below.c.id)
            .where(User.active.is_(True))
            .group_by(below.c.top)
        ).all()
    )
    totals = {
        row.top: row
        for row in db.session.execute(
            select(below.c.top, *verb_counts())
            .join(Completion, Completion.user_id == below.c.id)
            .where(*period_conditions(start, end))
            .group_by(below.c.top)
        )
    }
    direct = db.session.scalars(
        select(User).where(User.manager_id == scope.manager_id, User.id != scope.manager_id)
    )
    has_line = set(
        db.session.scalars(
            select(User.manager_id).where(User.manager_id.in_(list(people) + list(totals)))
        )
    )
    rows = []
    for person in direct:
        found = totals.get(person.id)
        rows.append(
            {
                "user_id": person.id,
                "person": person.name,
                "has_line": person.id in has_line,
                "people": int(people.get(person.id, 0)),
                **{k: int(getattr(found, k) or 0) if found else 0 for k in _VERBS},
            }
        )
    rows.sort(key=lambda r: (str(r["person"]).casefold(), r["user_id"]))
    return Table(REPORT_COLUMNS, rows)


_VERBS = ("completed", "passed", "failed")


def per_month(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions per month of the people in the line."""
    stmt = (
        select(Completion.period, *verb_counts())
        .where(*scope.where(), *period_conditions(start, end))
        .group_by(Completion.period)
        .order_by(Completion.period)
    )
    return Table(
        [
            ("period", N_("Month")),
            ("completed", N_("Completions")),
            ("passed", NC_("heading", "Passed")),
            ("failed", NC_("heading", "Failed")),
        ],
        [dict(r._mapping) for r in db.session.execute(stmt)],
    )
