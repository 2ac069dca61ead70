"""SCORM 1.2 in Chromium: golf runtime basic calls (launch, bookmark, suspend, resume, pass)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import (
    attempt_state,
    content_frame,
    statement_verbs,
    wait_done,
    wait_running,
)

GOLF_12 = "golf_scorm12_runtime_basic_calls.zip"


@pytest.fixture(params=["one origin", "two origins"], autouse=True)
def origins(request: pytest.FixtureRequest) -> None:
    """Both setups: everything on one origin (the default), content on another."""
    if request.param == "two origins":
        request.getfixturevalue("split_origin")


def test_browser_scorm12_bookmark_suspend_resume_and_pass(
    page: Any, course_from_corpus: Any, launch_url: Any, client: Any, xapi: Any
) -> None:
    course = course_from_corpus(GOLF_12)
    url = launch_url(course)
    page.on("dialog", lambda dialog: dialog.accept())  # "resume where you left off?" → yes
    page.goto(url)
    wait_running(page)
    frame = content_frame(page, "launchpage.html")
    frame.click("#butNext")
    frame.click("#butNext")
    assert frame.evaluate("API.LMSGetValue('cmi.core.lesson_location')") == "2"
    # Save and exit: the shell unloads the SCO, whose unload handler suspends and finishes.
    page.click("#exit-btn")
    wait_done(page)
    token = url.rsplit("/", 1)[-1]
    state = attempt_state(client, token)
    assert state["suspended"] is True
    assert state["ended"] is False
    sco = next(iter(state["scos"].values()))
    assert sco["entry"] == "resume"
    assert sco["total_seconds"] >= 0

    # Relaunch: same attempt, resumed at the bookmark.
    page.goto(launch_url(course))
    wait_running(page)
    frame = content_frame(page, "launchpage.html")
    assert frame.evaluate("API.LMSGetValue('cmi.core.entry')") == "resume"
    assert frame.evaluate("API.LMSGetValue('cmi.core.lesson_location')") == "2"
    assert frame.evaluate("currentPage") == 2
    # Take the test with 85 % and leave normally (the course's own Exit button).
    frame.evaluate("RecordTest(85); reachedEnd = true;")
    frame.evaluate("doExit()")
    wait_done(page)
    state = attempt_state(client, token)
    assert state["ended"] is True
    assert state["completion_status"] == "completed"
    assert state["success_status"] == "passed"
    assert abs(state["score_scaled"] - 0.85) < 1e-9
    verbs = statement_verbs(xapi, state["registration"])
    for verb in ("initialized", "suspended", "resumed", "scored", "passed", "terminated"):
        assert verb in verbs, verbs
