"""SCORM 2004 4th edition in Chromium: golf "post-test rollup, 4th edition" (corpus #11).

The package's launch page loads jQuery 1.4.3 and jQuery UI 1.8.5 from
ajax.googleapis.com, which neither this machine nor CI can reach; without them its
``doStart`` throws on ``$("#notesWin").dialog(...)`` before it initialises the API. The
tests route those two URLs to jQuery 1.12.4 and jQuery UI 1.13.3 from node_modules (npm
devDependencies in package.json, same major versions) and refuse any other request to
the CDN, so nothing leaves the machine.

Sequencing (imsmanifest.xml): four content SCOs in forced order (each is disabled until
the previous one is *completed*, read from a global objective through 4th-edition
``adlseq:mapInfo readCompletionStatus``), then the quiz. Only the quiz contributes to
rollup (the content SCOs have ``rollupObjectiveSatisfied`` and
``rollupProgressCompletion`` false and measure weight 0), so the course is completed and
passed exactly when the quiz is, and its measure is the quiz's scaled score.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import (
    attempt_state,
    content_frame,
    statement_verbs,
    wait_done,
    wait_running,
)

# Content, the runtime frame and /player/api on another origin than the player page.
pytestmark = pytest.mark.usefixtures("split_origin")

GOLF_4TH = "golf_2004v4_seq_posttest_rollup_4thed.zip"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
CDN = "https://ajax.googleapis.com/"
#: The CDN files the launch page asks for, and the local builds that stand in for them.
LOCAL_BUILDS = {
    CDN + "ajax/libs/jquery/1.4.3/jquery.min.js": NODE_MODULES / "jquery/dist/jquery.min.js",
    CDN + "ajax/libs/jqueryui/1.8.5/jquery-ui.min.js": (
        NODE_MODULES / "jquery-ui/dist/jquery-ui.min.js"
    ),
}
#: Content SCOs in manifest order, with the number of pages each shows.
CONTENT = [
    ("playing_item", "playing", 5),
    ("etuqiette_item", "etiquette", 3),
    ("handicapping_item", "handicapping", 4),
    ("havingfun_item", "havingfun", 2),
]
QUIZ = ("assessment_item", "assessment")


@pytest.fixture
def cdn_page(page: Any) -> tuple[Any, list[str]]:
    """The page with the CDN routed to node_modules; yields it and the URLs served so."""
    for path in LOCAL_BUILDS.values():
        assert path.is_file(), f"{path} is missing: run npm ci (package.json devDependencies)"
    served: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url
        local = LOCAL_BUILDS.get(url)
        if local is None:
            route.abort()
            return
        served.append(url)
        route.fulfill(path=str(local), content_type="application/javascript")

    page.route(CDN + "**", route)
    page.on("dialog", lambda dialog: dialog.accept())
    return page, served


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _sco_frame(page: Any, content: str) -> Any:
    """The launch page of one SCO, once its API session is running."""
    frame = content_frame(page, f"content={content}")
    wait_running(page)
    return frame


def _read_to_the_end(frame: Any, pages: int) -> None:
    """Page through a content SCO with its own Next button; the last page completes it."""
    for _ in range(pages - 1):
        frame.click("#butNext")
    assert frame.is_disabled("#butNext")
    assert frame.evaluate("API.GetValue('cmi.completion_status')") == "completed"


def _answer_quiz(frame: Any) -> None:
    """Answer every question right: the template marks the right answers' rows."""
    quiz = frame.child_frames[0]
    quiz.wait_for_selector("#frmTest")
    for radio in quiz.query_selector_all(".correctAnswer input[type=radio]"):
        radio.check()
    for field in quiz.query_selector_all(".correctAnswer input[type=text]"):
        shown = field.evaluate("e => e.parentNode.textContent")  # " (18)"
        field.fill(shown.strip().strip("()"))
    quiz.click("input[value='Submit Answers']")
    quiz.wait_for_selector("text=Score: 100")


