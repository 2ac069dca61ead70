"""A course's result is the course's, not its first SCO's or AU's (player/outcome.py).

Packages are built in the test (tests/player/builds.py); the learner launches them
through the portal, the player's runtime API is driven as player.js drives it, and the
cmi5 AUs' statements go to the LRS with the credential their fetch URL gave them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import XapiClient
from tests.player.builds import CMI5_COURSE, EIGHT_AUS, EIGHT_AUS_SCORE, cmi5_zip, slides_zip
from tests.player.test_launch import au_client, au_statement
from tests.player.test_runtime import Player, statements
from tests.portal.conftest import Portal

CMI5 = "https://w3id.org/xapi/cmi5/context/"
SESSION = CMI5 + "extensions/sessionid"


def upload(app: Flask, data: bytes, title: str) -> int:
    """A published course from a package built in the test."""
    from portal import catalogue

    with app.app_context():
        result = catalogue.upload_course(io.BytesIO(data), "p.zip", title, None, None, True)
        db.session.commit()
        return result.course.id


def launch(learner: FlaskClient, client: FlaskClient, course: int) -> Player:
    """The learner's launch from the portal (GET /courses/<id>/launch → the player page)."""
    response = learner.get(f"/courses/{course}/launch")
    assert response.status_code == 303, response.get_data(as_text=True)
    token = response.headers["Location"].rsplit("/", 1)[-1]
    return Player(client, token)


def my_learning(learner: FlaskClient) -> dict[str, str]:
    """The text of My learning's sections (in progress, completed)."""
    page = learner.get("/my").get_data(as_text=True)
    found = {}
    for name in ("progress", "done"):
        section = re.search(rf'<section aria-labelledby="h-{name}">(.*?)</section>', page, re.S)
        assert section is not None
        found[name] = re.sub(r"<[^>]+>", " ", section.group(1))
    return found


def outcomes(app: Flask) -> list[tuple[str, float | None]]:
    """(verb, score) of every row the reports read, in order."""
    from portal.models import Completion

    with app.app_context():
        rows = db.session.query(Completion).order_by(Completion.verb).all()
        return [(c.verb, c.score) for c in rows]


@pytest.fixture
def lea(portal: Portal, login: Callable[[int], FlaskClient]) -> FlaskClient:
    unit = portal.unit("social", "Social services")
    return login(portal.user("lea@example.org", unit_id=unit, name="Lea Learner"))


def run_au(p: Player, client: FlaskClient, report: tuple[str, ...], terminate: bool = True) -> str:
    """What the AU launched last does: fetch, initialized, its results, terminated."""
    au, params = au_client(p, client)
    session = p.launch["session_id"]
    sent = [("initialized", None)] + [(r.split(":")[0], r) for r in report]
    for verb, item in sent:
        result: dict[str, Any] = {}
        if verb == "completed":
            result = {"completion": True, "duration": "PT1S"}
        elif verb in ("passed", "failed"):
            result = {"success": verb == "passed", "duration": "PT1S"}
            if item and ":" in item:
                result["score"] = {"scaled": float(item.split(":")[1])}
        extra = {"result": result} if result else {}
        response = au.post("statements", au_statement(params, verb, session, **extra))
        assert response.status_code == 200, response.get_data(as_text=True)
    if terminate:
        terminated = au_statement(params, "terminated", session, result={"duration": "PT2S"})
        assert au.post("statements", terminated).status_code == 200
    return session


