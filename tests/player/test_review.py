"""Review mode: a learner opens a completed attempt again and nothing about it changes
(SCORM 2004 RTE §4.2.13 cmi.mode, 1.2 cmi.core.lesson_mode, cmi5 §10 launchMode Review)."""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import XapiClient, signed_in
from tests.player.test_launch import CATAPULT, PRE, au_client, au_statement, launch_data
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    GOLF_12,
    GOLF_2004,
    Player,
    launch,
    make_course,
    make_learner,
    player,
    statements,
)

CONTENT = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest/block1/content"


def review(client: FlaskClient, course_id: int) -> Player:
    """Open the course in review through the portal's entry; return the shell-side helper."""
    response = client.get(f"/courses/{course_id}/review")
    assert response.status_code == 303, response.get_data(as_text=True)
    token = response.headers["Location"].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    return Player(client, token)


@pytest.fixture
def learner(client: FlaskClient, make_learner: Callable[..., int]) -> int:
    return make_learner()


def test_review_entry_needs_a_signed_in_learner(
    client: FlaskClient, make_course: Callable[[str], int]
) -> None:
    response = client.get(f"/courses/{make_course(GOLF_12)}/review")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_review_entry_without_a_completed_attempt_is_409(
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    course = make_course(GOLF_12)
    signed_in(client, learner)
    assert client.get(f"/courses/{course}/review").status_code == 409
    # Launched but nothing completed yet: still nothing to review.
    Player(client, launch(learner, course)).navigate()
    assert client.get(f"/courses/{course}/review").status_code == 409


def test_review_scorm12_gives_review_no_credit_and_stores_nothing(
    client: FlaskClient,
    xapi: XapiClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    course = make_course(GOLF_12)
    p = Player(client, launch(learner, course))
    p.navigate()
    done = {"core": {"lesson_status": "passed", "score": {"raw": "80"}, "lesson_location": "p9"}}
    p.commit(done, terminate=True)
    assert p.navigate("_none_").get_json()["closed"] is True
    before = p.attempt()
    logged = len(statements(xapi, before["registration"]))

    r = review(signed_in(client, learner), course)
    launched = r.navigate().get_json()
    assert launched["action"] == "launch"
    core = launched["launch"]["cmi"]["core"]
    assert (core["lesson_mode"], core["credit"]) == ("review", "no-credit")
    # The learner sees their own results again.
    assert core["lesson_status"] == "passed"
    assert core["score"]["raw"] == "80"
    assert core["lesson_location"] == "p9"

    answer = r.commit(
        {"core": {"lesson_status": "failed", "score": {"raw": "10"}, "session_time": "01:00:00"}}
    ).get_json()
    assert answer["stored"] is False
    assert "review" in answer["ignored"]
    r.commit({"core": {"lesson_status": "incomplete", "exit": ""}}, terminate=True)
    r.navigate("_none_")
    r.navigate("exitAll")
    assert r.attempt() == before
    assert len(statements(xapi, before["registration"])) == logged
    # The closed attempt stays closed: the next normal launch starts attempt 2.
    again = Player(client, launch(learner, course))
    again.navigate()
    assert again.attempt()["number"] == 2


def test_review_scorm2004_mode_credit_and_unchanged_sco_state(
    client: FlaskClient,
    xapi: XapiClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    course = make_course(GOLF_2004)
    p = Player(client, launch(learner, course))
    p.navigate()
    # Completed, but suspended: the attempt stays open and resumable.
    p.commit(
        {"completion_status": "completed", "exit": "suspend", "suspend_data": "page=4"},
        terminate=True,
    )
    before = p.attempt()
    assert before["ended"] is False
    logged = len(statements(xapi, before["registration"]))

    r = review(signed_in(client, learner), course)
    cmi = r.navigate().get_json()["launch"]["cmi"]
    assert (cmi["mode"], cmi["credit"]) == ("review", "no-credit")
    assert cmi["completion_status"] == "completed"
    assert cmi["suspend_data"] == "page=4"
    r.commit({"completion_status": "incomplete", "score": {"scaled": "0.1"}})
    r.commit({"exit": "normal", "session_time": "PT2H"}, terminate=True)
    r.navigate("_none_")
    assert r.attempt() == before
    assert len(statements(xapi, before["registration"])) == logged

    # The learner's own place is untouched: resuming still resumes.
    resumed = Player(client, launch(learner, course)).navigate().get_json()["launch"]
    assert resumed["entry"] == "resume"
    assert resumed["cmi"]["suspend_data"] == "page=4"
    assert (resumed["cmi"]["mode"], resumed["cmi"]["credit"]) == ("normal", "credit")


def test_review_token_is_not_a_normal_token(
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    course = make_course(GOLF_2004)
    p = Player(client, launch(learner, course))
    p.navigate()
    p.commit({"completion_status": "completed", "exit": "suspend"}, terminate=True)
    r = review(signed_in(client, learner), course)
    r.navigate()
    # The normal token still launches in normal mode, the review token in review mode.
    assert p.navigate("start").get_json()["launch"]["cmi"]["mode"] == "normal"
    assert r.navigate("start").get_json()["launch"]["cmi"]["mode"] == "review"


def cmi5_passed_pre(client: FlaskClient, p: Player) -> None:
    """Launch the first AU and let it pass (moveOn Passed is met)."""
    p.navigate()
    au, params = au_client(p, client)
    session = p.launch["session_id"]
    for verb, extra in (
        ("initialized", {}),
        ("passed", {"result": {"success": True, "score": {"scaled": 0.9}}}),
        ("terminated", {}),
    ):
        response = au.post("statements", au_statement(params, verb, session, **extra))
        assert response.status_code == 200, response.get_data(as_text=True)
    p.navigate("returned")


def test_review_cmi5_launch_mode_review_and_move_on_not_evaluated(
    client: FlaskClient,
    xapi: XapiClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    course = make_course(CATAPULT)
    p = Player(client, launch(learner, course))
    cmi5_passed_pre(client, p)
    before = p.attempt()
    assert before["scos"][PRE]["success_status"] == "passed"

    r = review(signed_in(client, learner), course)
    launched = r.navigate("start", CONTENT).get_json()
    assert launched["launch"]["sco"] == CONTENT
    au, params = au_client(r, client)
    assert launch_data(au, params)["launchMode"] == "Review"
    session = r.launch["session_id"]
    found = statements(xapi, params["registration"])
    ours = [s for s in found if s["context"].get("extensions", {}).get(_SESSION) == session]
    assert [s["verb"]["id"].rsplit("/", 1)[-1] for s in ours] == ["launched"]
    assert ours[0]["context"]["extensions"][_CMI5_EXT + "launchmode"] == "Review"
    # An AU that breaks the rule and sends completed in review is not counted.
    au.post("statements", au_statement(params, "completed", session))
    au.post("statements", au_statement(params, "terminated", session))
    assert r.navigate("returned").get_json()["action"] == "end"
    assert r.attempt() == before
    # Not later either, when the learner takes that AU in normal mode.
    p.navigate("start", CONTENT)
    p.navigate("returned")
    after = p.attempt()
    assert after["scos"][CONTENT]["completion_status"] == "incomplete"
    satisfied = [
        s["object"]["id"]
        for s in statements(xapi, params["registration"])
        if s["verb"]["id"].endswith("/satisfied")
    ]
    assert CONTENT not in satisfied


_CMI5_EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
_SESSION = _CMI5_EXT + "sessionid"


def test_review_navigation_moves_only_the_review_place(
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    course = make_course(CATAPULT)
    p = Player(client, launch(learner, course))
    cmi5_passed_pre(client, p)
    before: dict[str, Any] = p.attempt()
    r = review(signed_in(client, learner), course)
    assert r.navigate().get_json()["launch"]["sco"] == PRE
    nxt = r.navigate("continue").get_json()
    assert nxt["launch"]["sco"] == CONTENT
    assert nxt["valid"] == {
        "continue": True,
        "previous": True,
        "offer": {"continue": True, "previous": True},
    }
    assert all(not entry["disabled"] for entry in nxt["toc"].values())
    assert r.navigate("previous").get_json()["launch"]["sco"] == PRE
    assert r.attempt() == before


def test_review_shell_page_opens_for_a_closed_attempt(
    app: Flask,
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    course = make_course(GOLF_12)
    p = Player(client, launch(learner, course))
    p.navigate()
    p.commit({"core": {"lesson_status": "completed"}}, terminate=True)
    p.navigate("_none_")
    r = review(signed_in(client, learner), course)
    assert client.get(f"/player/{r.token}").status_code in (200, 303)
    assert r.navigate().get_json()["action"] == "launch"