def test_browser_golf4th_posttest_rollup_through_the_course(
    cdn_page: tuple[Any, list[str]],
    course_from_corpus: Any,
    launch_url: Any,
    client: Any,
    xapi: Any,
) -> None:
    page, served = cdn_page
    course = course_from_corpus(GOLF_4TH)
    url = launch_url(course)
    page.goto(url)
    frame = _sco_frame(page, "playing")
    assert sorted(served) == sorted(LOCAL_BUILDS)  # both CDN scripts came from node_modules
    assert frame.evaluate("jQuery.fn.jquery") == "1.12.4"
    # The notes window is a jQuery UI dialog: it opens, so the page's scripts all ran.
    frame.click("#butNotes")
    assert frame.is_visible(".ui-dialog #notesWin")
    frame.click("#butSaveNotes")
    assert not frame.is_visible("#notesWin")
    # Forced order: the next SCO waits for this one's completion (global objective).
    assert "disabled" in page.get_attribute('.toc-item[data-id="etuqiette_item"]', "class")

    for index, (_item, content, pages) in enumerate(CONTENT):
        if index:
            frame = _sco_frame(page, content)
        _read_to_the_end(frame, pages)
        page.click("#next-btn")  # the player's continue: flow to the next activity
    frame = _sco_frame(page, QUIZ[1])
    state = attempt_state(client, _token(url))
    assert state["current"] == QUIZ[0]
    for item, _content, _pages in CONTENT:
        assert state["scos"][item]["completion_status"] == "completed", (item, state)
    # Content is complete, yet the course is not: only the quiz rolls up.
    assert state["completion_status"] != "completed"
    assert state["success_status"] != "passed"

    _answer_quiz(frame)
    frame.evaluate("doExit()")  # the SCO's own exit (its button is commented out): exitAll
    wait_done(page)
    state = attempt_state(client, _token(url))
    assert state["ended"] is True
    assert state["scos"][QUIZ[0]]["success_status"] == "passed"
    assert state["completion_status"] == "completed"
    assert state["success_status"] == "passed"
    assert state["score_scaled"] == pytest.approx(1.0)

    # Per SCO: launched once, completed once; every SCO leaves with cmi.exit "suspend"
    # (its unload handler sets it, even after doExit's ""); the quiz scored and passed.
    # The course itself: completed and passed once, by the rollup (player/outcome.py).
    assert Counter(statement_verbs(xapi, state["registration"])) == {
        "initialized": 5,
        "completed": 5 + 1,
        "suspended": 5,
        "scored": 1,
        "passed": 1 + 1,
    }
    response = xapi.get(
        "statements",
        query={"registration": state["registration"], "verb": _verb("passed")},
    )
    quiz, course = sorted(
        response.get_json()["statements"],
        key=lambda s: s["object"]["id"].endswith(QUIZ[0]),
        reverse=True,
    )
    assert quiz["object"]["id"].endswith(QUIZ[0])
    assert quiz["result"]["score"]["scaled"] == pytest.approx(1.0)
    assert course["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/course"
    assert course["result"]["score"]["scaled"] == pytest.approx(1.0)


def _verb(name: str) -> str:
    return f"http://adlnet.gov/expapi/verbs/{name}"


def test_browser_golf4th_notes_are_shared_between_scos(
    cdn_page: tuple[Any, list[str]], course_from_corpus: Any, launch_url: Any
) -> None:
    """4th-edition shared data: every item maps adl.data to one notes bucket."""
    page, _served = cdn_page
    page.goto(launch_url(course_from_corpus(GOLF_4TH)))
    frame = _sco_frame(page, "playing")
    assert frame.evaluate("API.GetValue('adl.data._count')") == "1"
    frame.click("#butNotes")
    frame.fill("#txtNotes", "Keep the head down")
    frame.click("#butSaveNotes")
    _read_to_the_end(frame, CONTENT[0][2])
    page.click("#next-btn")
    frame = _sco_frame(page, "etiquette")
    frame.click("#butNotes")
    assert frame.input_value("#txtNotes") == "Keep the head down"
