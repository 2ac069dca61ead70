"""The author's list of values a course tried to save and the player refused: read-only,
for authors and admins, in the author's language, the values escaped."""

# ruff: noqa: F811  (the fixtures imported from tests.portal.conftest are parameters here)
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.portal.conftest import Portal, login, portal  # noqa: F401  (fixtures)


def refuse_a_value(app: Flask, client: FlaskClient, learner: int, course: int) -> None:
    """A learner's SCO commits a value SCORM 1.2 does not allow (and a valid one)."""
    from accounts.models import User
    from packages.service import get_course
    from player import attempts

    with app.test_request_context("/"):
        user = db.session.get(User, learner)
        assert user is not None
        _attempt, token = attempts.launch(user, get_course(course))
        db.session.commit()
    launch = client.post(f"/player/api/{token}/navigate", json={"request": "start"}).get_json()
    body = {"sco": launch["launch"]["sco"], "session": launch["launch"]["session"], "seq": 1}
    cmi = {"core": {"lesson_status": "<b>done</b>", "lesson_location": "p2"}}
    response = client.post(f"/player/api/{token}/commit", json={**body, "cmi": cmi})
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def refused_course(app: Flask, client: FlaskClient, portal: Portal) -> int:
    course = portal.course("Brandskydd")
    refuse_a_value(app, client, portal.user("lea@example.org"), course)
    return course


@pytest.mark.parametrize("role", ["author", "manager", "admin"])
def test_refused_page_lists_the_values_for_authors_and_above(
    portal: Portal, login: Callable[[int], FlaskClient], refused_course: int, role: str
) -> None:
    client = login(portal.user(f"{role}@example.org", role=role))
    response = client.get(f"/player/courses/{refused_course}/refused")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "cmi.core.lesson_status" in html
    assert "&lt;b&gt;done&lt;/b&gt;" in html  # escaped, never markup
    assert "<b>done</b>" not in html
    assert "Wrong kind of value (405)" in html
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<form" not in main  # read-only: nothing to post
    # The author's course page links to it.
    page = client.get(f"/author/courses/{refused_course}").get_data(as_text=True)
    assert f"/player/courses/{refused_course}/refused" in page


def test_refused_page_is_not_for_learners(
    portal: Portal, login: Callable[[int], FlaskClient], refused_course: int
) -> None:
    client = login(portal.user("kim@example.org", role="learner"))
    assert client.get(f"/player/courses/{refused_course}/refused").status_code == 403


def test_refused_page_needs_a_sign_in(client: FlaskClient, refused_course: int) -> None:
    response = client.get(f"/player/courses/{refused_course}/refused")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_refused_page_unknown_course_is_404(
    portal: Portal, login: Callable[[int], FlaskClient]
) -> None:
    client = login(portal.user("author@example.org", role="author"))
    assert client.get("/player/courses/999999/refused").status_code == 404


def test_refused_page_in_swedish_and_empty(
    app: Flask, portal: Portal, login: Callable[[int], FlaskClient]
) -> None:
    from accounts.models import User

    author = portal.user("author@example.org", role="author")
    with app.app_context():
        user = db.session.get(User, author)
        assert user is not None
        user.locale = "sv"
        db.session.commit()
    course = portal.course("Tom kurs")
    html = login(author).get(f"/player/courses/{course}/refused").get_data(as_text=True)
    assert 'lang="sv"' in html
    assert "Inget har stoppats" in html
