"""Question analysis of classroom tests (issue 15): per test version, per session and per
trainer, from the ``answered`` statements the participants' answers became."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.portal.classroom_test_helpers import (
    EN,
    add_questions,
    answers,
    booked,
    question_ids,
)
from tests.portal.conftest import post
from tests.portal.test_question_analysis import rows

# Session 1 (Tom): Lea, Bo, Cai, Dan; session 2 (Tor): Eva, Fia. Per question q1-q3.
MARKS = {"Lea": "rrr", "Bo": "rrr", "Cai": "rwr", "Dan": "wwr", "Eva": "wwr", "Fia": "wwr"}


@pytest.fixture
def answered(app, portal, login):
    tom = portal.user("tom@example.org", role="author", name="Tom Trainer")
    tor = portal.user("tor@example.org", role="author", name="Tor Trainer")
    author = portal.user("ann@example.org", role="author")
    course = portal.course("Brandskydd", kind="classroom")
    first, second = portal.session(course, tom), portal.session(course, tor, days=8)
    add_questions(login(author), course)
    ids = question_ids(app, course)
    for trainer, session in ((tom, first), (tor, second)):
        post(login(trainer), f"/trainer/sessions/{session}/test", {"action": "open"})
    for n, (name, marks) in enumerate(MARKS.items()):
        session = first if n < 4 else second
        _user, client = booked(portal, login, session, name)
        response = post(client, f"/my/sessions/{session}/test", answers(ids, marks))
        assert response.status_code == 302
    return {"course": course, "author": author, "first": first, "tor": tor, "ids": ids}


def test_classroom_analysis_of_a_test_version(answered, login):
    author = login(answered["author"])
    page = author.get(f"/author/courses/{answered['course']}/questions", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "6 participants answered this version." in text
    table = rows(text)
    assert list(table) == ["Vad släcker en fettbrand?", "Which are escape routes?", "Larmnumret?"]
    assert table["Vad släcker en fettbrand?"][:2] == ["6", "50% (3 of 6)"]
    assert table["Which are escape routes?"][:2] == ["6", "33% (2 of 6)"]
    assert table["Larmnumret?"][:2] == ["6", "100% (6 of 6)"]
    assert table["Larmnumret?"][3] == "Easy: nearly everyone answers it right"
    # q1 goes with doing well on the rest: a positive item-rest discrimination.
    assert float(table["Vad släcker en fettbrand?"][2]) > 0.3
    swedish = author.get(
        f"/author/courses/{answered['course']}/questions", headers={"Accept-Language": "sv"}
    ).get_data(as_text=True)
    assert "Vilka är utrymningsvägar?" in swedish


def test_classroom_analysis_per_session_and_trainer(answered, login):
    author = login(answered["author"])
    url = f"/author/courses/{answered['course']}/questions"
    one = rows(
        author.get(url, query_string={"session": answered["first"]}, headers=EN).get_data(
            as_text=True
        )
    )
    assert one["Vad släcker en fettbrand?"][:2] == ["4", "75% (3 of 4)"]
    tor = rows(
        author.get(url, query_string={"trainer": answered["tor"]}, headers=EN).get_data(
            as_text=True
        )
    )
    assert tor["Vad släcker en fettbrand?"][:2] == ["2", "0% (0 of 2)"]


def test_classroom_analysis_responses_in_words_and_csv(answered, login, app):
    author = login(answered["author"])
    course = answered["course"]
    with app.app_context():
        from flask import current_app

        from core import vocabulary
        from portal import classroom_tests

        test = classroom_tests.newest(course)
        assert test is not None
        home = current_app.config["AGENT_HOMEPAGE"]
        question = vocabulary.classroom_question_iri(home, test.id, answered["ids"][1])
    page = author.get(
        f"/author/courses/{course}/questions/responses?question={quote(question, safe='')}",
        headers=EN,
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "A. Trapphus; C. Nödutgång" in text
    assert "A. Trapphus</td>" in text
    csv = author.get(f"/author/courses/{course}/questions", query_string={"format": "csv"})
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("question,activity_id,answered")
    assert lines[3].startswith("Larmnumret?,")
    assert ",6,6,6,1.0," in lines[3]


def test_classroom_analysis_roles(answered, portal, login):
    url = f"/author/courses/{answered['course']}/questions"
    assert login(portal.user("lea2@example.org")).get(url).status_code == 403
    assert login(portal.user("max@example.org", role="manager")).get(url).status_code == 200
    empty = portal.course("Tom kurs", kind="classroom")
    author = login(answered["author"])
    assert author.get(f"/author/courses/{empty}/questions").status_code == 404
