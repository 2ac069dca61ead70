"""SCORM 1.2 authoring-tool exports in Chromium: Adobe Captivate and Adapt (corpus #22, #24).

Why neither reached LMSInitialize in headless Chromium (console and network in Playwright):

- Captivate: the player was never asked to launch it. The manifest's item identifier is
  ``chapter 1_Test`` (with a space); ``player.course_tree.sco_activity_id`` puts it into the
  SCO's activity IRI unescaped, so the "start" navigation request's statements are
  refused by the LRS (400, "[0].object.id: Not a valid IRI") and the content frame stays
  on about:blank. With the identifier escaped (``sco_activity_id`` now does), the SCORM
  driver in the package finds ``API`` in the parent frame and initialises in under a
  second.
- Adapt: the package is incomplete. Adapt reads ``_defaultLanguage`` ("en") from
  ``course/config.json`` and loads its course from ``course/en/course.json``,
  ``contentObjects.json``, ``articles.json``, ``blocks.json`` and ``components.json``.
  Checked against the build (``adapt/js/adapt.min.js``): the folder is
  ``"course/" + config._defaultLanguage + "/"``, and the build embeds no course data (its
  ``_courseData`` module is an empty object). None of these files is in the zip, in any
  folder or letter case (nor in the source repository at the pinned commit), so every
  request is a 404, while the files it does ship (``course/config.json``, ``theme.json``,
  ``settings.json``) are served 200 as JSON: our content serving is not at fault. Adapt
  never fires ``app:dataReady``, and its tracking extension (spoor) only calls
  LMSInitialize on that event, so the course cannot start in any LMS. The import says so
  to the author (``packages.builds``: "Adapt course: course/en/course.json is missing
  ...; the course will not start"). Its font request to fonts.googleapis.com fails here
  too but blocks nothing. The second Adapt test serves small synthetic course files
  (made up here, not Adapt content) to show the rest of the package works in our frame
  layout: it finds the API through the parent frames and initialises, suspends, resumes.
"""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from tests.browser.conftest import CORPUS
from tests.browser.helpers import attempt_state, content_frame, wait_done, wait_running

# Content, the runtime frame and /player/api on another origin than the player page.
pytestmark = pytest.mark.usefixtures("split_origin")

CAPTIVATE = "captivate_scorm12_chapter1.zip"
ADAPT = "adapt_scorm12_gowning_course.zip"
ADAPT_COURSE_FILES = ("course", "contentObjects", "articles", "blocks", "components")
API = "window.parent.API"  # the shell's API object, as the content frame sees it


def _api(frame: Any, *calls: str) -> list[str]:
    """Run ``API.<call>`` expressions in the content frame; return their results."""
    return frame.evaluate("[" + ", ".join(f"{API}.{call}" for call in calls) + "]")


def _set(frame: Any, *calls: str) -> None:
    """Run API calls that must all answer "true" (LMSSetValue, LMSCommit, LMSFinish)."""
    results = _api(frame, *calls)
    assert results == ["true"] * len(calls), list(zip(calls, results, strict=True))


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _is_navigate(response: Any) -> bool:
    return response.url.endswith("/navigate")


def test_browser_captivate_initialises_suspends_resumes_and_passes(
    page: Any, course_from_corpus: Any, launch_url: Any, client: Any
) -> None:
    course = course_from_corpus(CAPTIVATE)
    url = launch_url(course)
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_response(_is_navigate) as started:
        page.goto(url)
    response = started.value
    assert response.ok, response.text()
    wait_running(page)  # the package's SCORM Driver found API in the parent and initialised
    frame = content_frame(page, "index_scorm.html")
    assert _api(frame, "LMSGetValue('cmi.core.entry')") == ["ab-initio"]
    _set(
        frame,
        "LMSSetValue('cmi.core.score.raw', '40')",
        "LMSSetValue('cmi.core.score.min', '0')",
        "LMSSetValue('cmi.core.score.max', '100')",
        "LMSCommit('')",
    )
    # Save and exit: the shell unloads the content, whose driver suspends and finishes.
    page.click("#exit-btn")
    wait_done(page)
    state = attempt_state(client, _token(url))
    assert state["suspended"] is True
    assert state["ended"] is False
    assert abs(state["score_scaled"] - 0.4) < 1e-9

    page.goto(launch_url(course))
    wait_running(page)
    frame = content_frame(page, "index_scorm.html")
    entry, score, suspend_data = _api(
        frame,
        "LMSGetValue('cmi.core.entry')",
        "LMSGetValue('cmi.core.score.raw')",
        "LMSGetValue('cmi.suspend_data')",
    )
    assert (entry, score) == ("resume", "40")
    assert suspend_data  # Captivate's own resume state came back
    _set(
        frame,
        "LMSSetValue('cmi.core.score.raw', '90')",
        "LMSSetValue('cmi.core.lesson_status', 'passed')",
        "LMSFinish('')",
    )
    wait_done(page)
    state = attempt_state(client, _token(url))
    assert state["success_status"] == "passed"
    assert abs(state["score_scaled"] - 0.9) < 1e-9


