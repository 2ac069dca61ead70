"""Two tabs on one course (issue 11), in Chromium: the second launch takes over, the first
tab is told in its page (in the learner's language) and stops saving, and nothing either
tab saved is lost or overwritten by older data (player/ownership.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.browser.helpers import (
    attempt_state,
    content_frame,
    runtime_frame,
    statement_verbs,
    wait_done,
    wait_true,
)
from tests.browser.packages import import_course, scorm_zip

CATAPULT = "cmi5_catapult_pre_post_test_framed.zip"
TAKEN = "This course is open in another window or tab"


def open_sco(page: Any, url: str) -> Any:
    page.goto(url)
    frame = content_frame(page, "sco.html")
    wait_true(frame, "window.sco && window.sco.ready")
    return frame


def told(page: Any) -> str:
    wait_true(page, "document.getElementById('save-alert').textContent !== ''")
    return page.inner_text("#save-alert")  # type: ignore[no-any-return]


@pytest.mark.usefixtures("split_origin")
def test_browser_two_tabs_scorm_second_takes_over_first_is_told(
    app: Flask, page: Any, browser: Any, launch_url: Any
) -> None:
    course = import_course(app, scorm_zip(edition="4th", title="Two tabs"))
    first = open_sco(page, launch_url(course))
    first.evaluate("sco.set('cmi.location', 'p3'); sco.set('cmi.suspend_data', 'tab one')")
    assert first.evaluate("sco.commit()") == "true"

    second_page = browser.new_page()
    second = open_sco(second_page, launch_url(course))
    # The second tab starts from everything the first one saved.
    assert second.evaluate("sco.get('cmi.entry')") == "resume"
    assert second.evaluate("sco.get('cmi.suspend_data')") == "tab one"
    second.evaluate("sco.set('cmi.location', 'p4'); sco.set('cmi.suspend_data', 'tab two')")
    assert second.evaluate("sco.commit()") == "true"

    # The first tab saves again: refused, and its page says why; its content is unloaded.
    first.evaluate("sco.set('cmi.suspend_data', 'older data')")
    assert first.evaluate("sco.commit()") == "false"
    assert TAKEN in told(page)
    wait_done(page)
    assert runtime_frame(page).evaluate("document.getElementById('content').src") == "about:blank"
    assert page.inner_text("#done-text").startswith("Continue in the other window")
    # The second tab's data was not overwritten by the first's.
    second.evaluate("sco.set('cmi.exit', 'suspend')")
    assert second.evaluate("sco.terminate()") == "true"
    wait_done(second_page)
    # The first tab continues after all: it takes the attempt back, with tab two's data.
    page.click("#resume-btn")
    first = content_frame(page, "sco.html")
    wait_true(first, "window.sco && window.sco.ready")
    assert first.evaluate("sco.get('cmi.suspend_data')") == "tab two"
    assert first.evaluate("sco.get('cmi.location')") == "p4"
    wait_true(page, "document.getElementById('save-alert').textContent === ''")
    second_page.close()


def test_browser_two_tabs_cmi5_first_tab_is_told_in_swedish(
    app: Flask,
    page: Any,
    browser: Any,
    live_server: Any,
    split_origin: str,
    learner_id: int,
    course_from_corpus: Any,
    launch_url: Any,
    client: Any,
    xapi: Any,
) -> None:
    from accounts.models import User
    from core.db import db
    from tests.browser.conftest_portal import make_sign_in

    make_sign_in(live_server)(page, "grace@example.org", "correct horse battery")
    with app.app_context():
        user = db.session.get(User, learner_id)
        assert user is not None
        user.locale = "sv"
        db.session.commit()
    course = course_from_corpus(CATAPULT)
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    content_frame(page, "pre1.html")
    second_page = browser.new_page()
    second_page.on("dialog", lambda dialog: dialog.accept())
    second_page.goto(launch_url(course))
    content_frame(second_page, "pre1.html")
    # The learner comes back to the first tab: it asks whether it still owns the attempt.
    runtime_frame(page).evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert told(page).startswith("Kursen är öppen i ett annat fönster")
    wait_done(page)
    # Its AU may no longer write: its LRS credential was revoked at the takeover.
    registration = attempt_state(client, token)["registration"]
    assert statement_verbs(xapi, registration).count("launched") == 2
    second_page.close()
