"""A learner's results count only when earned: what a launch's credential may write.

The attacker is a learner who launched an xAPI (Tin Can) or cmi5 course and took the
credential out of the launch URL (or the fetch URL's answer). With it they try to pass
other courses, write in other registrations, void and overwrite. lrs/learner_scope.py
refuses it; portal/projection.py counts an outcome only from the launch it belongs to (or a
client an admin trusts).
"""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.conftest import XapiClient
from tests.player.test_launch import CATAPULT, LECTORA, au_client, au_statement, launch_params
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    Player,
    launch,
    make_course,
    make_learner,
    player,
)

VERB = "http://adlnet.gov/expapi/verbs/"


def completions(app: Flask) -> list[tuple[int | None, int | None, str]]:
    """(user, course, verb) of every row the reports read."""
    from portal.models import Completion

    with app.app_context():
        return sorted((c.user_id, c.course_id, c.verb) for c in db.session.query(Completion).all())


@pytest.fixture
def tincan(player: Callable[[str], Player], client: FlaskClient) -> tuple[Player, XapiClient, dict]:
    """A learner's xAPI launch: the player, the content's LRS client and launch parameters."""
    p = player(LECTORA)
    p.navigate()
    params = launch_params(p)
    return p, XapiClient(client, params["auth"]), params


def _passed(params: dict[str, str], activity: str, **context: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": json.loads(params["actor"]),
        "verb": {"id": VERB + "passed"},
        "object": {"objectType": "Activity", "id": activity},
        "context": {"registration": params["registration"], **context},
    }


def test_trust_xapi_launch_cannot_pass_other_courses(app: Flask, tincan: Any) -> None:
    _p, content, params = tincan
    home = app.config["AGENT_HOMEPAGE"]
    others = [
        f"{home}/courses/9999",  # another course of ours (classroom, other unit, draft)
        "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest",
        params["activity_id"] + "-other",  # shares a prefix, is not under it
    ]
    for activity in others:
        response = content.post("statements", _passed(params, activity))
        assert response.status_code == 403, activity
        assert response.get_json()["errors"][0]["path"] == "[0].object.id"
    # Outside its registration, or with none, also refused.
    elsewhere = _passed(params, params["activity_id"], registration=str(uuid.uuid4()))
    assert content.post("statements", elsewhere).status_code == 403
    unregistered = _passed(params, params["activity_id"])
    del unregistered["context"]
    assert content.post("statements", unregistered).status_code == 403
    # About an Agent, not an activity: refused too.
    person = {**_passed(params, ""), "object": {"objectType": "Agent", "mbox": "mailto:x@y.z"}}
    assert content.post("statements", person).status_code == 403
    assert completions(app) == []
    # What it was launched for, and what lies under it, it may report: that counts,
    # as the course's result the player records when it rolls the attempt up.
    slide = _passed(params, params["activity_id"] + "/slide-3")
    slide["verb"] = {"id": VERB + "experienced"}
    assert content.post("statements", slide).status_code == 200
    own = _passed(params, params["activity_id"])
    assert content.post("statements", own).status_code == 200
    _p.attempt()
    assert [row[2] for row in completions(app)] == ["completed", "passed"]


def test_trust_xapi_launch_voids_only_its_own(
    app: Flask, tincan: Any, xapi: XapiClient, make_statement: Callable[..., Any]
) -> None:
    _p, content, params = tincan
    mine = _passed(params, params["activity_id"])
    assert content.post("statements", mine).status_code == 200
    someone_else = make_statement()
    assert xapi.post("statements", someone_else).status_code == 200

    def voiding(target: str) -> dict[str, Any]:
        return {
            "actor": json.loads(params["actor"]),
            "verb": {"id": VERB + "voided"},
            "object": {"objectType": "StatementRef", "id": target},
            "context": {"registration": params["registration"]},
        }

    assert content.post("statements", voiding(someone_else["id"])).status_code == 403
    assert content.post("statements", voiding(str(uuid.uuid4()))).status_code == 403
    assert content.post("statements", voiding(mine["id"])).status_code == 200