def test_browser_adapt_package_lacks_its_course_files(
    app: Any, page: Any, course_from_corpus: Any, launch_url: Any
) -> None:
    from packages.service import latest_published_version

    with zipfile.ZipFile(CORPUS / ADAPT) as package:
        names = package.namelist()
        config = json.loads(package.read("course/config.json"))
    assert config["_defaultLanguage"] == "en"
    data_files = {f"{name.lower()}.json" for name in ADAPT_COURSE_FILES}
    assert not [n for n in names if n.rsplit("/", 1)[-1].lower() in data_files]  # anywhere
    course = course_from_corpus(ADAPT)
    with app.app_context():  # the author was told at import
        version = latest_published_version(course)
        assert version is not None
        assert any(
            w["file"] == "course/config.json"
            and w["message"].startswith("Adapt course: course/en/course.json is missing")
            and "the course will not start" in w["message"]
            for w in version.warnings
        ), version.warnings

    shipped = {f"/course/{name}.json" for name in ("config", "theme", "settings")}
    wanted = {f"/course/en/{name}.json" for name in ADAPT_COURSE_FILES}
    answers: dict[str, tuple[int, str]] = {}

    def on_response(response: Any) -> None:
        for path in shipped | wanted:
            if response.url.endswith(path):
                answers[path] = (response.status, response.headers.get("content-type", ""))

    page.on("response", on_response)
    page.goto(launch_url(course))
    frame = content_frame(page, "/index.html")
    # The API is where SCORM 1.2 says to look (the parent frame), ready to be initialised.
    assert frame.evaluate(f"typeof {API}.LMSInitialize") == "function"
    while not (shipped | wanted) <= set(answers):  # Adapt asks for each course file
        page.wait_for_event("response")
    for path in shipped:  # what the package has is served, as JSON
        status, content_type = answers[path]
        assert status == 200, path
        assert content_type.startswith("application/json"), (path, content_type)
    assert {path: answers[path][0] for path in wanted} == dict.fromkeys(wanted, 404)
    # Adapt's data never became ready, so spoor never initialised the API.
    assert frame.evaluate(f"{API}.isNotInitialized()") is True
    assert frame.locator(".loading").is_visible()  # Adapt's spinner, for good


def _synthetic_course_file(route: Any) -> None:
    """Stand-ins for the package's missing course/en/*.json (the smallest Adapt accepts)."""
    name = route.request.url.rsplit("/", 1)[-1].removesuffix(".json")
    body: Any = []
    if name == "course":
        body = {
            "_id": "course",
            "_type": "course",
            "title": "Synthetic",
            "body": "",
            "_globals": {},
        }
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_browser_adapt_with_course_files_initialises_suspends_and_resumes(
    page: Any, course_from_corpus: Any, launch_url: Any, client: Any
) -> None:
    page.route("**/course/en/*.json", _synthetic_course_file)
    course = course_from_corpus(ADAPT)
    url = launch_url(course)
    page.goto(url)
    wait_running(page)  # spoor found API through the parent frames and initialised
    frame = content_frame(page, "/index.html")
    assert _api(frame, "LMSGetValue('cmi.core.entry')") == ["ab-initio"]
    assert _api(frame, "LMSGetValue('cmi.core.lesson_status')") == ["incomplete"]  # spoor's
    _set(
        frame,
        "LMSSetValue('cmi.core.score.raw', '65')",
        "LMSSetValue('cmi.core.score.min', '0')",
        "LMSSetValue('cmi.core.score.max', '100')",
        "LMSSetValue('cmi.core.lesson_location', 'co-05')",
        "LMSCommit('')",
    )
    page.click("#exit-btn")  # unload: spoor finishes with exit=suspend (not completed yet)
    wait_done(page)
    state = attempt_state(client, _token(url))
    assert state["suspended"] is True
    assert state["completion_status"] == "incomplete"
    assert abs(state["score_scaled"] - 0.65) < 1e-9

    page.goto(launch_url(course))
    wait_running(page)
    frame = content_frame(page, "/index.html")
    assert _api(
        frame,
        "LMSGetValue('cmi.core.entry')",
        "LMSGetValue('cmi.core.lesson_location')",
        "LMSGetValue('cmi.core.score.raw')",
    ) == ["resume", "co-05", "65"]
    _set(
        frame,
        "LMSSetValue('cmi.core.score.raw', '80')",
        "LMSSetValue('cmi.core.lesson_status', 'passed')",
        "LMSFinish('')",
    )
    wait_done(page)
    state = attempt_state(client, _token(url))
    assert state["success_status"] == "passed"
    assert abs(state["score_scaled"] - 0.8) < 1e-9
