"""Classroom tests (issue 15): the author's questions and versions, taking the test, the
trainer's opening, paper forms and results, the answers as xAPI statements."""

from __future__ import annotations

import pytest

from tests.conftest import match
from tests.portal.classroom_test_helpers import (
    EN,
    QUESTIONS,
    add_questions,
    answers,
    booked,
    enrolment_ids,
    question_form,
    question_ids,
    sittings,
)
from tests.portal.conftest import post

VERB = "http://adlnet.gov/expapi/verbs/answered"


@pytest.fixture
def room(portal, login):
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    author = portal.user("ann@example.org", role="author", name="Ann Author")
    course = portal.course("Brandskydd", kind="classroom")
    session = portal.session(course, trainer, seats=10)
    add_questions(login(author), course)
    return {"trainer": trainer, "author": author, "course": course, "session": session}


# -- the author ---------------------------------------------------------------------------


def test_classroom_test_author_adds_questions_in_order(app, login, room):
    page = login(room["author"]).get(f"/author/courses/{room['course']}/test", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("Vad släcker") < text.index("Which are escape routes?") < text.index("Larm")
    assert "Version 1" in text
    assert "Nobody has answered this version yet" in text
    assert len(question_ids(app, room["course"])) == 3


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"opt1_sv": "A", "opt2_sv": "B", "opt1_right": "true"}, "text_sv", "Swedish, English"),
        ({"text_sv": "Q?", "opt1_sv": "A", "opt1_right": "true"}, "opt1_sv", "two options"),
        ({"text_sv": "Q?", "opt1_sv": "A", "opt2_sv": "B"}, "opt1_right", "right option"),
        (
            {
                "text_sv": "Q?",
                "opt1_sv": "A",
                "opt2_sv": "B",
                "opt1_right": "true",
                "opt2_right": "true",
            },
            "multiple",
            "Only one option",
        ),
    ],
)
def test_classroom_test_question_form_refused_keeps_input(app, login, room, form, field, message):
    author = login(room["author"])
    response = post(
        author, f"/author/courses/{room['course']}/test", {"action": "add", **form}, headers=EN
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert f'id="{field}-error"' in text
    assert message in text
    assert 'value="A"' in text  # the input is kept
    assert len(question_ids(app, room["course"])) == 3  # nothing stored


def test_classroom_test_pages_refuse_learners_and_e_learning(portal, login, room):
    learner = login(portal.user("lea@example.org"))
    assert learner.get(f"/author/courses/{room['course']}/test").status_code == 403
    assert post(learner, f"/author/courses/{room['course']}/test", QUESTIONS[0]).status_code == 403
    author = login(room["author"])
    elearning = portal.course("E-kurs")
    assert author.get(f"/author/courses/{elearning}/test").status_code == 404
    no_token = author.post(f"/author/courses/{room['course']}/test", data=QUESTIONS[0])
    assert no_token.status_code == 400


def test_classroom_test_edited_in_place_until_answered_then_versioned(app, portal, login, room):
    author = login(room["author"])
    course, session = room["course"], room["session"]
    first = question_ids(app, course)
    url = f"/author/courses/{course}/test/questions/{first[0]}"
    changed = question_form("Vad kväver en fettbrand?", [("Vatten", False), ("Lock", True)])
    assert post(author, url, changed).status_code == 302
    assert question_ids(app, course) == first  # no answers yet: changed in place
    _lea, lea = booked(portal, login, session, "Lea")
    post(login(room["trainer"]), f"/trainer/sessions/{session}/test", {"action": "open"})
    assert post(lea, f"/my/sessions/{session}/test", answers(first, "rrr")).status_code == 302
    # Answered: a change makes version 2; the session keeps version 1.
    assert (
        post(author, url, question_form("Ny?", [("Ja", True), ("Nej", False)])).status_code == 302
    )
    second = question_ids(app, course)
    assert len(second) == 3
    assert set(second).isdisjoint(first)
    page = author.get(f"/author/courses/{course}/test", headers=EN).get_data(as_text=True)
    assert "Version 2" in page
    assert "Ny?" in page
    # The old version's question can no longer be changed from here.
    assert author.get(url).status_code == 404
    delete = {"action": "delete", "question_id": str(second[2])}
    assert post(author, f"/author/courses/{course}/test", delete).status_code == 302
    assert len(question_ids(app, course)) == 2
    trainer_page = login(room["trainer"]).get(f"/trainer/sessions/{session}", headers=EN)
    assert "version 1" in trainer_page.get_data(as_text=True)


# -- taking it ------------------------------------------------------------------------------


def test_classroom_test_learner_takes_it_once_while_open(app, portal, login, xapi, room):
    session, ids = room["session"], question_ids(app, room["course"])
    lea_id, lea = booked(portal, login, session, "Lea")
    url = f"/my/sessions/{session}/test"
    assert lea.get(url).status_code == 403  # not opened yet
    assert "Tests to take" not in lea.get("/my", headers=EN).get_data(as_text=True)
    trainer = login(room["trainer"])
    assert post(trainer, f"/trainer/sessions/{session}/test", {"action": "open"}).status_code == 303
    assert url in lea.get("/my").get_data(as_text=True)
    page = lea.get(url, headers=EN).get_data(as_text=True)
    assert 'type="checkbox"' in page
    assert 'type="radio"' in page
    # Unanswered: the form again, 400, nothing stored.
    assert post(lea, url, {f"q{ids[0]}": "b"}).status_code == 400
    assert sittings(app) == []
    # Who answers is the signed-in person, whatever the form says.
    sent = {**answers(ids, "rwr"), "user_id": "1", "enrolment_id": "1"}
    assert post(lea, url, sent).status_code == 302
    assert sittings(app) == [(lea_id, 2, 3, None)]
    result = lea.get(url, headers=EN).get_data(as_text=True)
    assert "Your result: 2 of 3 right (67%)." in result
    assert (
        post(lea, url, answers(ids, "rrr")).status_code == 200
    )  # the result, not a second sitting
    assert sittings(app) == [(lea_id, 2, 3, None)]
    # Her own result only: the session's results are the trainer's page.
    assert lea.get(f"/trainer/sessions/{session}").status_code == 403
    stored = xapi.get("statements", query={"verb": VERB, "limit": 10}).get_json()["statements"]
    assert len(stored) == 3
    by_question = {s["object"]["id"].rsplit("/", 1)[-1]: s for s in stored}
    multiple = by_question[str(ids[1])]
    definition = multiple["object"]["definition"]
    assert definition["interactionType"] == "choice"
    assert definition["correctResponsesPattern"] == ["a[,]c"]
    assert [c["id"] for c in definition["choices"]] == ["a", "b", "c"]
    assert definition["description"] == {
        "sv": "Vilka är utrymningsvägar?",
        "en": "Which are escape routes?",
    }
    assert multiple["result"] == {"response": "a", "success": False}
    assert by_question[str(ids[0])]["result"] == {"response": "b", "success": True}
    context = multiple["context"]
    assert context["registration"]
    assert context["instructor"]["name"] == "Tom Trainer"
    assert context["contextActivities"]["grouping"][0]["id"].endswith(f"/sessions/{session}")
    assert multiple["actor"]["name"] == "Lea"


def test_classroom_test_only_participants_and_only_while_open(app, portal, login, room):
    session, ids = room["session"], question_ids(app, room["course"])
    url = f"/my/sessions/{session}/test"
    trainer = login(room["trainer"])
    post(trainer, f"/trainer/sessions/{session}/test", {"action": "open"})
    other = login(portal.user("ida@example.org", name="Ida"))
    assert other.get(url).status_code == 403
    assert post(other, url, answers(ids, "rrr")).status_code == 403
    _lea, lea = booked(portal, login, session, "Lea")
    no_token = lea.post(url, data=answers(ids, "rrr"))
    assert no_token.status_code == 400
    post(trainer, f"/trainer/sessions/{session}/test", {"action": "close"})
    assert post(lea, url, answers(ids, "rrr")).status_code == 403
    assert sittings(app) == []
    # The manager (above the author role) does not run another trainer's session.
    manager = login(portal.user("max@example.org", role="manager"))
    assert post(manager, f"/trainer/sessions/{session}/test", {"action": "open"}).status_code == 403
    assert "The test is closed" in trainer.get(f"/trainer/sessions/{session}", headers=EN).get_data(
        as_text=True
    )


def test_classroom_test_trainer_enters_paper_form_and_score_feeds_result(app, portal, login, room):
    session, ids = room["session"], question_ids(app, room["course"])
    bo_id, _bo = booked(portal, login, session, "Bo")
    trainer = login(room["trainer"])
    enrolment = enrolment_ids(trainer, session)["Bo"]
    url = f"/trainer/sessions/{session}/test/{enrolment}"
    learner = login(portal.user("ida@example.org"))
    assert learner.get(url).status_code == 403
    other_trainer = login(portal.user("tor@example.org", role="author"))
    assert other_trainer.get(url).status_code == 403
    page = trainer.get(url, headers=EN).get_data(as_text=True)
    assert "Answers of Bo from the paper form" in page
    assert post(trainer, url, answers(ids, "rrw")).status_code == 302
    assert sittings(app) == [(bo_id, 2, 3, room["trainer"])]
    assert trainer.get(url).status_code == 409  # once
    session_page = trainer.get(f"/trainer/sessions/{session}", headers=EN).get_data(as_text=True)
    assert "Paper form" in session_page
    score = match(rf'id="e{enrolment}-score"[^>]*value="([^"]*)"', session_page)
    assert score.group(1) == "66.7"


def test_classroom_test_not_for_people_recorded_absent_nor_other_authors(app, portal, login, room):
    session, ids = room["session"], question_ids(app, room["course"])
    trainer = login(room["trainer"])
    author = login(room["author"])  # an author, not this session's trainer
    assert post(author, f"/trainer/sessions/{session}/test", {"action": "open"}).status_code == 403
    post(trainer, f"/trainer/sessions/{session}/test", {"action": "open"})
    _lea, lea = booked(portal, login, session, "Lea")
    enrolment = enrolment_ids(trainer, session)["Lea"]
    assert post(trainer, f"/trainer/sessions/{session}", {}).status_code == 302  # absent
    assert post(lea, f"/my/sessions/{session}/test", answers(ids, "rrr")).status_code == 403
    assert trainer.get(f"/trainer/sessions/{session}/test/{enrolment}").status_code == 403
    assert "Tests to take" not in lea.get("/my", headers=EN).get_data(as_text=True)
    assert sittings(app) == []