def test_trust_xapi_launch_documents_of_its_activities_only(tincan: Any) -> None:
    _p, content, params = tincan
    elsewhere = "http://example.org/some/other/activity"
    for activity, status in ((elsewhere, 403), (params["activity_id"], 204)):
        profile = content.put(
            "activities/profile",
            {"x": 1},
            query={"activityId": activity, "profileId": "p"},
            headers={"If-None-Match": "*"},
        )
        assert profile.status_code == status, activity
        state = content.put(
            "activities/state",
            {"x": 1},
            query={
                "activityId": activity,
                "agent": params["actor"],
                "registration": params["registration"],
                "stateId": "bookmark",
            },
        )
        assert state.status_code == status, activity


def test_trust_cmi5_au_cannot_void_or_touch_launch_data(
    player: Callable[[str], Player], client: FlaskClient
) -> None:
    p = player(CATAPULT)
    p.navigate()
    au, params = au_client(p, client)
    session = p.launch["session_id"]
    initialized = au_statement(params, "initialized", session)
    assert au.post("statements", initialized).status_code == 200
    voiding = au_statement(params, "voided", session)
    voiding["object"] = {"objectType": "StatementRef", "id": initialized["id"]}
    assert au.post("statements", voiding).status_code == 403  # cmi5 §6.3
    # Another session's id (a stale tab's, a forged one) is refused.
    stale = au_statement(params, "completed", str(uuid.uuid4()))
    assert au.post("statements", stale).status_code == 403
    query = {
        "activityId": params["activityId"],
        "agent": params["actor"],
        "registration": params["registration"],
        "stateId": "LMS.LaunchData",
    }
    assert au.put("activities/state", {"launchMode": "Normal"}, query=query).status_code == 403
    assert au.delete("activities/state", query=query).status_code == 403
    assert au.get("activities/state", query=query).status_code == 200  # reading is its right


def test_trust_untrusted_clients_results_do_not_count(
    app: Flask, make_xapi: Callable[..., XapiClient], make_learner: Callable[..., int]
) -> None:
    # An all-scope credential an admin made for a reporting tool (not trusted for
    # results), posting results for a learner: stored in the LRS, counted nowhere.
    learner = make_learner()
    home = app.config["AGENT_HOMEPAGE"]
    statement = {
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(learner)}},
        "verb": {"id": VERB + "passed"},
        "object": {"objectType": "Activity", "id": f"{home}/courses/1"},
    }
    assert make_xapi(["all"]).post("statements", statement).status_code == 200
    assert completions(app) == []
    assert make_xapi(["all"], trusted=True).post("statements", statement).status_code == 200
    assert completions(app) == [(learner, 1, "passed")]


def test_trust_a_real_attempts_registration_is_not_enough(
    app: Flask, tincan: Any, make_xapi: Callable[..., XapiClient]
) -> None:
    # An untrusted client that learned a real attempt's registration (statements/read)
    # cannot pass that attempt for its learner.
    p, _content, params = tincan
    forged = _passed(params, params["activity_id"])
    assert make_xapi(["all"]).post("statements", forged).status_code == 200
    assert completions(app) == []
    # Nor through the player's rollup, which reads only what the launch reported.
    assert p.attempt()["completion_status"] != "completed"
    assert p.navigate("exit").status_code == 200
    assert completions(app) == []


def test_trust_is_given_by_an_admin_from_the_cli(
    app: Flask, runner: Any, client: FlaskClient, make_learner: Callable[..., int]
) -> None:
    from tests.conftest import basic

    learner = make_learner()
    home = app.config["AGENT_HOMEPAGE"]
    made = runner.invoke(
        args=["credentials", "create", "hr-system", "--scope", "all", "--trusted", "--json"]
    )
    assert made.exit_code == 0, made.output
    key, secret = (json.loads(made.output)[k] for k in ("key", "secret"))
    listed = json.loads(runner.invoke(args=["credentials", "list", "--json"]).output)
    assert [c["trusted"] for c in listed if c["key"] == key] == [True]
    statement = {
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(learner)}},
        "verb": {"id": VERB + "completed"},
        "object": {"objectType": "Activity", "id": f"{home}/courses/3"},
    }
    assert XapiClient(client, basic(key, secret)).post("statements", statement).status_code == 200
    assert completions(app) == [(learner, 3, "completed")]
