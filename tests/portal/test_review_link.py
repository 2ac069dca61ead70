"""My learning: a "Review" link beside a completed course with an attempt to look at again."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.player.test_runtime import GOLF_12, Player
from tests.portal.conftest import Portal, post
from tests.portal.test_attempts import import_course


def test_review_link_beside_completed_courses_only(
    app: Flask, portal: Portal, login: Callable[[int], FlaskClient]
) -> None:
    lea = portal.user("lea@example.org")
    done = import_course(app, GOLF_12)
    client = login(lea)
    # Nothing completed: no link.
    assert f"/courses/{done}/review" not in client.get("/my").get_data(as_text=True)
    launched = client.get(f"/courses/{done}/launch")
    token = launched.headers["Location"].split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    p = Player(client, token)
    p.navigate()
    p.commit({"core": {"lesson_status": "passed", "score": {"raw": "90"}}}, terminate=True)
    p.navigate("_none_")
    page = client.get("/my").get_data(as_text=True)
    assert f'href="/courses/{done}/review"' in page
    # The link opens the player in review mode.
    opened = client.get(f"/courses/{done}/review")
    assert opened.status_code == 303
    review = Player(client, opened.headers["Location"].rsplit("/", 1)[-1])
    assert review.navigate().get_json()["launch"]["cmi"]["core"]["lesson_mode"] == "review"


def test_review_link_in_swedish(
    app: Flask, portal: Portal, login: Callable[[int], FlaskClient]
) -> None:
    lea = portal.user("lea@example.org")
    course = import_course(app, GOLF_12)
    client = login(lea)
    post(client, "/settings", {"locale": "sv"})
    token = client.get(f"/courses/{course}/launch").headers["Location"].rsplit("/", 1)[-1]
    p = Player(client, token)
    p.navigate()
    p.commit({"core": {"lesson_status": "completed"}}, terminate=True)
    page = client.get("/my").get_data(as_text=True)
    assert ">Granska<" in page
