"""Compliance over time: a nightly snapshot of the counts, and the trend read from it.

Why snapshots, rather than working out past months from the completions: a person's
status on a past day depends on more than their completions. Who was in the audience
then (people who left it are no longer in ``portal_requirement_member``), their home
unit then (people move), exemptions since withdrawn, the due rule and validity before
the requirement was changed: none of that is kept, so a month computed afterwards would
count today's people under today's rules and call it history. A snapshot records what
the compliance page showed that day, so the trend is what leadership saw.

The job (``compliance_snapshot`` in portal/tasks.py, nightly, at a worker's start when
today has none, and after a requirement is created) counts every active requirement's
members per status and home unit with one statement (``compliance.counts_per_unit``)
and replaces the day's rows, so running it twice a day leaves one snapshot. A unit
subtree's figures are the sum of its units' rows (units as the tree is now; people
counted where their home unit was on the day). Days of the last quarter are kept, and
before that the last day recorded in each month: the trend's monthly points. Today's
point is not read from here but counted live, like the rest of the page.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, insert, select

from core.db import db
from portal import compliance
from portal.models import ComplianceSnapshot, ComplianceSnapshotDay, Requirement

# Every day of the last quarter is kept; before it, each month's last recorded day.
KEEP_DAYS = 92
MONTHS = 12
_COUNTED = ("not_started", "in_progress", "completed", "expiring", "overdue", "exempt")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record(today: date) -> int:
    """Today's snapshot of every active requirement (replacing one taken earlier today).

    Returns the number of rows written. Flushes; the caller commits.
    """
    active = list(db.session.scalars(select(Requirement).where(Requirement.active.is_(True))))
    counted = compliance.counts_per_unit(active, today)
    s, d = ComplianceSnapshot, ComplianceSnapshotDay
    db.session.execute(delete(s).where(s.day == today))
    db.session.execute(delete(d).where(d.day == today))
    rows = [
        {
            "day": today,
            "requirement_id": rid,
            "unit_id": unit_id or 0,
            **{status: int(counts[status]) for status in _COUNTED},
        }
        for (rid, unit_id), counts in counted.items()
    ]
    if rows:
        db.session.execute(insert(s), rows)
    db.session.add(d(day=today, taken_at=_now()))
    db.session.flush()
    prune(today)
    return len(rows)


def taken(day: date) -> bool:
    """Whether ``day`` has a snapshot."""
    return db.session.get(ComplianceSnapshotDay, day) is not None


def prune(today: date) -> int:
    """Forget days older than the last quarter except each month's last; how many."""
    days = sorted(db.session.scalars(select(ComplianceSnapshotDay.day)))
    last_of_month: dict[tuple[int, int], date] = {}
    for day in days:
        last_of_month[(day.year, day.month)] = day  # sorted: the last one stays
    keep = set(last_of_month.values())
    old = [d for d in days if d < today - timedelta(days=KEEP_DAYS) and d not in keep]
    if old:
        s, d = ComplianceSnapshot, ComplianceSnapshotDay
        db.session.execute(delete(s).where(s.day.in_(old)))
        db.session.execute(delete(d).where(d.day.in_(old)))
    return len(old)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class Point:
    """One point of the trend: a month's last snapshot, or today counted live.

    ``day`` is the day the figures are from (None: no snapshot that month);
    ``figures`` holds each requirement's (none for a month without a snapshot).
    """

    month: date  # the first day of the point's month
    day: date | None
    today: bool = False
    figures: dict[int, compliance.Figures] = field(default_factory=dict)

    @property
    def overall(self) -> compliance.Figures:
        """All requirements together: each person counts once per requirement."""
        total: Counter[str] = Counter()
        for figures in self.figures.values():
            total.update(figures.counts)
        return compliance.Figures(total)

    def share(self, requirement_id: int | None, status: str) -> float | None:
        """A requirement's share (None: all of them) of ``status``; None without data."""
        if self.day is None:
            return None
        if requirement_id is None:
            return self.overall.share(status)
        figures = self.figures.get(requirement_id)
        return figures.share(status) if figures else None


def points(today: date, months: int = MONTHS) -> list[Point]:
    """The ``months`` months before today's, each with its last snapshot day (or none)."""
    index = today.year * 12 + today.month - 1
    wanted = [divmod(index - n, 12) for n in range(months, 0, -1)]
    first = date(wanted[0][0], wanted[0][1] + 1, 1)
    last = _month_end(wanted[-1][0], wanted[-1][1] + 1)
    d = ComplianceSnapshotDay
    days = db.session.scalars(select(d.day).where(d.day >= first, d.day <= last).order_by(d.day))
    chosen: dict[tuple[int, int], date] = {}
    for day in days:
        chosen[(day.year, day.month)] = day
    return [
        Point(date(year, month + 1, 1), chosen.get((year, month + 1))) for year, month in wanted
    ]


def trend(
    requirement_ids: list[int],
    unit_ids: Sequence[int] | None,
    live: dict[int, compliance.Figures],
    today: date | None = None,
) -> list[Point]:
    """The last twelve months' points and today's, for requirements in a unit subtree.

    ``unit_ids``: the subtree's units (``Scope.unit_ids``; None: the whole organisation,
    people in no unit included); ``live``: today's figures, already counted by the page.
    """
    today = today or date.today()
    found = points(today)
    by_day = {p.day: p for p in found if p.day is not None}
    if by_day and requirement_ids:
        s = ComplianceSnapshot
        stmt = (
            select(s.day, s.requirement_id, *(func.sum(getattr(s, c)) for c in _COUNTED))
            .where(s.day.in_(list(by_day)), s.requirement_id.in_(requirement_ids))
            .group_by(s.day, s.requirement_id)
        )
        if unit_ids is not None:
            stmt = stmt.where(s.unit_id.in_(list(unit_ids)))
        for day, rid, *sums in db.session.execute(stmt):
            counts = Counter({c: int(n or 0) for c, n in zip(_COUNTED, sums, strict=True)})
            by_day[day].figures[rid] = compliance.Figures(+counts)
    now = Point(date(today.year, today.month, 1), today, today=True)
    now.figures = {rid: live[rid] for rid in requirement_ids if rid in live}
    return [*found, now]
