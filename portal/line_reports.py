"""Reports that follow the manager line: per direct report and per month.

Read from the line's monthly totals (``LineRollup``, portal/line_rollup.py): each
manager's row counts everyone below them, so a direct report's figures are their own
line's totals plus their own completions, whatever the size of the line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from accounts.models import LineMember, User
from core.db import db
from core.i18n import NC_
from portal.i18n import N_
from portal.models import Completion, LineRollup
from portal.reports import Scope, Table, period_conditions, rolled, verb_counts

REPORT_COLUMNS = [
    ("person", N_("Reports to the manager")),
    ("people", N_("People")),
    ("completed", N_("Completions")),
    ("passed", NC_("heading", "Passed")),
    ("failed", NC_("heading", "Failed")),
]
_VERBS = ("completed", "passed", "failed")


def per_report(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """A row for each direct report of the scope's manager, counting their whole line.

    Like a unit's row in the unit report: the person and everyone below them, with how
    many (active) people that is; drilling down follows that person's line.
    """
    top = scope.manager_id
    if top is None:
        return Table(REPORT_COLUMNS, [])
    direct = list(db.session.scalars(select(User).where(User.manager_id == top, User.id != top)))
    ids = [p.id for p in direct]
    lr = LineRollup
    below = {
        r.manager_id: r
        for r in db.session.execute(
            rolled(lr, "m", lr.manager_id, [lr.manager_id.in_(ids)], start, end)
        )
    }
    own = _own([*ids, top], start, end)
    people = _people_below(ids)
    has_line = set(db.session.scalars(select(User.manager_id).where(User.manager_id.in_(ids))))
    rows = {
        p.id: {
            "user_id": p.id,
            "person": p.name,
            "has_line": p.id in has_line,
            "people": people.get(p.id, 0) + int(p.active),
            **{
                k: int(getattr(below.get(p.id), k, 0) or 0) + own.get(p.id, {}).get(k, 0)
                for k in _VERBS
            },
        }
        for p in direct
    }
    _leave_out_the_loop(rows, top, own)
    return Table(
        REPORT_COLUMNS,
        sorted(rows.values(), key=lambda r: (str(r["person"]).casefold(), r["user_id"])),
    )


def _own(people: list[int], start: str | None, end: str | None) -> dict[int, dict[str, int]]:
    """Each person's own completed, passed and failed rows (not their line's)."""
    stmt = (
        select(Completion.user_id, *verb_counts())
        .where(Completion.user_id.in_(people), *period_conditions(start, end))
        .group_by(Completion.user_id)
    )
    return {
        r.user_id: {k: int(getattr(r, k) or 0) for k in _VERBS} for r in db.session.execute(stmt)
    }


def _people_below(managers: Iterable[int]) -> dict[int, int]:
    """How many active people are below each of ``managers``."""
    stmt = (
        select(LineMember.manager_id, func.count())
        .join(User, User.id == LineMember.person_id)
        .where(LineMember.manager_id.in_(list(managers)), User.active.is_(True))
        .group_by(LineMember.manager_id)
    )
    return {m: int(n) for m, n in db.session.execute(stmt).all()}


def _leave_out_the_loop(
    rows: dict[int, dict[str, Any]], top: int, own: dict[int, dict[str, int]]
) -> None:
    """Where the data loops back to ``top``, count only who reaches ``top`` through each row.

    If ``top``'s own chain of managers leads back down to them, it does so through one
    direct report, whose line then holds ``top`` and everyone else below ``top``: that
    row keeps only the people who reach ``top`` through that person, as the line below
    ``top`` would walk them (``top`` is never in their own line).
    """
    loop = db.session.scalar(
        select(LineMember.manager_id).where(
            LineMember.person_id == top, LineMember.manager_id.in_(list(rows))
        )
    )
    if loop is None:
        return
    row = rows[loop]
    top_active = db.session.scalar(select(User.active).where(User.id == top))
    row["people"] -= int(bool(top_active))
    for key in _VERBS:
        row[key] -= own.get(top, {}).get(key, 0)
    for other, found in rows.items():
        if other != loop:
            row["people"] -= found["people"]
            for key in _VERBS:
                row[key] -= found[key]


def per_month(scope: Scope, start: str | None = None, end: str | None = None) -> Table:
    """Completions per month of the people in the line."""
    lr = LineRollup
    mine = [lr.manager_id == scope.manager_id]
    stmt = rolled(lr, "m", lr.period, mine, start, end).order_by(lr.period)
    return Table(
        [
            ("period", N_("Month")),
            ("completed", N_("Completions")),
            ("passed", NC_("heading", "Passed")),
            ("failed", NC_("heading", "Failed")),
        ],
        [
            {k: v for k, v in r._mapping.items() if k != "avg_score"}
            for r in db.session.execute(stmt)
        ],
    )
