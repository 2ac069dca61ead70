"""The manager line's table and totals follow every change of managers, at once.

The line (accounts/line.py) and each line's monthly totals (portal/line_rollup.py) are
checked against the managers and completions after each change (tests/line_checks.py):
the people import from the command line, changes through the ORM (as SCIM and the
pages make them), loops, a large import kept a part at a time, and a rebuild.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.db import db
from tests.accounts.test_people_import import SWEDISH, run
from tests.line_checks import assert_line_kept
from tests.portal.conftest import Portal

VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def units(app):
    from accounts import service

    with app.app_context():
        top = service.create_unit("SOC", "Socialförvaltningen")
        service.create_unit("SOC-AO", "Äldreomsorg", "section", top.id)
        db.session.commit()


@pytest.fixture
def portal(app):
    """Units, people and courses made directly (tests/portal/conftest.py)."""
    return Portal(app)


@pytest.fixture
def trusted(make_xapi):
    """An xAPI client whose results count (an admin trusts it)."""
    return make_xapi(["all"], trusted=True)


@pytest.fixture
def complete(app, trusted):
    """Store a ``verb`` statement for each person id given; their ids."""
    home = app.config["AGENT_HOMEPAGE"]

    def send(*people: int, verb: str = "completed", score: float | None = None) -> list[str]:
        statements: list[dict[str, Any]] = [
            {
                "id": str(uuid.uuid4()),
                "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(p)}},
                "verb": {"id": VERB + verb},
                "object": {"objectType": "Activity", "id": f"{home}/courses/7"},
                **({"result": {"score": {"scaled": score}}} if score is not None else {}),
            }
            for p in people
        ]
        assert trusted.post("statements", statements).status_code == 200
        return [str(s["id"]) for s in statements]

    return send


def ids(app) -> dict[str, int]:
    from accounts.models import User

    with app.app_context():
        found = db.session.execute(select(User.employee_number, User.id))
        return {number: i for number, i in found if number}


def set_manager(app, person: int, manager: int | None) -> None:
    from accounts.models import User

    with app.app_context():
        user = db.session.get(User, person)
        assert user is not None
        user.manager_id = manager
        db.session.commit()


def test_manager_line_kept_by_the_people_import(app, runner, tmp_path: Path, units, complete):
    assert run(runner, tmp_path, SWEDISH)[0] == 0
    n = ids(app)
    assert assert_line_kept(app) == {(n["1001"], n["1002"]), (n["1001"], n["1003"])}
    complete(n["1003"], n["1002"])
    complete(n["1003"], verb="passed", score=0.75)
    assert_line_kept(app)
    # Ali now reports to Lea: his results count for Lea and, still, for Åsa above her.
    moved = SWEDISH.replace(";SOC-AO;1001;Sj", ";SOC-AO;1002;Sj")
    code, report = run(runner, tmp_path, moved)
    assert code == 0, report
    pairs = assert_line_kept(app)
    assert (n["1002"], n["1003"]) in pairs
    # Nobody has a manager any more: every line is empty, and so are its totals.
    nobody = SWEDISH.replace(";1001;", ";;")
    assert run(runner, tmp_path, nobody)[0] == 0
    assert assert_line_kept(app) == set()


def test_manager_line_a_large_import_is_kept_a_part_at_a_time(
    app, runner, tmp_path: Path, units, complete, monkeypatch
):
    from accounts import line

    assert run(runner, tmp_path, SWEDISH)[0] == 0
    n = ids(app)
    complete(n["1002"], n["1003"], n["1001"])
    monkeypatch.setattr(line, "CHUNK", 1)  # one person's change per query
    assert run(runner, tmp_path, SWEDISH.replace(";1001;", ";;"))[0] == 0
    assert assert_line_kept(app) == set()
    assert run(runner, tmp_path, SWEDISH)[0] == 0
    assert len(assert_line_kept(app)) == 2


def test_manager_line_survives_loops_and_their_end(app, portal, complete):
    a, b, c, d = (portal.user(f"{x}@example.org") for x in "abcd")
    complete(a, b, c, d)
    # a reports to b, b to c, c to a (a loop), and d to a.
    for person, manager in ((a, b), (b, c), (c, a), (d, a)):
        set_manager(app, person, manager)
        assert_line_kept(app)
    pairs = assert_line_kept(app)
    assert {p for m, p in pairs if m == a} == {b, c, d}  # never a herself
    set_manager(app, c, None)  # the loop ends at c
    assert assert_line_kept(app) == {(b, a), (c, a), (c, b), (a, d), (b, d), (c, d)}


def test_manager_line_new_people_and_managers_set_as_objects(app, portal, complete):
    from accounts.models import User

    boss = portal.user("boss@example.org")
    with app.app_context():
        manager = db.session.get(User, boss)
        assert manager is not None
        new = User(
            email="new@example.org",
            name="New",
            password_hash="x",
            created_at=manager.created_at,
            manager=manager,
        )
        db.session.add(new)
        db.session.commit()
        new_id = new.id
    complete(new_id)
    assert assert_line_kept(app) == {(boss, new_id)}


def test_manager_line_results_stored_and_voided_count_for_everyone_above(
    app, portal, complete, trusted
):
    top, mid, ann = (portal.user(f"{x}@example.org") for x in ("top", "mid", "ann"))
    set_manager(app, mid, top)
    set_manager(app, ann, mid)
    first = complete(ann, mid)
    complete(ann, verb="failed", score=0.25)
    assert_line_kept(app)
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": first[0]},
    }
    assert trusted.post("statements", voiding).status_code == 200
    assert_line_kept(app)
    with app.app_context():
        from portal import line_reports
        from portal.reports import Scope

        months = line_reports.per_month(Scope(None, None, top)).rows
        assert [(r["completed"], r["failed"]) for r in months] == [(1, 1)]  # mid's, ann's


def test_manager_line_rebuilt_is_the_same(app, portal, complete):
    from accounts import line
    from accounts.models import LineMember
    from portal.models import LineRollup

    people = [portal.user(f"p{i}@example.org") for i in range(6)]
    for person, manager in zip(people[1:], people, strict=False):
        set_manager(app, person, manager)
    complete(*people)
    before = assert_line_kept(app)
    with app.app_context():
        totals = {
            (r.manager_id, r.dim, r.ref, r.period): r.completed
            for r in db.session.scalars(select(LineRollup))
        }
        line.rebuild(db.session)
        db.session.commit()
        assert len(db.session.scalars(select(LineMember)).all()) == len(before) == 15
        assert {
            (r.manager_id, r.dim, r.ref, r.period): r.completed
            for r in db.session.scalars(select(LineRollup))
        } == totals
    assert assert_line_kept(app) == before


def test_manager_line_a_result_stored_during_a_change_counts_for_the_new_line(
    app, portal, complete
):
    """The change holds the line's lock to its commit: a result stored meanwhile waits,
    then counts for the managers above the person after the change (not the old ones)."""
    from accounts.models import User

    top, old, new, ann = (portal.user(f"{x}@example.org") for x in ("top", "old", "new", "ann"))
    set_manager(app, old, top)
    set_manager(app, ann, old)
    complete(ann)
    flushed, go = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def change() -> None:
        try:
            with app.app_context():
                person = db.session.get(User, ann)
                assert person is not None
                person.manager_id = new
                db.session.flush()  # the line changed, not committed yet
                flushed.set()
                go.wait(10)
                db.session.commit()
        except BaseException as error:  # the test thread reports it
            failures.append(error)
            flushed.set()

    changing = threading.Thread(target=change)
    changing.start()
    assert flushed.wait(10)
    storing = threading.Thread(target=lambda: complete(ann))
    storing.start()
    storing.join(0.5)  # it waits for the change (PostgreSQL: the lock; SQLite: the write)
    go.set()
    changing.join(10)
    storing.join(30)
    assert not failures
    assert assert_line_kept(app) == {(top, old), (new, ann)}