def test_course_results_cmi5_course_is_satisfied_by_every_au_not_the_first(
    app: Flask, client: FlaskClient, lea: FlaskClient, xapi: XapiClient
) -> None:
    course = upload(app, cmi5_zip(), "Eight AUs")
    p = launch(lea, client, course)
    assert p.navigate("start").get_json()["launch"]["sco"] == EIGHT_AUS[0].id
    registration = p.attempt()["registration"]
    for index, au in enumerate(EIGHT_AUS):
        run_au(p, client, au.report)
        if index == len(EIGHT_AUS) - 1:
            break
        answer = p.navigate("continue").get_json()
        assert answer["launch"]["sco"] == EIGHT_AUS[index + 1].id
        # Not before the last AU: no course result, and My learning says "in progress".
        assert outcomes(app) == []
        shown = my_learning(lea)
        assert "Eight AUs" in shown["progress"]
        assert "Eight AUs" not in shown["done"]
        satisfied = [
            s["object"]["id"]
            for s in statements(xapi, registration)
            if s["verb"]["id"].endswith("/satisfied")
        ]
        assert CMI5_COURSE not in satisfied
    # The learner leaves after the quiz: the course is satisfied, and that is its result.
    assert p.navigate("suspendAll").status_code == 200
    found = statements(xapi, registration)
    course_satisfied = [
        s
        for s in found
        if s["verb"]["id"].endswith("/satisfied") and s["object"]["id"] == CMI5_COURSE
    ]
    assert len(course_satisfied) == 1
    assert outcomes(app) == [
        ("completed", pytest.approx(EIGHT_AUS_SCORE)),
        ("passed", pytest.approx(EIGHT_AUS_SCORE)),
    ]
    shown = my_learning(lea)
    assert "Eight AUs" not in shown["progress"]
    assert "Eight AUs" in shown["done"]
    assert "Passed" in shown["done"]
    assert "90%" in shown["done"]
    # Every session terminated: none was abandoned.
    assert not [s for s in found if s["verb"]["id"].endswith("/abandoned")]


def test_course_results_cmi5_not_applicable_au_needs_no_launch(
    app: Flask, client: FlaskClient, lea: FlaskClient, xapi: XapiClient
) -> None:
    course = upload(app, cmi5_zip(), "Eight AUs")
    p = launch(lea, client, course)
    p.navigate("start")
    for au in EIGHT_AUS:
        if au.move_on == "NotApplicable":
            continue  # cmi5 §9.6.1: its moveOn is met at registration
        if p.launch["sco"] != au.id:
            assert p.navigate("choice", au.id).get_json()["launch"]["sco"] == au.id
        run_au(p, client, au.report)
    p.navigate("suspendAll")
    satisfied = [
        s["object"]["id"]
        for s in statements(xapi, p.attempt()["registration"])
        if s["verb"]["id"].endswith("/satisfied")
    ]
    assert CMI5_COURSE in satisfied
    assert f"{CMI5_COURSE}/block2" in satisfied
    assert [verb for verb, _score in outcomes(app)] == ["completed", "passed"]


def test_course_results_a_terminated_session_is_never_abandoned(
    app: Flask, client: FlaskClient, lea: FlaskClient, xapi: XapiClient
) -> None:
    """The player's Next unloads the AU; its "terminated" reaches the LRS after that."""
    course = upload(app, cmi5_zip(), "Eight AUs")
    p = launch(lea, client, course)
    p.navigate("start")
    registration = p.attempt()["registration"]
    first = p.launch
    au, params = au_client(p, client)
    assert (
        au.post("statements", au_statement(params, "initialized", first["session_id"])).status_code
        == 200
    )
    assert p.navigate("continue").get_json()["launch"]["sco"] == EIGHT_AUS[1].id
    # The unloading AU's last statement arrives just after the navigation request.
    late = au_statement(params, "terminated", first["session_id"], result={"duration": "PT3S"})
    assert au.post("statements", late).status_code == 200
    # The next AUs never terminate: the learner moves on from the second, and the
    # window is closed on the third; the learner comes back later.
    second = p.launch["session_id"]
    run_au(p, client, (), terminate=False)
    p.navigate("continue")
    third = p.launch["session_id"]
    p.navigate("start")
    abandoned = [
        s["context"]["extensions"][SESSION]
        for s in statements(xapi, registration)
        if s["verb"]["id"].endswith("/abandoned")
    ]
    assert sorted(abandoned) == sorted([second, third])
    assert first["session_id"] not in abandoned


