"""The player page in Chromium: a review launch says so (banner); errors the server reports
in English reach the learner as a translated message.

Two origins (split_origin): the page on the portal's origin, the runtime frame on content's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from tests.browser.helpers import wait_running, wait_true

GOLF_12 = "golf_scorm12_runtime_basic_calls.zip"
BANNER = {
    "en": "Review: your results are not changed",
    "sv": "Granskning: dina resultat ändras inte",
}


def set_locale(app: Flask, user_id: int, locale: str) -> None:
    from accounts.models import User
    from core.db import db

    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.locale = locale
        db.session.commit()


def review_url(app: Flask, live_server: Any, learner_id: int, course_id: int) -> str:
    """A review launch of the learner's attempt, completed here (as the service sees it)."""
    from accounts.models import User
    from core.db import db
    from packages.service import get_course
    from player import attempts, review

    with app.test_request_context("/"):
        user = db.session.get(User, learner_id)
        assert user is not None
        course = get_course(course_id)
        attempt = attempts.open_attempt(user, course)
        assert attempt is not None
        attempt.completion_status = "completed"
        db.session.commit()
        _attempt, token = review.launch_review(user, course)
        db.session.commit()
    return f"{live_server.url}/player/{token}"


@pytest.mark.parametrize("locale", ["en", "sv"])
def test_player_review_launch_shows_the_banner_a_normal_launch_does_not(
    app: Flask,
    page: Any,
    live_server: Any,
    split_origin: str,
    learner_id: int,
    course_from_corpus: Any,
    launch_url: Any,
    locale: str,
) -> None:
    from tests.browser.conftest_portal import make_sign_in

    make_sign_in(live_server)(page, "grace@example.org", "correct horse battery")
    set_locale(app, learner_id, locale)
    page.on("dialog", lambda dialog: dialog.accept())
    course = course_from_corpus(GOLF_12)

    page.goto(launch_url(course))
    wait_running(page)
    assert page.locator("#review-banner").count() == 0
    assert BANNER[locale] not in page.inner_text("body")

    page.goto(review_url(app, live_server, learner_id, course))
    wait_running(page)  # the SCO runs in review as usual
    banner = page.locator("#review-banner")
    assert banner.is_visible()
    assert banner.inner_text() == BANNER[locale]
    assert banner.get_attribute("role") == "note"
    # Above the course, not covered by it.
    box, stage = banner.bounding_box(), page.locator("#runtime").bounding_box()
    assert box
    assert stage
    assert box["height"] > 0
    assert box["y"] + box["height"] <= stage["y"]
    assert page.title().startswith("Review of" if locale == "en" else "Granskning av")
    # The SCO is told it is a review (SCORM 1.2 cmi.core.lesson_mode).
    frame = next(f for f in page.frames if "launchpage.html" in f.url)
    assert frame.evaluate("API.LMSGetValue('cmi.core.lesson_mode')") == "review"


def test_player_server_error_shown_as_a_translated_message(
    app: Flask,
    page: Any,
    live_server: Any,
    split_origin: str,
    learner_id: int,
    course_from_corpus: Any,
    launch_url: Any,
) -> None:
    from core.db import db
    from player.models import LaunchToken
    from tests.browser.conftest_portal import make_sign_in

    make_sign_in(live_server)(page, "grace@example.org", "correct horse battery")
    set_locale(app, learner_id, "sv")
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(launch_url(course_from_corpus(GOLF_12)))
    wait_running(page)
    # The launch token expires under the learner (401, an English message from the server).
    with app.app_context():
        for token in db.session.query(LaunchToken):
            token.expires_at = datetime(2020, 1, 1)
        db.session.commit()
    page.click("#exit-btn")  # one SCO: no Next; Save and exit reaches the server too
    # Said in the page's alert (role=alert), where it cannot be missed.
    wait_true(page, "document.getElementById('save-alert').textContent !== ''")
    assert page.inner_text("#save-alert") == ("Din session har gått ut. Starta kursen igen.")
    assert page.get_attribute("#save-alert", "role") == "alert"
