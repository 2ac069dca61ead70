"""Two tabs on one course (issue 11): the newer launch takes the attempt over; the older
one's runtime calls are refused with 409 "taken-over" instead of silently overwriting
(SCORM) or abandoning (cmi5) what the newer one shows, and nothing saved is lost."""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import XapiClient
from tests.player.test_launch import CATAPULT, au_client, au_statement
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    GOLF_2004,
    Player,
    launch,
    make_course,
    make_learner,
    player,
)


def taken_over(response: Any) -> bool:
    body = response.get_json()
    return response.status_code == 409 and body["errors"][0]["reason"] == "taken-over"


def owner(p: Player) -> Any:
    return p.client.get(p.base + "/owner")


def test_takeover_scorm_second_tab_owns_the_attempt_and_the_first_is_refused(
    player: Callable[[str], Player],
) -> None:
    first = player(GOLF_2004)
    first.navigate()
    assert first.commit({"location": "3", "suspend_data": "first tab"}).status_code == 200
    second = player(GOLF_2004)  # the same learner launches the course in another tab
    assert second.token != first.token
    assert owner(first).status_code == 200  # not started yet: nothing is taken over
    second.navigate()
    # The second tab starts from everything the first one saved.
    assert second.launch["entry"] == "resume"
    assert second.launch["cmi"]["suspend_data"] == "first tab"
    assert second.launch["cmi"]["location"] == "3"
    # The first tab is told, whatever it tries; nothing of it is stored.
    assert taken_over(first.commit({"location": "1", "suspend_data": "older"}))
    assert taken_over(first.commit({"exit": "suspend"}, terminate=True, closing=True))
    assert taken_over(first.navigate("continue"))
    assert taken_over(owner(first))
    assert owner(second).status_code == 200
    assert second.commit({"location": "4", "suspend_data": "second tab"}).status_code == 200
    # Reading the attempt is still allowed (nothing changes).
    assert first.client.get(first.base + "/attempt").status_code == 200
    # The first tab continues after all (its page's Continue): it takes the attempt back
    # with the second tab's data.
    first.navigate("start")
    assert first.launch["cmi"]["suspend_data"] == "second tab"
    assert first.launch["cmi"]["location"] == "4"
    assert taken_over(second.commit({"location": "5"}))


def test_takeover_reloading_the_same_page_is_not_a_takeover(
    player: Callable[[str], Player],
) -> None:
    p = player(GOLF_2004)
    p.navigate()
    p.commit({"location": "2"})
    again = Player(p.client, p.token)  # the same launch token: a reload
    again.navigate()
    assert again.commit({"location": "3"}).status_code == 200
    assert owner(p).status_code == 200


def test_takeover_cmi5_first_tabs_au_can_no_longer_write(
    player: Callable[[str], Player],
    client: FlaskClient,
) -> None:
    first = player(CATAPULT)
    first.navigate()
    au, params = au_client(first, client)
    session = first.launch["session_id"]
    assert au.post("statements", au_statement(params, "initialized", session)).status_code == 200
    second = player(CATAPULT)
    second.navigate()
    # The first tab's AU stops saving (its LRS credential is revoked) and its page is told.
    assert au.post("statements", au_statement(params, "completed", session)).status_code == 401
    assert taken_over(owner(first))
    assert taken_over(first.navigate("close"))  # its pagehide beacon ends nothing
    # The second tab's AU works.
    au2, params2 = au_client(second, client)
    statement = au_statement(params2, "initialized", second.launch["session_id"])
    assert au2.post("statements", statement).status_code == 200


def test_takeover_review_tokens_neither_own_nor_are_refused(
    app: Any,
    player: Callable[[str], Player],
    xapi: XapiClient,
) -> None:
    from accounts.models import User
    from packages.service import get_course
    from player import attempts
    from player import review as player_review

    p = player(GOLF_2004)
    p.navigate()
    p.commit({"completion_status": "completed", "exit": "suspend"}, terminate=True)
    with app.test_request_context("/"):
        from core.db import db

        attempt = attempts.get_attempt(p.attempt()["id"])
        user = db.session.get(User, attempt.user_id)
        assert user is not None
        _a, token = player_review.launch_review(user, get_course(attempt.course_id))
        db.session.commit()
    review = Player(p.client, token)
    assert review.navigate().status_code == 200
    assert owner(p).status_code == 200
    assert p.commit({"location": "9"}, seq=99).status_code == 200


def test_takeover_owner_check_is_served_on_the_content_origin(
    app: Any, player: Callable[[str], Player]
) -> None:
    """The runtime frame asks from the content origin, like its other runtime calls."""
    p = player(GOLF_2004)
    p.navigate()
    app.config.update(CONTENT_ORIGIN="http://content.example", PORTAL_URL="http://localhost")
    try:
        response = p.client.get(p.base + "/owner", base_url="http://content.example")
    finally:
        app.config.update(CONTENT_ORIGIN="", PORTAL_URL="")
    assert response.status_code == 200
    assert response.get_json() == {"owner": True}