def test_course_results_scorm_multi_sco_course_is_not_completed_by_its_first_sco(
    app: Flask, client: FlaskClient, lea: FlaskClient
) -> None:
    course = upload(app, slides_zip("1.2", scos=2, title="Two parts"), "Two parts")
    p = launch(lea, client, course)
    p.navigate("start")
    assert p.commit({"core": {"lesson_status": "completed"}}, terminate=True).status_code == 200
    assert outcomes(app) == []
    shown = my_learning(lea)
    assert "Two parts" in shown["progress"]
    assert "Two parts" not in shown["done"]
    assert p.navigate("continue").get_json()["launch"]["sco"] == "item2"
    assert p.commit({"core": {"lesson_status": "completed"}}, terminate=True).status_code == 200
    assert outcomes(app) == [("completed", None)]
    shown = my_learning(lea)
    assert "Two parts" not in shown["progress"]
    assert "Two parts" in shown["done"]


def test_course_results_scorm_single_sco_course_result_and_score(
    app: Flask, client: FlaskClient, lea: FlaskClient, xapi: XapiClient
) -> None:
    course = upload(app, slides_zip("1.2", title="Golf"), "Golf")
    p = launch(lea, client, course)
    p.navigate("start")
    score = {"raw": "85", "min": "0", "max": "100"}
    committed = p.commit({"core": {"lesson_status": "passed", "score": score}}, terminate=True)
    assert committed.status_code == 200
    assert outcomes(app) == [("completed", 0.85), ("passed", 0.85)]
    # The LMS's word about the catalogue course, beside the SCO's own statements.
    home = app.config["AGENT_HOMEPAGE"].rstrip("/")
    about_course = [
        s
        for s in statements(xapi, p.attempt()["registration"])
        if s["object"]["id"] == f"{home}/courses/{course}"
    ]
    assert sorted(s["verb"]["id"].rsplit("/", 1)[-1] for s in about_course) == [
        "completed",
        "passed",
    ]
    passed = next(s for s in about_course if s["verb"]["id"].endswith("/passed"))
    assert passed["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    assert passed["result"] == {"completion": True, "success": True, "score": {"scaled": 0.85}}
    shown = my_learning(lea)
    assert "Golf" in shown["done"]
    assert "85%" in shown["done"]
    assert "Golf" not in shown["progress"]


def test_course_results_what_an_unloaded_au_sends_late_still_counts(
    app: Flask, client: FlaskClient, lea: FlaskClient, xapi: XapiClient
) -> None:
    """An AU that reports its completion as it unloads: counted when the learner leaves."""
    course = upload(app, cmi5_zip(), "Eight AUs")
    p = launch(lea, client, course)
    p.navigate("start")
    first = p.launch
    au, params = au_client(p, client)
    session = first["session_id"]
    assert au.post("statements", au_statement(params, "initialized", session)).status_code == 200
    p.navigate("continue")  # the player unloads the first AU ...
    for verb, result in (
        ("completed", {"completion": True, "duration": "PT5S"}),
        ("passed", {"success": True, "duration": "PT5S"}),
        ("terminated", {"duration": "PT5S"}),
    ):  # ... which sends these as it goes, after the navigation request
        late = au_statement(params, verb, session, result=result)
        assert au.post("statements", late).status_code == 200
    # The learner saves and exits from the second AU: the first one is done.
    p.navigate("suspendAll")
    state = p.attempt()
    assert state["scos"][EIGHT_AUS[0].id]["completion_status"] == "completed"
    satisfied = [
        s["object"]["id"]
        for s in statements(xapi, state["registration"])
        if s["verb"]["id"].endswith("/satisfied")
    ]
    assert EIGHT_AUS[0].id in satisfied
