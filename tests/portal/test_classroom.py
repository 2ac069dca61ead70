"""Classroom sessions: planning, enrolment, attendance recorded as xAPI statements."""

from __future__ import annotations

import re

import pytest

from tests.conftest import match
from tests.portal.conftest import post

VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def room(portal):
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    course = portal.course("Lifting technique", kind="classroom")
    return {
        "trainer": trainer,
        "course": course,
        "session": portal.session(course, trainer, seats=2),
    }


def test_portal_classroom_author_plans_a_session(portal, login):
    trainer = portal.user("tom@example.org", role="author")
    course = portal.course("First aid", kind="classroom")
    client = login(trainer)
    response = post(
        client,
        f"/author/courses/{course}",
        {
            "action": "session",
            "starts_at": "2030-05-04T09:30",
            "ends_at": "2030-05-04T12:00",
            "place": "Town hall",
            "trainer_id": str(trainer),
            "seats": "12",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/author/courses/{course}").get_data(as_text=True)
    assert "Town hall" in page
    assert "0 / 12" in page


def test_portal_classroom_session_needs_a_trainer_role(portal, login):
    author = portal.user("tom@example.org", role="author")
    learner = portal.user("lea@example.org")
    course = portal.course("First aid", kind="classroom")
    response = post(
        login(author),
        f"/author/courses/{course}",
        {
            "action": "session",
            "starts_at": "2030-05-04T09:30",
            "ends_at": "2030-05-04T12:00",
            "place": "X",
            "trainer_id": str(learner),
            "seats": "3",
        },
    )
    assert response.status_code == 400


def test_portal_classroom_enrolment_until_full_then_the_waiting_list(portal, login, room):
    course_url = f"/catalogue/{room['course']}"
    enrol_url = f"/sessions/{room['session']}/enrol"
    a, b, c = (login(portal.user(f"{n}@example.org")) for n in "abc")
    assert post(a, enrol_url).status_code == 302
    assert "Cancel my booking" in a.get(course_url).get_data(as_text=True)
    post(b, enrol_url)
    page = c.get(course_url).get_data(as_text=True)
    assert "Full" in page
    assert "Join the waiting list" in page
    response = post(c, enrol_url)
    assert response.status_code == 302
    page = c.get(course_url).get_data(as_text=True)
    assert "you are number 1 on the waiting list" in page
    assert "On the waiting list" in page
    post(a, enrol_url, {"cancel": "1"})
    page = c.get(course_url).get_data(as_text=True)
    assert "Booked" in page
    assert "Calendar file" in page


def test_portal_classroom_only_the_trainer_records_attendance(portal, login, room):
    other = login(portal.user("other@example.org", role="author"))
    assert other.get(f"/trainer/sessions/{room['session']}").status_code == 403
    assert (
        login(portal.user("lea@example.org"))
        .get(f"/trainer/sessions/{room['session']}")
        .status_code
        == 403
    )
    assert (
        login(portal.user("boss@example.org", role="admin"))
        .get(f"/trainer/sessions/{room['session']}")
        .status_code
        == 200
    )


def test_portal_classroom_attendance_becomes_statements_in_the_lrs(portal, login, room, xapi, app):
    lea_id = portal.user("lea@example.org", name="Lea")
    bo_id = portal.user("bo@example.org", name="Bo")
    ida_id = portal.user("ida@example.org", name="Ida")
    for user_id in (lea_id, bo_id):
        post(login(user_id), f"/sessions/{room['session']}/enrol")
    trainer = login(room["trainer"])
    page = trainer.get(f"/trainer/sessions/{room['session']}").get_data(as_text=True)
    ids = dict(
        zip(
            re.findall(r"<th scope=\"row\">(\w+)</th>", page),
            re.findall(r'name="e(\d+)-attended"', page),
            strict=True,
        )
    )
    response = post(
        trainer,
        f"/trainer/sessions/{room['session']}",
        {
            f"e{ids['Lea']}-attended": "true",
            f"e{ids['Lea']}-completed": "true",
            f"e{ids['Lea']}-outcome": "passed",
            f"e{ids['Lea']}-score": "87.5",
            # Bo did not come: no statements for him.
        },
    )
    assert response.status_code == 302
    body = xapi.get("statements", query={"limit": 50}).get_json()
    statements = body["statements"]
    verbs = sorted(s["verb"]["id"].rsplit("/", 1)[1] for s in statements)
    assert verbs == ["attended", "completed", "passed"]
    home = app.config["AGENT_HOMEPAGE"]
    registrations = {s["context"]["registration"] for s in statements}
    assert len(registrations) == 1
    for s in statements:
        assert s["actor"]["account"] == {"homePage": home, "name": str(lea_id)}
        assert s["context"]["instructor"]["account"] == {
            "homePage": home,
            "name": str(room["trainer"]),
        }
    passed = next(s for s in statements if s["verb"]["id"].endswith("passed"))
    assert passed["result"]["success"] is True
    assert passed["result"]["score"] == {"scaled": 0.875, "raw": 87.5, "min": 0, "max": 100}
    assert passed["object"]["id"] == f"{home}/courses/{room['course']}"
    # Recorded once: the form shows the outcome, and a second post stores nothing more.
    page = trainer.get(f"/trainer/sessions/{room['session']}").get_data(as_text=True)
    assert "Passed" in page
    post(trainer, f"/trainer/sessions/{room['session']}", {f"e{ids['Lea']}-attended": "true"})
    assert len(xapi.get("statements").get_json()["statements"]) == 3
    # Lea's "My learning" shows the result; Ida (not enrolled) sees nothing.
    mine = login(lea_id).get("/my").get_data(as_text=True)
    assert "Lifting technique" in mine
    assert "88" in mine or "87" in mine
    assert "Lifting technique" not in login(ida_id).get("/my").get_data(as_text=True)


def test_portal_classroom_score_out_of_range_is_refused(portal, login, room):
    lea_id = portal.user("lea@example.org", name="Lea")
    post(login(lea_id), f"/sessions/{room['session']}/enrol")
    trainer = login(room["trainer"])
    page = trainer.get(f"/trainer/sessions/{room['session']}").get_data(as_text=True)
    enrolment = match(r'name="e(\d+)-attended"', page).group(1)
    response = post(
        trainer,
        f"/trainer/sessions/{room['session']}",
        {f"e{enrolment}-attended": "true", f"e{enrolment}-score": "130"},
    )
    assert response.status_code == 400
