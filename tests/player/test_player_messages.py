"""What the player page tells the learner: a review banner, and refused navigation
requests and errors in the learner's words, in Swedish or English."""

# ruff: noqa: F811  (the fixtures imported from test_runtime are parameters here)
from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path
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


ROOT = Path(__file__).resolve().parents[2]


def _script_texts() -> set[str]:
    """The sentences the player's scripts hold (joined where a literal is split with +)."""
    found: set[str] = set()
    for path in sorted((ROOT / "player" / "static").glob("*.js")):
        source = re.sub(r'"\s*\+\s*\n\s*"', "", path.read_text())  # "a " +\n "b" -> "a b"
        for text in re.findall(r'"((?:[^"\\]|\\.)*)"', source):
            # Words for people, not names, selectors or console prefixes ("Kompetens player:").
            if " " in text and re.match(r"[A-Z][a-z]", text) and text[-1] in ".!?":
                found.add(text)
    return found


def _server_end_texts() -> set[str]:
    """The messages navigation and review end a session with (literals in the source)."""
    found: set[str] = set()
    for name in ("navigation.py", "review.py"):
        tree = ast.parse((ROOT / "player" / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_end":
                parts: list[ast.expr] = list(node.args)
            elif isinstance(node, ast.Dict) and any(
                isinstance(k, ast.Constant) and k.value == "returned" for k in node.keys
            ):
                parts = list(node.values)  # review's message for each request
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get":
                parts = node.args[1:]  # review's message for any other request
            else:
                continue
            for part in parts:
                found |= {
                    n.value
                    for n in ast.walk(part)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and " " in n.value
                }
    return found


def test_player_messages_scripts_and_server_say_only_catalogue_texts() -> None:
    """What the page may show comes translated in its config (PLAYER_MESSAGES): a text
    the scripts or the server add without listing it there would show in English."""
    from player.views import PLAYER_MESSAGES

    scripts = _script_texts()
    assert "Your work is saved." in scripts  # the reading finds them
    assert scripts - set(PLAYER_MESSAGES) == set()
    server = _server_end_texts()
    assert "You have left the review." in server
    assert server - set(PLAYER_MESSAGES) == set()


def test_player_messages_unknown_server_message_becomes_the_general_one(app: Flask) -> None:
    from player.views import REFUSED, learner_result

    body = learner_result({"action": "end", "message": "choiceExit is false on 'x'"})
    assert body["message"] == REFUSED
    assert body["detail"] == "choiceExit is false on 'x'"


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        ("sv", ["Spara och avsluta", "Innehåll", 'lang="sv"']),
        ("en", ["Save and exit", "Contents", 'lang="en"']),
    ],
)
def test_player_messages_page_shows_the_courses_title_not_the_packages(
    app: Flask,
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
    locale: str,
    texts: list[str],
) -> None:
    from packages.models import Course

    set_locale(app, learner, locale)
    course = make_course(GOLF_12)
    with app.app_context():
        found = db.session.get(Course, course)
        assert found is not None
        package_title = found.title
        found.title = "Golf för nybörjare"  # an author renames the course
        db.session.commit()
    token = launch(learner, course)
    html = signed_in(client, learner).get(f"/player/{token}").get_data(as_text=True)
    assert re.search(r"<title>Golf för nybörjare</title>", html)
    assert '<h1 class="title" id="course-title">Golf för nybörjare</h1>' in html
    assert package_title not in html
    for text in texts:
        assert text in html
    frame = client.get(f"/player/{token}/runtime?ui=http://localhost").get_data(as_text=True)
    assert "<title>Golf för nybörjare</title>" in frame
    assert package_title not in frame


@pytest.mark.parametrize(
    ("language", "text"), [("sv", "Går tillbaka till kursen…"), ("en", "Returning to the course…")]
)
def test_player_messages_returned_page_in_the_browsers_language(
    app: Flask,
    client: FlaskClient,
    learner: int,
    make_course: Callable[[str], int],
    launch: Callable[[int, int], str],
    language: str,
    text: str,
) -> None:
    # The content origin reads no cookie: the browser's language decides (portal.i18n).
    token = launch(learner, make_course(GOLF_12))
    page = client.get(f"/player/{token}/returned", headers={"Accept-Language": language})
    html = page.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert f"<p>{text}</p>" in html
