"""Who may start, review or preview a course (portal/views/launch.py), on every path.

A learner who types ``/courses/<id>/launch`` for a draft, another unit's course or a
classroom course got a working player, and the attempt counted in reports. An author's
preview counted as a learner's attempt.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.db import db
from tests.player.test_runtime import Player
from tests.portal.conftest import Portal


def _attempts(app: Flask, **where: object) -> int:
    from player.models import Attempt

    with app.app_context():
        stmt = select(func.count()).select_from(Attempt).filter_by(**where)
        return int(db.session.scalar(stmt) or 0)


@pytest.fixture
def courses(portal: Portal) -> dict[str, int]:
    portal.unit("social", "Social services")
    portal.unit("school", "Schools")
    return {
        "shared": portal.course("Fire safety"),
        "mine": portal.course("Home care", unit="social"),
        "draft": portal.course("Draft course", published=False),
        "other unit": portal.course("Teaching", unit="school"),
        "classroom": portal.course("Fire drill", kind="classroom"),
    }


@pytest.mark.parametrize("path", ["launch", "review"])
@pytest.mark.parametrize("which", ["draft", "other unit", "classroom", "missing"])
def test_launch_learner_cannot_reach_courses_outside_their_catalogue(
    app, portal: Portal, login, courses, path, which
):
    from accounts import service

    with app.app_context():
        social = service.unit_by_code("social")
        assert social is not None
        unit_id = social.id
    learner = login(portal.user("lea@example.org", unit_id=unit_id))
    course = courses.get(which, 9999)
    response = learner.get(f"/courses/{course}/{path}")
    assert response.status_code == 404
    assert _attempts(app) == 0


@pytest.mark.parametrize("which", ["shared", "mine"])
def test_launch_learner_starts_their_catalogues_courses(app, portal: Portal, login, courses, which):
    from accounts import service

    with app.app_context():
        unit_id = service.unit_by_code("social").id  # type: ignore[union-attr]
    learner = login(portal.user("lea@example.org", unit_id=unit_id))
    response = learner.get(f"/courses/{courses[which]}/launch")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/player/")
    assert _attempts(app, preview=False) == 1


def test_launch_preview_is_for_authors(app, portal: Portal, login, courses):
    learner = login(portal.user("lea@example.org"))
    assert learner.get(f"/courses/{courses['draft']}/preview").status_code == 403
    assert learner.get(f"/courses/{courses['shared']}/preview").status_code == 403
    author = login(portal.user("ann@example.org", role="author"))
    assert author.get(f"/courses/{courses['classroom']}/preview").status_code == 404
    assert _attempts(app) == 0


def test_launch_authors_draft_is_a_preview_that_counts_for_nobody(
    app, portal: Portal, login, courses
):
    from portal.models import Completion

    author_id = portal.user("ann@example.org", role="author")
    author = login(author_id)
    # "Launch" of a draft takes the author to the preview.
    moved = author.get(f"/courses/{courses['draft']}/launch")
    assert moved.status_code == 303
    assert moved.headers["Location"].endswith(f"/courses/{courses['draft']}/preview")
    opened = author.get(moved.headers["Location"])
    assert opened.status_code == 303
    token = opened.headers["Location"].rsplit("/", 1)[-1]
    # Play it to the end: the SCO reports completed and passed.
    player = Player(author, token)
    assert player.navigate().status_code == 200
    done = player.commit(
        {"core": {"lesson_status": "passed", "score": {"raw": "90", "max": "100", "min": "0"}}},
        terminate=True,
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert _attempts(app, preview=True) == 1
    # Not the author's learning, nobody's result.
    with app.app_context():
        assert db.session.query(Completion).count() == 0
    my = author.get("/my").get_data(as_text=True)
    assert "Draft course" not in my
    admin = login(portal.user("ada@example.org", role="admin"))
    attempts = admin.get(f"/reports/learners/{author_id}/attempts").get_data(as_text=True)
    assert "Draft course" not in attempts


def test_launch_preview_does_not_touch_the_authors_own_attempt(app, portal: Portal, login, courses):
    author = login(portal.user("ann@example.org", role="author"))
    course = courses["shared"]
    own = author.get(f"/courses/{course}/launch").headers["Location"]
    preview = author.get(f"/courses/{course}/preview").headers["Location"]
    assert own != preview
    assert _attempts(app, preview=False) == 1
    assert _attempts(app, preview=True) == 1
    # Launching again resumes the author's own attempt, not the preview.
    again = author.get(f"/courses/{course}/launch").headers["Location"]
    assert again.startswith("/player/")
    assert _attempts(app, preview=False) == 1
