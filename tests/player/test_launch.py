"""Launching: the portal entry, cmi5 (launch URL, fetch once, LMS.LaunchData, LMS-written
statements, moveOn) and xAPI packages (SCORM_CHECKS.md §3.5 cmi5 runtime, tincan launch)."""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import XapiClient, signed_in
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    Player,
    launch,
    make_course,
    make_learner,
    player,
    statements,
    verbs,
)

CATAPULT = "cmi5_catapult_pre_post_test_framed.zip"
RISE = "rise360_cmi5.zip"
LECTORA = "lectora_tincan_xapi.zip"
CMI5 = "https://w3id.org/xapi/cmi5/context/"
PRE = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest/block1/pre"


def launch_params(p: Player) -> dict[str, str]:
    query = parse_qs(urlsplit(p.launch["url"]).query)
    return {k: v[-1] for k, v in query.items()}


def au_client(p: Player, client: FlaskClient) -> tuple[XapiClient, dict[str, str]]:
    """Do what a cmi5 AU does first: read the launch URL, call the fetch URL."""
    params = launch_params(p)
    fetch = urlsplit(params["fetch"]).path
    response = client.post(fetch)
    assert response.status_code == 200
    token = response.get_json()["auth-token"]
    return XapiClient(client, "Basic " + token), params


def au_statement(params: dict[str, str], verb: str, session: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": json.loads(params["actor"]),
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": params["activityId"]},
        "context": {
            "registration": params["registration"],
            "contextActivities": {"category": [{"id": CMI5 + "categories/cmi5"}]},
            "extensions": {CMI5 + "extensions/sessionid": session},
        },
        **extra,
    }


