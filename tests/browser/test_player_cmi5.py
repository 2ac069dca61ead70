"""cmi5 in Chromium: the CATAPULT pre/post-test course (cmi5.js 3.1.0) against our LRS.

The AU reads its launch URL, calls the fetch URL, reads LMS.LaunchData, sends its
statements to /xapi with the learner-bound credential, exits to its returnURL; the
player then evaluates moveOn and writes ``satisfied``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import attempt_state, content_frame, statement_verbs, wait_done

# Content, the runtime frame and /player/api on another origin than the player page.
pytestmark = pytest.mark.usefixtures("split_origin")

CATAPULT = "cmi5_catapult_pre_post_test_framed.zip"
PRE = "https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-preposttest/block1/pre"


def _statement_sent(verb: str) -> Any:
    def check(response: Any) -> bool:
        request = response.request
        return (
            "/xapi/statements" in response.url
            and request.method in ("POST", "PUT")
            and verb in (request.post_data or "")
        )

    return check


def test_browser_cmi5_pass_exit_and_relaunch(
    page: Any, course_from_corpus: Any, launch_url: Any, client: Any, xapi: Any
) -> None:
    course = course_from_corpus(CATAPULT)
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_response(_statement_sent("/verbs/initialized")) as sent:
        page.goto(url)
    assert sent.value.status in (200, 204)
    frame = content_frame(page, "pre1.html")
    assert "fetch=" in frame.url
    # Answer the pre-test correctly and submit: the AU sends answered + passed.
    frame.click("text=(Select correct answers)")
    with page.expect_response(_statement_sent("/verbs/passed")) as passed:
        frame.click("text=Submit Answers")
    assert passed.value.status in (200, 204)
    # The AU's own Exit: terminated, then its returnURL, then moveOn in the player.
    with page.expect_response(lambda r: "/navigate" in r.url):
        frame.click("text=Exit the Course")
    wait_done(page)
    state = attempt_state(client, token)
    assert state["scos"][PRE]["success_status"] == "passed"
    registration = state["registration"]
    verbs = statement_verbs(xapi, registration)
    for verb in ("launched", "initialized", "passed", "terminated", "satisfied"):
        assert verb in verbs, verbs
    assert "abandoned" not in verbs

    # Relaunch: the next AU that is not done (the content AU), in a new session.
    with page.expect_response(_statement_sent("/verbs/initialized")):
        page.goto(launch_url(course))
    frame = content_frame(page, "index.html")
    assert attempt_state(client, token)["current"].endswith("/block1/content")
    assert statement_verbs(xapi, registration).count("launched") == 2
