"""Monthly totals of each manager's line (``portal_line_rollup``), kept in step.

A completion counts in the totals of every manager above its learner
(``accounts_manager_line``, kept by accounts/line.py), as the line stands now:

- ``add`` adds a batch of projected completions (and takes voided ones away), called
  by the projection (portal/projection.py) in the statements' transaction;
- ``move`` receives ``accounts.signals.line_changed``: people who entered a manager's
  line bring all their completions into that manager's totals, people who left take
  theirs out, in the transaction that changed the managers;
- ``rebuild`` adds everything up again (the line was built anew).

Both writers take the line's lock (``accounts.line.lock``), so on PostgreSQL a
completion stored while a manager changes is counted for the new line, not the old.
The reports on the line (portal/line_reports.py, ``reports.per_course``) read these
totals: a line of 20,000 people over ten years is a few thousand rows to add up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
)

from accounts import line
from accounts.models import LineMember
from core.db import adding_upsert, db
from portal.models import Completion, LineRollup

COUNTS = ("completed", "passed", "failed", "score_sum", "score_count")
# People per query when moving completions: one query per manager for a department's
# worth (each upserts a cell once), bound parameters under SQLite's limit (32,766).
CHUNK = 5_000


@cache
def _upsert(dialect: str) -> Any:
    """The upsert adding to the line's totals (built once per dialect)."""
    return adding_upsert(
        LineRollup.__table__, ["manager_id", "dim", "ref", "period"], COUNTS, dialect
    )


@cache
def _bosses() -> Any:
    """(manager, person) of the given people's lines (built once).

    It runs with every batch of results stored, under the LRS clock.
    """
    people: Any = bindparam("people", expanding=True)
    return select(LineMember.manager_id, LineMember.person_id).where(
        LineMember.person_id.in_(people)
    )


def add(rows: Sequence[dict[str, Any]], sign: int) -> None:
    """Add (sign 1) or take away (sign -1) completion rows in their managers' totals.

    ``rows`` are the projection's (``user_id``, ``course_id``, ``period``, ``verb``,
    ``score``).
    """
    people = {row["user_id"] for row in rows if row["user_id"] is not None}
    if not people:
        return
    line.lock(db.session, shared=True)
    bosses: dict[int, list[int]] = defaultdict(list)
    for boss, person in db.session.execute(_bosses(), {"people": list(people)}):
        bosses[person].append(boss)
    totals: dict[tuple[int, str, int, str], list[float]] = {}
    for row in rows:
        for boss in bosses.get(row["user_id"], ()):
            for dim, ref in (("c", row["course_id"] or 0), ("m", 0)):
                cell = totals.setdefault((boss, dim, ref, row["period"]), [0, 0, 0, 0.0, 0])
                cell[("completed", "passed", "failed").index(row["verb"])] += sign
                if row["score"] is not None:
                    cell[3] += sign * row["score"]
                    cell[4] += sign
    if totals:
        # In key order, so concurrent writers lock the same rows in the same order.
        db.session.execute(
            _upsert(db.session.get_bind().dialect.name),
            [
                {
                    "manager_id": b,
                    "dim": d,
                    "ref": r,
                    "period": p,
                    **dict(zip(COUNTS, c, strict=True)),
                }
                for (b, d, r, p), c in sorted(totals.items())
            ],
        )


def move(
    _sender: Any,
    *,
    session: line.AnySession,
    added: list[tuple[int, int]] | None,
    removed: list[tuple[int, int]] | None,
) -> None:
    """Receives ``line_changed``: (manager, person) pairs added to and removed from lines.

    Each manager's totals gain the completions of the people who joined their line and
    lose those of the people who left it. ``added`` None: the whole line was rebuilt.
    Totals that fall to nothing stay as rows of zeros (as in the per unit totals; the
    reports leave them out): finding them costs a scan of each manager's rows.
    """
    if added is None or removed is None:
        rebuild(session)
        return
    people = {p for _, p in added} | {p for _, p in removed}
    with_results: set[int | None] = set()
    for chunk in _chunks(sorted(people)):
        with_results.update(
            session.scalars(
                select(Completion.user_id).where(Completion.user_id.in_(chunk)).distinct()
            )
        )
    for sign, pairs in ((-1, removed), (1, added)):
        by_boss: dict[int, list[int]] = defaultdict(list)
        for boss, person in pairs:
            if person in with_results:
                by_boss[boss].append(person)
        for boss, members in sorted(by_boss.items()):
            for chunk in _chunks(members):
                for dim in ("c", "m"):
                    session.execute(_moved(session, boss, dim, chunk, sign))


def _moved(session: line.AnySession, boss: int, dim: str, people: list[int], sign: int) -> Any:
    """An upsert of ``people``'s completions, times ``sign``, into ``boss``'s totals."""
    c = Completion
    ref = func.coalesce(c.course_id, literal_column("0")) if dim == "c" else literal_column("0")
    totals = (
        select(
            literal(boss, Integer),
            literal(dim, String),
            ref,
            c.period,
            *(sign * column for column in _sums()),
        )
        .where(c.user_id.in_(people))
        .group_by(*((ref, c.period) if dim == "c" else (c.period,)))
    )
    stmt = _upsert(session.get_bind().dialect.name)
    return stmt.from_select(["manager_id", "dim", "ref", "period", *COUNTS], totals)


def rebuild(session: line.AnySession) -> None:
    """Every manager's totals added up again from the line and the completions."""
    session.execute(delete(LineRollup))
    c, m = Completion, LineMember
    for dim in ("c", "m"):
        ref = func.coalesce(c.course_id, literal_column("0")) if dim == "c" else literal_column("0")
        keys = (m.manager_id, ref, c.period) if dim == "c" else (m.manager_id, c.period)
        totals = (
            select(m.manager_id, literal(dim, String), ref, c.period, *_sums())
            .join(c, c.user_id == m.person_id)
            .group_by(*keys)
        )
        session.execute(
            insert(LineRollup).from_select(["manager_id", "dim", "ref", "period", *COUNTS], totals)
        )


def _sums() -> list[Any]:
    """Completed, passed and failed rows, the sum and number of scores (in COUNTS' order)."""
    c = Completion
    return [
        func.sum(case((c.verb == "completed", 1), else_=0)),
        func.sum(case((c.verb == "passed", 1), else_=0)),
        func.sum(case((c.verb == "failed", 1), else_=0)),
        func.coalesce(func.sum(c.score), 0.0),
        func.count(c.score),
    ]


def _chunks(items: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])
