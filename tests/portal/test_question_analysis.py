"""Question analysis (issue 15): learners answer a SCORM course's questions in the player,
the LRS keeps the ``answered`` statements, and an author reads each question's
difficulty, discrimination and responses per course version."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.player.builds import slides_zip
from tests.portal.conftest import Portal
from tests.portal.test_course_results import launch, upload

# Who answers what right (r) or wrong (w). Learners 1-3 do well, 5-6 poorly: q1
# everyone gets right, q2, q4 and q6 go with doing well, q3 against it, q5 only one.
ANSWERS = {
    "q1": "rrrrrr",
    "q2": "rrrwww",
    "q3": "wwwwrr",
    "q4": "rrrrww",
    "q5": "rwwwww",
    "q6": "rrrrrw",
}


def interactions(learner: int) -> list[dict[str, str]]:
    """A learner's answers as SCORM 1.2 interactions: right is "a", wrong "b"."""
    return [
        {
            "id": question,
            "type": "choice",
            "student_response": "a" if marks[learner] == "r" else "b",
            "result": "correct" if marks[learner] == "r" else "wrong",
        }
        for question, marks in ANSWERS.items()
    ]


@pytest.fixture
def answered(app: Flask, client: FlaskClient, portal: Portal, login: Any) -> int:
    """Six learners take a quiz course; the first changes an answer before leaving."""
    course = upload(app, slides_zip("1.2", title="Quiz"), "Brandskydd quiz")
    for n in range(6):
        learner = login(portal.user(f"l{n}@example.org"))
        player = launch(learner, client, course)
        player.navigate("start")
        if n == 0:  # first q2 wrong, then right: only the last answer counts
            first = interactions(n)
            first[1] = {**first[1], "student_response": "b", "result": "wrong"}
            assert player.commit({"interactions": first}).status_code == 200
        done = {"core": {"lesson_status": "completed"}, "interactions": interactions(n)}
        assert player.commit(done, terminate=True).status_code == 200
        player.navigate("_none_")
    return course


def rows(page: str) -> dict[str, list[str]]:
    """The question table: label → its cells as text."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        found[cells[0]] = cells[1:]
    return found


def test_author_reads_difficulty_discrimination_and_flags(
    answered: int, portal: Portal, login: Callable[[int], FlaskClient]
) -> None:
    author = login(portal.user("ann@example.org", role="author"))
    page = author.get(f"/author/courses/{answered}/questions", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "6 attempts answered questions in this version." in text
    table = rows(text)
    assert list(table) == ["q1", "q2", "q3", "q4", "q5", "q6"]
    assert table["q1"][:2] == ["6", "100% (6 of 6)"]
    assert table["q2"][:2] == ["6", "50% (3 of 6)"]  # learner 1's last answer, once
    assert table["q5"][:2] == ["6", "17% (1 of 6)"]
    # q1: nobody wrong, so nothing to correlate; flagged as easy.
    assert table["q1"][2:] == ["—", "Easy: nearly everyone answers it right"]
    # q2 goes with the rest of the test, q3 against it.
    assert float(table["q2"][2]) >= 0.5
    assert table["q2"][3] == ""
    assert float(table["q3"][2]) < 0
    assert "check the answer key" in table["q3"][3]
    assert "Hard: few answer it right" in table["q5"][3]


def test_responses_of_one_question(
    answered: int, portal: Portal, login: Callable[[int], FlaskClient], app: Flask
) -> None:
    author = login(portal.user("ann@example.org", role="author"))
    overview = author.get(f"/author/courses/{answered}/questions").get_data(as_text=True)
    link = re.search(r'href="([^"]*questions/responses[^"]*q2)"', overview)
    assert link is not None
    page = author.get(link.group(1).replace("&amp;", "&"), headers={"Accept-Language": "sv"})
    assert page.status_code == 200
    cells = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", page.get_data(as_text=True), re.S)
    ]
    assert cells == ["a", "3", "50 %", "Rätt", "b", "3", "50 %", "Fel eller inte bedömt"]


def test_csv_has_every_figure(answered: int, portal: Portal, login: Any) -> None:
    author = login(portal.user("ann@example.org", role="author"))
    response = author.get(f"/author/courses/{answered}/questions?format=csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "question,activity_id,answered,judged,right,difficulty,discrimination,flags"
    q5 = next(line for line in lines if line.startswith("q5,"))
    assert q5.split(",")[2:6] == ["6", "6", "1", "0.167"]
    assert q5.endswith(",hard")


def test_versions_are_analysed_apart(app: Flask, answered: int, portal: Portal, login: Any) -> None:
    from core.db import db
    from packages import service as packages
    from portal import catalogue

    with app.app_context():
        course = packages.get_course(answered)
        zipped = io.BytesIO(slides_zip("1.2", title="Quiz 2"))
        new_id = catalogue.upload_version(course, zipped, "v2.zip").version.id
        db.session.commit()
    author = login(portal.user("ann@example.org", role="author"))
    newest = author.get(f"/author/courses/{answered}/questions").get_data(as_text=True)
    assert "No answers recorded for this version yet." in newest
    assert f'value="{new_id}" selected' in newest
    versions = re.findall(r'<option value="(\d+)"', newest)
    assert len(versions) == 2
    first = author.get(f"/author/courses/{answered}/questions?version={versions[1]}")
    assert "6 attempts" in first.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "status"), [("learner", 403), ("author", 200), ("manager", 200), ("admin", 200)]
)
def test_who_may_read_the_analysis(
    answered: int, portal: Portal, login: Any, role: str, status: int
) -> None:
    person = login(portal.user(f"{role}@example.org", role=role))
    assert person.get(f"/author/courses/{answered}/questions").status_code == status
    question = f"/author/courses/{answered}/questions/responses?question=q1"
    assert person.get(question).status_code in (status, 404)


def test_hostile_and_unknown_addresses(
    answered: int, portal: Portal, login: Any, client: FlaskClient, app: Flask
) -> None:
    other = upload(app, slides_zip("1.2", title="Other"), "Other course")
    author = login(portal.user("ann@example.org", role="author"))
    from core.db import db
    from portal.question_analysis import versions_of

    with app.app_context():
        foreign = versions_of(other)[0].id
        db.session.rollback()
    # Another course's version cannot be read through this course.
    assert author.get(f"/author/courses/{answered}/questions?version={foreign}").status_code == 404
    assert author.get("/author/courses/999999/questions").status_code == 404
    missing = author.get(f"/author/courses/{answered}/questions/responses?question=nope")
    assert missing.status_code == 404
    anonymous = client.get(f"/author/courses/{answered}/questions")
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
