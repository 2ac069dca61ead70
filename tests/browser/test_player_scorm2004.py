"""SCORM 2004 in Chromium: golf runtime basic calls (suspend/resume, pass, exitAll) and the
forced-sequential sequencing package (flow, disabled choice, suspendAll/resumeAll)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import (
    attempt_state,
    content_frame,
    statement_verbs,
    wait_done,
    wait_for,
    wait_running,
)

# Content, the runtime frame and /player/api on another origin than the player page.
pytestmark = pytest.mark.usefixtures("split_origin")

GOLF_2004 = "golf_2004v3_runtime_basic_calls.zip"
FORCED = "golf_2004v3_seq_forced_sequential.zip"


def test_browser_scorm2004_suspend_resume_pass_and_exit_all(
    page: Any, course_from_corpus: Any, launch_url: Any, client: Any, xapi: Any
) -> None:
    course = course_from_corpus(GOLF_2004)
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    wait_running(page)
    frame = content_frame(page, "launchpage.html")
    assert frame.evaluate("API.GetValue('cmi.entry')") == "ab-initio"
    frame.click("#butNext")
    frame.click("#butNext")
    page.click("#exit-btn")  # Save and exit: suspendAll after the SCO suspends
    wait_done(page)
    state = attempt_state(client, token)
    assert state["suspended"] is True
    assert state["completion_status"] == "incomplete"

    page.goto(launch_url(course))
    wait_running(page)
    frame = content_frame(page, "launchpage.html")
    assert frame.evaluate("API.GetValue('cmi.entry')") == "resume"
    assert frame.evaluate("API.GetValue('cmi.location')") == "2"
    # Pass the test with 90 % and leave with the course's own Exit (exitAll).
    frame.evaluate("RecordTest(90); reachedEnd = true; doExit();")
    wait_done(page)
    state = attempt_state(client, token)
    assert state["ended"] is True
    assert state["success_status"] == "passed"
    assert abs(state["score_scaled"] - 0.9) < 1e-9
    assert state["total_seconds"] >= 0
    verbs = statement_verbs(xapi, state["registration"])
    for verb in ("initialized", "suspended", "resumed", "scored", "passed", "terminated"):
        assert verb in verbs, verbs


def test_browser_scorm2004_forced_sequential_navigation(
    page: Any, course_from_corpus: Any, launch_url: Any, client: Any
) -> None:
    course = course_from_corpus(FORCED)
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    wait_running(page)
    content_frame(page, "content=playing")
    # Later SCOs are disabled until the previous one is satisfied (preConditionRule).
    assert "disabled" in page.get_attribute('.toc-item[data-id="handicapping_item"]', "class")
    assert page.is_disabled("#prev-btn")
    refused = client.post(
        f"/player/api/{token}/navigate",
        json={"request": "choice", "target": "handicapping_item"},
    ).get_json()
    assert refused["action"] == "end"
    assert refused["refused"]
    # The SCO is not ours to end through the API here: relaunch the shell.
    page.goto(launch_url(course))
    wait_running(page)
    frame = content_frame(page, "content=playing")
    # The SCO sees what the sequencer allows (adl.nav.request_valid, RTE §4.4.3).
    assert frame.evaluate("API.GetValue('adl.nav.request_valid.continue')") == "false"
    # Reach the last page: completed and passed, committed.
    frame.evaluate("currentPage = pageArray.length - 2; doNext();")
    assert frame.evaluate("API.GetValue('adl.nav.request_valid.continue')") == "true"
    page.click("#next-btn")  # continue: flow to the next SCO
    content_frame(page, "content=etiquette")
    wait_running(page)
    assert "current" in page.get_attribute('.toc-item[data-id="etuqiette_item"]', "class")
    assert "completed" in page.get_attribute('.toc-item[data-id="playing_item"]', "class")
    assert "disabled" not in page.get_attribute('.toc-item[data-id="etuqiette_item"]', "class")
    frame = content_frame(page, "content=etiquette")
    assert frame.evaluate("API.GetValue('adl.nav.request_valid.previous')") == "true"
    page.click("#exit-btn")  # suspendAll
    wait_done(page)
    assert attempt_state(client, token)["suspended"] is True
    # resumeAll brings back the suspended SCO with its data.
    page.goto(launch_url(course))
    wait_running(page)
    frame = content_frame(page, "content=etiquette")
    assert frame.evaluate("API.GetValue('cmi.entry')") == "resume"
    state = attempt_state(client, token)
    assert state["current"] == "etuqiette_item"
    assert state["scos"]["playing_item"]["success_status"] == "passed"


def test_browser_scorm2004_closing_the_tab_keeps_the_place(
    page: Any, browser: Any, course_from_corpus: Any, launch_url: Any, client: Any
) -> None:
    """pagehide without Terminate: the shell's beacon ends the session as a suspend."""
    course = course_from_corpus(GOLF_2004)
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    wait_running(page)
    frame = content_frame(page, "launchpage.html")
    # A SCO that never terminates: drop the golf SCO's own unload handlers.
    frame.evaluate(
        "window.onbeforeunload = null; window.onunload = null; document.body.onunload = null;"
        "document.body.onbeforeunload = null;"
        "API.SetValue('cmi.suspend_data', 'closed-without-terminate');"
        "API.SetValue('cmi.location', '7');"
    )
    page.close()
    state = wait_for(lambda: attempt_state(client, token), lambda s: s["suspended"])
    sco = next(iter(state["scos"].values()))
    assert sco["entry"] == "resume"
    assert sco["launches"] == 1
    assert sco["total_seconds"] > 0  # no session_time: the server's wall clock counts
    again = browser.new_page()
    again.on("dialog", lambda dialog: dialog.accept())
    again.goto(launch_url(course))
    wait_running(again)
    frame = content_frame(again, "launchpage.html")
    assert frame.evaluate("API.GetValue('cmi.entry')") == "resume"
    assert frame.evaluate("API.GetValue('cmi.suspend_data')") == "closed-without-terminate"
    assert frame.evaluate("API.GetValue('cmi.location')") == "7"
    again.close()
