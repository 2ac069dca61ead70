"""Is the manager line's table, and each line's monthly totals, what the data says?

Worked out here from scratch, independently of accounts/line.py and
portal/line_rollup.py: everyone's chain of managers walked up until it ends or
repeats, and every completion added to the totals of everyone above its learner.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Flask
from sqlalchemy import select

from core.db import db

VERBS = ("completed", "passed", "failed")


def walked(managers: dict[int, int | None]) -> set[tuple[int, int]]:
    """(manager, person) for everyone above each person, loops stopped."""
    pairs = set()
    for person in managers:
        seen = {person}
        boss = managers.get(person)
        while boss is not None and boss not in seen:
            pairs.add((boss, person))
            seen.add(boss)
            boss = managers.get(boss)
    return pairs


def assert_line_kept(app: Flask) -> set[tuple[int, int]]:
    """The stored line and totals match the managers and completions now; the pairs."""
    from accounts.models import LineMember, User
    from portal.models import Completion, LineRollup

    with app.app_context():
        managers = dict(db.session.execute(select(User.id, User.manager_id)).all())
        pairs = walked(managers)
        stored = db.session.execute(select(LineMember.manager_id, LineMember.person_id))
        assert {(m, p) for m, p in stored} == pairs
        bosses = defaultdict(list)
        for boss, person in pairs:
            bosses[person].append(boss)
        want: dict[tuple[int, str, int, str], list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
        for c in db.session.scalars(select(Completion)):
            for boss in bosses.get(c.user_id or 0, ()):
                for cell in ((boss, "c", c.course_id or 0, c.period), (boss, "m", 0, c.period)):
                    want[cell][VERBS.index(c.verb)] += 1
                    want[cell][3] += c.score or 0.0
        have = {
            (r.manager_id, r.dim, r.ref, r.period): [r.completed, r.passed, r.failed, r.score_sum]
            for r in db.session.scalars(select(LineRollup))
            if r.completed or r.passed or r.failed
        }
        assert {k: v[:3] for k, v in have.items()} == {k: v[:3] for k, v in want.items()}
        for key, value in have.items():
            assert abs(value[3] - want[key][3]) < 1e-9, key
    return pairs
