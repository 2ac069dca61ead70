"""What the player page tells the learner: a review banner, and refused navigation
requests and errors in the learner's words, in Swedish or English."""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from tests.player.test_review import review, signed_in
from tests.player.test_runtime import (  # noqa: F401  (fixtures)
    GOLF_12,
    Player,
    launch,
    make_course,
    make_learner,
    player,
)

FORCED = "golf_2004v3_seq_forced_sequential.zip"
BANNER = {
    "en": "Review: your results are not changed",
    "sv": "Granskning: dina resultat ändras inte",
}


def set_locale(app: Flask, user_id: int, locale: str) -> None:
    from accounts.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.locale = locale
        db.session.commit()


def page_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="player-config">(.*?)</script>', html)
    assert found, html
    return json.loads(found.group(1))  # type: ignore[no-any-return]


@pytest.fixture
def learner(make_learner: Callable[..., int]) -> int:
    return make_learner()


@pytest.mark.parametrize("locale", ["en", "sv"])
def test_player_messages_review_page_has_the_banner_a_normal_launch_not(
    app: Flask,
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
    locale: str,
) -> None:
    set_locale(app, learner, locale)
    signed_in(client, learner)
    course = make_course(GOLF_12)
    p = Player(client, launch(learner, course))
    p.navigate()
    normal = client.get(f"/player/{p.token}").get_data(as_text=True)
    assert 'id="review-banner"' not in normal
    assert BANNER[locale] not in normal
    p.commit({"core": {"lesson_status": "completed"}}, terminate=True)
    p.navigate("_none_")
    r = review(signed_in(client, learner), course)
    html = client.get(f"/player/{r.token}").get_data(as_text=True)
    assert 'id="review-banner"' in html
    assert BANNER[locale] in html
    title = re.search(r"<title>(.*?)</title>", html)
    assert title
    assert title.group(1).startswith("Review of" if locale == "en" else "Granskning av")


def test_player_messages_refused_request_in_the_learners_words(
    app: Flask, client: FlaskClient, player: Callable[[str], Player]
) -> None:
    p = player(FORCED)
    assert p.navigate().get_json()["action"] == "launch"
    # forwardOnly: "previous" from the first SCO is refused by the sequencer (SN code).
    body = p.navigate("previous").get_json()
    assert body["action"] == "end"
    assert body["refused"]
    assert body["message"] == "You cannot go back from here."
    assert body["detail"]  # the SN text, for developers
    assert body["detail"] != body["message"]
    # Choosing an item that does not exist (NB.2.1-11).
    body = p.navigate("{target=nothing}choice").get_json()
    assert body["refused"] == "NB.2.1-11"
    assert body["message"] == "That part of the course is not available now."


def test_player_messages_unlisted_refusal_gets_the_general_message(app: Flask) -> None:
    from player.views import REFUSED, learner_result

    body = learner_result({"action": "end", "refused": "XX.9-9", "message": "Some SN text"})
    assert body["message"] == REFUSED
    assert body["detail"] == "Some SN text"
    plain = {"action": "end", "message": "Closed."}
    assert learner_result(plain) == plain


def test_player_messages_every_page_message_is_translated(
    app: Flask,
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
) -> None:
    from player.views import PLAYER_MESSAGES, REFUSALS

    # Every refusal message is one the page translates.
    assert set(REFUSALS.values()) <= set(PLAYER_MESSAGES)
    set_locale(app, learner, "sv")
    token = launch(learner, make_course(GOLF_12))
    html = signed_in(client, learner).get(f"/player/{token}").get_data(as_text=True)
    messages = page_config(html)["messages"]
    assert set(messages) == set(PLAYER_MESSAGES)
    untranslated = [text for text, shown in messages.items() if shown == text]
    assert untranslated == []
    assert messages["You cannot go back from here."] == "Du kan inte gå tillbaka härifrån."
