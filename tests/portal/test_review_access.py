"""Who may reach course review's pages and take its steps, and who may not.

A reviewer reviews their units' courses (a grant on a unit reaches the units below
it); an admin reviews every unit's; nobody decides on a course they uploaded or
submitted. Anonymous visitors are sent to sign in; a form without the CSRF token is
refused before anything is looked at.
"""

# ruff: noqa: F811  (the fixtures imported from review_fixtures are parameters here)

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from tests.portal.conftest import CSRF, post
from tests.portal.review_fixtures import World, grant, world  # noqa: F401


@pytest.fixture
def waiting(world: World) -> dict[str, int]:
    """A course of IFO's whose version 1 Ann submitted."""
    course = world.upload()
    version = world.version(course, 1)
    assert world.step(course, "ann", "submit", version).status_code == 302
    return {"course": course, "version": version}


@pytest.mark.parametrize(
    ("who", "status"),
    [("lea", 403), ("ann", 403), ("bo", 403), ("ulf", 200), ("rita", 200), ("adam", 200)],
)
def test_review_list_is_for_reviewers(world, waiting, who, status):
    answer = world[who].get("/reviews")
    assert answer.status_code == status
    listed = f'href="/reviews/{waiting["version"]}"' in answer.get_data(as_text=True)
    assert listed == (who in ("rita", "adam"))  # Ulf reviews UTB's courses, not IFO's


@pytest.mark.parametrize(
    ("who", "status"),
    [("lea", 403), ("ann", 403), ("bo", 403), ("ulf", 403), ("rita", 200), ("adam", 200)],
)
def test_review_page_and_decision_only_by_the_units_reviewers(world, waiting, who, status):
    version = waiting["version"]
    assert world[who].get(f"/reviews/{version}").status_code == status
    assert world[who].get(f"/reviews/{version}/preview").status_code == (
        303 if status == 200 else 403
    )
    if status == 403:
        assert world.decide(version, who, "approve", tick_all="1").status_code == 403
        assert world.decide(version, who, "return", comment="Nej").status_code == 403
        assert world.state(version) == ("in_review", False)


def test_review_a_grant_reaches_the_units_below_and_only_them(world, waiting):
    world.person("kim", "kim@example.org", role="author")
    grant(world.app, "kim@example.org", world.units["KOMMUN"])
    assert world["kim"].get(f"/reviews/{waiting['version']}").status_code == 200
    # A course of the whole organisation is reviewed only by whole-organisation reviewers.
    shared = world.upload(unit="KOMMUN")
    post(
        world["ann"],
        f"/author/courses/{shared}",
        {"action": "metadata", "title": "Alla", "unit": ""},
    )
    version = world.version(shared, 1)
    world.step(shared, "ann", "submit", version)
    assert world["kim"].get(f"/reviews/{version}").status_code == 403
    assert world["rita"].get(f"/reviews/{version}").status_code == 403
    world.person("vera", "vera@example.org", role="author")
    grant(world.app, "vera@example.org", None)
    assert world.decide(version, "vera", "approve", tick_all="1").status_code == 302


def test_review_nobody_decides_on_a_course_they_wrote(world):
    # Rita uploads a course of IFO (which she reviews); Bo submits it.
    course = world.upload(who="rita")
    version = world.version(course, 1)
    world.step(course, "bo", "submit", version)
    page = world["rita"].get(f"/reviews/{version}").get_data(as_text=True)
    assert "You are one of the authors of this course" in page
    assert 'name="decision"' not in page
    assert world.decide(version, "rita", "approve", tick_all="1").status_code == 403
    assert world.decide(version, "rita", "return", comment="Själv").status_code == 403
    assert world.state(version) == ("in_review", False)
    # Submitting makes Bo an author too, even though he is no reviewer; an admin who
    # wrote nothing of it decides.
    assert world.decide(version, "adam", "approve", tick_all="1").status_code == 302
    # An admin who submitted a course does not approve it either.
    other = world.upload(who="bo")
    second = world.version(other, 1)
    world.step(other, "adam", "submit", second)
    assert world.decide(second, "adam", "approve", tick_all="1").status_code == 403
    assert world.decide(second, "rita", "approve", tick_all="1").status_code == 302


def test_review_learners_take_no_authoring_step(world, waiting):
    course, version = waiting["course"], waiting["version"]
    for action in ("submit", "withdraw", "publish_version"):
        assert world.step(course, "lea", action, version).status_code == 403
    assert world.state(version) == ("in_review", False)


def test_review_a_version_of_another_course_is_not_found(world, waiting):
    other = world.upload(title="Annan")
    answer = world.step(other, "ann", "withdraw", waiting["version"])
    assert answer.status_code == 404
    assert world.state(waiting["version"]) == ("in_review", False)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/reviews/{version}", {"decision": "approve"}),
        ("/author/courses/{course}", {"action": "withdraw", "version_id": "{version}"}),
        ("/admin/review", {"action": "item", "text": "Nytt"}),
    ],
)
def test_review_forms_without_the_csrf_token_are_refused(world, waiting, path, form):
    url = path.format(**waiting)
    data = {k: v.format(**waiting) for k, v in form.items()}
    who = "adam"
    assert world[who].post(url, data=data).status_code == 400
    assert world[who].post(url, data={**data, "csrf_token": "wrong"}).status_code == 400
    assert world.state(waiting["version"]) == ("in_review", False)
    from packages.review_models import ChecklistItem

    with world.app.app_context():
        assert db.session.scalars(select(ChecklistItem)).all() == []


@pytest.mark.parametrize(
    "path", ["/reviews", "/reviews/{version}", "/reviews/{version}/preview", "/admin/review"]
)
def test_review_pages_send_anonymous_visitors_to_sign_in(client, waiting, path):
    answer = client.get(path.format(**waiting))
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")
    if path in ("/reviews/{version}", "/admin/review"):  # the pages with forms
        form = {"csrf_token": CSRF, "decision": "approve", "action": "item", "text": "x"}
        assert client.post(path.format(**waiting), data=form).status_code == 400


@pytest.mark.parametrize(
    ("who", "status"), [("lea", 403), ("ann", 403), ("rita", 403), ("ulf", 403), ("adam", 200)]
)
def test_review_admin_page_is_the_admins(world, who, status):
    assert world[who].get("/admin/review").status_code == status
    answer = post(world[who], "/admin/review", {"action": "item", "text": "Nytt"})
    assert answer.status_code == (302 if status == 200 else 403)