def launch_data(au: XapiClient, params: dict[str, str]) -> dict[str, Any]:
    response = au.get(
        "activities/state",
        query={
            "stateId": "LMS.LaunchData",
            "activityId": params["activityId"],
            "agent": params["actor"],
            "registration": params["registration"],
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


# -- the portal's launch entry ------------------------------------------------------


def test_launch_entry_needs_a_signed_in_learner(
    client: FlaskClient, make_course: Callable[[str], int]
) -> None:
    course = make_course("golf_scorm12_runtime_basic_calls.zip")
    response = client.get(f"/courses/{course}/launch")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_launch_entry_redirects_to_the_player_page_on_the_portal_origin(
    app: Flask,
    client: FlaskClient,
    make_learner: Callable[..., int],
    make_course: Callable[[str], int],
) -> None:
    course = make_course("golf_scorm12_runtime_basic_calls.zip")
    user_id = make_learner()
    signed_in(client, user_id)
    app.config["CONTENT_ORIGIN"] = "http://content.example"
    try:
        first = client.get(f"/courses/{course}/launch")
        second = client.get(f"/courses/{course}/launch")
    finally:
        app.config["CONTENT_ORIGIN"] = ""
    assert first.status_code == 303
    location = first.headers["Location"]
    # The player page stays on the portal's origin; only its runtime frame is on
    # CONTENT_ORIGIN (player/views.py).
    assert location.startswith("/player/")
    # The token, not the session cookie, carries the attempt: each launch gets its own
    # token for the same open attempt.
    assert second.headers["Location"] != location
    from player.models import Attempt

    with app.app_context():
        assert db.session.query(Attempt).count() == 1


@pytest.mark.corpus
def test_launch_new_attempts_take_the_newest_published_version(
    app: Flask,
    make_learner: Callable[..., int],
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
    client: FlaskClient,
) -> None:
    from packages import service as packages
    from player.models import Attempt
    from tests.player.test_runtime import CORPUS

    user_id = make_learner()
    course = make_course("golf_2004v3_runtime_basic_calls.zip")
    first = Player(client, launch(user_id, course))
    first.navigate()
    with app.app_context():
        packages.import_package(
            CORPUS / "golf_2004v3_runtime_basic_calls.zip", course, published=True
        )
        db.session.commit()
    # The open attempt keeps its version.
    again = Player(client, launch(user_id, course))
    again.navigate()
    again.commit({"exit": "normal", "completion_status": "completed"}, terminate=True)
    assert again.navigate("_none_").get_json()["closed"] is True
    Player(client, launch(user_id, course)).navigate()
    with app.app_context():
        attempts = db.session.query(Attempt).order_by(Attempt.number).all()
        versions = [a.version_id for a in attempts]
    assert len(attempts) == 2
    assert versions[0] != versions[1]


# -- cmi5 -------------------------------------------------------------------------


def test_launch_cmi5_url_and_launched_statement(
    player: Callable[[str], Player],
    xapi: XapiClient,
) -> None:
    p = player(CATAPULT)
    body = p.navigate().get_json()
    assert body["action"] == "launch"
    params = launch_params(p)
    assert set(params) >= {"endpoint", "fetch", "actor", "registration", "activityId"}
    assert params["endpoint"].endswith("/xapi/")
    assert params["activityId"] == PRE
    assert json.loads(params["actor"])["account"]["name"]
    assert p.launch["window"] == "frame"
    launched = statements(xapi, params["registration"])
    assert [s["verb"]["id"].rsplit("/", 1)[-1] for s in launched] == ["launched"]
    context = launched[0]["context"]
    assert {"id": CMI5 + "categories/cmi5"} in [
        {"id": c["id"]} for c in context["contextActivities"]["category"]
    ]
    assert context["extensions"][CMI5 + "extensions/sessionid"] == p.launch["session_id"]
    assert context["extensions"][CMI5 + "extensions/moveon"] == "Passed"


def test_launch_cmi5_fetch_url_works_once(
    player: Callable[[str], Player],
    client: FlaskClient,
) -> None:
    p = player(CATAPULT)
    p.navigate()
    fetch = urlsplit(launch_params(p)["fetch"]).path
    first = client.post(fetch)
    assert first.status_code == 200
    assert set(first.get_json()) == {"auth-token"}
    second = client.post(fetch)
    assert second.get_json()["error-code"] == "1"
    assert client.post("/player/cmi5/fetch/nonsense").get_json()["error-code"] == "2"


def test_launch_cmi5_launch_data_document(
    player: Callable[[str], Player],
    client: FlaskClient,
) -> None:
    p = player(CATAPULT)
    p.navigate()
    au, params = au_client(p, client)
    data = launch_data(au, params)
    assert data["launchMode"] == "Normal"
    assert data["moveOn"] == "Passed"
    assert data["launchMethod"] == "AnyWindow"
    assert data["returnURL"].endswith(f"/player/{p.token}/returned")
    template = data["contextTemplate"]
    assert template["extensions"][CMI5 + "extensions/sessionid"] == p.launch["session_id"]
    assert template["contextActivities"]["grouping"][0]["id"].startswith("https://w3id.org/")


def test_launch_cmi5_au_statements_satisfy_move_on(
    player: Callable[[str], Player],
    client: FlaskClient,
    xapi: XapiClient,
) -> None:
    p = player(CATAPULT)
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
    # The AU exits to its returnURL; the shell then tells the runtime.
    assert client.get(f"/player/{p.token}/returned").status_code == 200
    end = p.navigate("returned").get_json()
    assert end["action"] == "end"
    state = p.attempt()
    assert state["scos"][PRE]["success_status"] == "passed"
    assert state["scos"][PRE]["score_scaled"] == pytest.approx(0.9)
    found = statements(xapi, params["registration"])
    satisfied = [s for s in found if s["verb"]["id"].endswith("/satisfied")]
    assert [s["object"]["id"] for s in satisfied] == [PRE]
    assert satisfied[0]["actor"] == json.loads(params["actor"])
    # Launching the next AU writes no abandoned (the session terminated).
    p.navigate("continue")
    assert "abandoned" not in verbs(xapi, params["registration"])


def test_launch_cmi5_credential_is_bound_to_the_learner(
    player: Callable[[str], Player],
    client: FlaskClient,
) -> None:
    p = player(CATAPULT)
    p.navigate()
    au, params = au_client(p, client)
    other = au_statement(params, "initialized", p.launch["session_id"])
    other["actor"] = {"objectType": "Agent", "mbox": "mailto:someone@example.org"}
    assert au.post("statements", other).status_code == 403


def test_launch_cmi5_session_without_terminated_is_abandoned(
    player: Callable[[str], Player],
    client: FlaskClient,
    xapi: XapiClient,
) -> None:
    p = player(CATAPULT)
    p.navigate()
    au, params = au_client(p, client)
    au.post("statements", au_statement(params, "initialized", p.launch["session_id"]))
    first_session = p.launch["session_id"]
    # The window was closed; the learner launches the course again.
    p.navigate("start")
    found = statements(xapi, params["registration"])
    abandoned = [s for s in found if s["verb"]["id"].endswith("/abandoned")]
    assert len(abandoned) == 1
    assert abandoned[0]["context"]["extensions"][CMI5 + "extensions/sessionid"] == first_session
    assert "duration" in abandoned[0]["result"]


def test_launch_cmi5_waived_au_counts_for_move_on(
    app: Flask,
    player: Callable[[str], Player],
    xapi: XapiClient,
) -> None:
    from player import attempts
    from player.cmi5.waivers import waive
    from player.models import Attempt

    p = player(CATAPULT)
    p.navigate()
    registration = launch_params(p)["registration"]
    with app.test_request_context("/"):
        attempt = db.session.query(Attempt).one()
        waive(attempt, attempts.version_of(attempt), PRE, "Tested Out")
        db.session.commit()
    found = statements(xapi, registration)
    waived = [s for s in found if s["verb"]["id"].endswith("/waived")]
    assert waived[0]["result"]["success"] is True
    assert any(s["verb"]["id"].endswith("/satisfied") for s in found)


def test_launch_cmi5_own_window_au(player: Callable[[str], Player]) -> None:
    p = player(RISE)
    p.navigate()
    assert p.launch["window"] == "own"
    assert "fetch=" in p.launch["url"]


# -- xAPI (tincan.xml) --------------------------------------------------------------


def test_launch_xapi_package_gets_endpoint_auth_actor_registration(
    player: Callable[[str], Player],
    client: FlaskClient,
) -> None:
    p = player(LECTORA)
    p.navigate()
    params = launch_params(p)
    assert set(params) >= {"endpoint", "auth", "actor", "registration", "activity_id"}
    content = XapiClient(client, params["auth"])
    statement = {
        "actor": json.loads(params["actor"]),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": params["activity_id"]},
        "context": {"registration": params["registration"]},
    }
    assert content.post("statements", statement).status_code == 200
    p.navigate("exit")
    assert p.attempt()["completion_status"] == "completed"
