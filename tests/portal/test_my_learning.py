"""My learning: each course once, dates in one locale-aware format; /courses/<id>."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.player.builds import slides_zip
from tests.player.test_runtime import Player
from tests.portal.conftest import Portal
from tests.portal.test_course_results import launch, my_learning, upload

# Babel's medium date: "Dec 6, 2026" (en), "6 dec. 2026" (sv).
MEDIUM = {"en": r"[A-Z][a-z]{2} \d{1,2}, \d{4}", "sv": r"\d{1,2} [a-zåäö]{3}\.? \d{4}"}


@pytest.fixture
def lea(portal: Portal) -> int:
    return portal.user("lea@example.org", name="Lea Learner")


def passed(p: Player) -> None:
    """The learner passes the one SCO of a slides course and leaves it."""
    score = {"raw": "85", "min": "0", "max": "100"}
    p.navigate("start")
    assert p.commit({"core": {"lesson_status": "passed", "score": score}}, terminate=True)
    p.navigate("_none_")


@pytest.mark.parametrize("lang", ["en", "sv"])
def test_my_learning_dates_in_one_format(
    app: Flask,
    client: FlaskClient,
    portal: Portal,
    login: Callable[[int], FlaskClient],
    lea: int,
    lang: str,
) -> None:
    learner = login(lea)
    with learner.session_transaction() as session:
        session["locale"] = lang
    done = upload(app, slides_zip("1.2", title="Done"), "Done course")
    started = upload(app, slides_zip("1.2", title="Started"), "Started course")
    passed(launch(learner, client, done))
    launch(learner, client, started).navigate("start")
    shown = my_learning(learner)
    assert "Started course" in shown["progress"]
    assert "Done course" in shown["done"]
    for section in shown.values():
        assert re.search(MEDIUM[lang], section), section
        # Not the short formats ("12/6/26, 9:31 PM", "2026-12-06 21:31").
        assert not re.search(r"\d+/\d+/\d+|\d{4}-\d\d-\d\d|\d:\d\d", section), section


def test_my_learning_a_course_taken_again_is_in_progress_only(
    app: Flask, client: FlaskClient, login: Callable[[int], FlaskClient], lea: int
) -> None:
    learner = login(lea)
    course = upload(app, slides_zip("1.2", title="Again"), "Again")
    passed(launch(learner, client, course))
    shown = my_learning(learner)
    assert ("Again" in shown["done"], "Again" in shown["progress"]) == (True, False)
    # The attempt is over; the learner starts the course again.
    launch(learner, client, course).navigate("start")
    shown = my_learning(learner)
    assert ("Again" in shown["done"], "Again" in shown["progress"]) == (False, True)


def test_my_learning_course_address_leads_to_its_page(
    client: FlaskClient, portal: Portal, login: Callable[[int], FlaskClient], lea: int
) -> None:
    course = portal.course("Fire safety")
    learner = login(lea)
    response = learner.get(f"/courses/{course}")
    assert response.status_code == 308
    assert response.headers["Location"].endswith(f"/catalogue/{course}")
    assert learner.get(response.headers["Location"]).status_code == 200
    # Anonymous visitors sign in first; the launch entry is where it was.
    assert client.get(f"/courses/{course}").status_code in (302, 303)
    assert learner.get(f"/courses/{course}/launch").status_code == 303
