"""Learning paths (issue 15): authors make an ordered set of courses; learners take it and
complete it as one, each step read from what the courses record."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.portal.conftest import Portal

VERB = "http://adlnet.gov/expapi/verbs/"
CSRF = "test-csrf-token"


@pytest.fixture
def org(portal: Portal) -> dict[str, int]:
    soc = portal.unit("SOC", "Socialförvaltningen")
    utb = portal.unit("UTB", "Utbildningsförvaltningen")
    return {
        "soc": soc,
        "ann": portal.user("ann@example.org", role="author", name="Ann Author"),
        "lea": portal.user("lea@example.org", unit_id=soc, name="Lea"),
        "sam": portal.user("sam@example.org", unit_id=utb, name="Sam"),
        "intro": portal.course("Introduktion"),
        "fire": portal.course("Brandskydd"),
        "gdpr": portal.course("Dataskydd"),
        "draft": portal.course("Utkast", published=False),
    }


@pytest.fixture
def complete(app: Flask, make_xapi: Any) -> Any:
    """A course's completed result for a person, as a trusted LRS client would store it."""
    xapi = make_xapi(["all"], trusted=True)
    home = app.config["AGENT_HOMEPAGE"]

    def run(user: int, course: int) -> None:
        statement = {
            "id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(user)}},
            "verb": {"id": VERB + "completed"},
            "object": {"objectType": "Activity", "id": f"{home}/courses/{course}"},
        }
        assert xapi.post("statements", [statement]).status_code == 200

    return run


def post(client: FlaskClient, url: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": CSRF, **data}, headers={"Accept-Language": "en"})


def make_path(author: FlaskClient, *courses: int, unit: int | None = None) -> int:
    created = post(author, "/author/paths", title="Ny medarbetare", unit=unit or "")
    assert created.status_code == 302
    path = int(created.headers["Location"].rsplit("/", 1)[1])
    for course in courses:
        assert (
            post(author, f"/author/paths/{path}", action="add", course_id=course).status_code == 302
        )
    return path


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_a_learner_takes_a_path_step_by_step_and_completes_it(
    org: dict[str, int], login: Any, complete: Any
) -> None:
    author = login(org["ann"])
    path = make_path(author, org["fire"], org["intro"], org["gdpr"])
    # The introduction first: one place earlier.
    assert (
        post(author, f"/author/paths/{path}", action="up", course_id=org["intro"]).status_code
        == 302
    )
    assert post(author, f"/author/paths/{path}", action="publish").status_code == 302

    lea = login(org["lea"])
    listing = text(lea.get("/paths", headers={"Accept-Language": "en"}))
    assert "Ny medarbetare" in listing
    assert "3 courses" in listing
    page = text(lea.get(f"/paths/{path}", headers={"Accept-Language": "en"}))
    assert re.search(r"1 Introduktion Not started 2 Brandskydd Not started 3 Dataskydd", page)
    assert "Start: Introduktion" in page

    complete(org["lea"], org["intro"])
    page = text(lea.get(f"/paths/{path}", headers={"Accept-Language": "en"}))
    assert "1 of 3 done" in page
    assert "Continue: Brandskydd" in page
    mine = text(lea.get("/my", headers={"Accept-Language": "en"}))
    assert "Ny medarbetare" in mine
    assert "1 of 3 done" in mine

    complete(org["lea"], org["fire"])
    complete(org["lea"], org["gdpr"])
    page = text(lea.get(f"/paths/{path}", headers={"Accept-Language": "sv"}))
    assert "Du slutförde lärvägen" in page
    assert "3 av 3 klara" in text(lea.get("/my", headers={"Accept-Language": "sv"}))


def test_who_sees_a_path(
    org: dict[str, int], login: Any, client: FlaskClient, portal: Portal
) -> None:
    author = login(org["ann"])
    draft = make_path(author, org["intro"])
    social = make_path(author, org["fire"], unit=org["soc"])
    assert post(author, f"/author/paths/{social}", action="publish").status_code == 302
    lea, sam = login(org["lea"]), login(org["sam"])
    assert lea.get(f"/paths/{draft}").status_code == 404  # not published
    assert lea.get(f"/paths/{social}").status_code == 200
    assert sam.get(f"/paths/{social}").status_code == 404  # another department's
    assert "Ny medarbetare" not in sam.get("/paths").get_data(as_text=True)
    assert lea.get("/author/paths").status_code == 403
    assert post(lea, f"/author/paths/{social}", action="unpublish").status_code == 403
    for address in ("/paths", f"/paths/{social}", "/author/paths"):
        anonymous = client.get(address)
        assert anonymous.status_code == 302
        assert "/login" in anonymous.headers["Location"]
    forged = author.post(f"/author/paths/{social}", data={"action": "unpublish", "csrf_token": "x"})
    assert forged.status_code == 400


def test_refusals_keep_the_form_and_change_nothing(
    org: dict[str, int], login: Any, app: Flask
) -> None:
    author = login(org["ann"])
    empty = post(author, "/author/paths", title="  ", description="Behålls")
    assert empty.status_code == 400
    assert "Behålls" in empty.get_data(as_text=True)
    path = make_path(author, org["intro"], org["draft"])
    twice = post(author, f"/author/paths/{path}", action="add", course_id=org["intro"])
    assert twice.status_code == 409
    assert "The course is in the path already" in twice.get_data(as_text=True)
    unknown = post(author, f"/author/paths/{path}", action="add", course_id=999999)
    assert unknown.status_code == 400
    refused = post(author, f"/author/paths/{path}", action="publish")
    assert refused.status_code == 400
    assert "Publish every course in the path" in refused.get_data(as_text=True)
    from core.db import db
    from portal.path_models import LearningPath, LearningPathCourse

    with app.app_context():
        assert db.session.query(LearningPathCourse).count() == 2
        found = db.session.get(LearningPath, path)
        assert found is not None
        assert found.published is False


def test_removing_courses_closes_up_and_an_empty_path_is_a_draft(
    org: dict[str, int], login: Any
) -> None:
    author = login(org["ann"])
    path = make_path(author, org["intro"], org["fire"])
    post(author, f"/author/paths/{path}", action="publish")
    post(author, f"/author/paths/{path}", action="remove", course_id=org["intro"])
    page = text(author.get(f"/author/paths/{path}", headers={"Accept-Language": "en"}))
    assert "Brandskydd" in page
    assert "Introduktion" not in page.split("Add a course")[0]
    post(author, f"/author/paths/{path}", action="remove", course_id=org["fire"])
    assert "Draft" in text(author.get(f"/author/paths/{path}", headers={"Accept-Language": "en"}))
    missing = post(author, f"/author/paths/{path}", action="remove", course_id=org["fire"])
    assert missing.status_code == 404
