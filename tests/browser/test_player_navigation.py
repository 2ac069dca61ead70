"""The player's navigation in Chromium, with packages built in the test (tests/player/builds.py).

- a cmi5 course of eight AUs with mixed moveOn, each AU a page that reads its launch
  URL, calls the fetch URL and posts its statements with fetch(), and "terminated" as
  the player's Next unloads it: satisfied only after the last AU, never abandoned, and
  My learning lists the course once;
- a one-SCO course has no Next or Previous, and "Save and exit" saves;
- the browser's Back leaves the player for the portal page the learner came from.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest_portal import make_sign_in
from tests.browser.helpers import (
    attempt_state,
    content_frame,
    statement_verbs,
    wait_done,
    wait_for,
    wait_running,
    wait_true,
)
from tests.player.builds import CMI5_COURSE, EIGHT_AUS, cmi5_zip, slides_zip

PASSWORD = "correct horse battery"  # the learner_id fixture's


@pytest.fixture
def built(app: Flask) -> Any:
    """Import a package built in the test as a published course; return its id."""
    from core.db import db
    from packages import service as packages

    def make(data: bytes, title: str) -> int:
        with app.app_context():
            result = packages.import_package(io.BytesIO(data), published=True, title=title)
            packages.set_published(result.course, True)
            db.session.commit()
            return result.course.id

    return make


@pytest.fixture
def signed_in(page: Any, live_server: Any, learner_id: int) -> Any:
    """The learner signed in on the page (the portal pages need it)."""
    make_sign_in(live_server)(page, "grace@example.org", PASSWORD)
    return page


def sections(page: Any, url: str) -> dict[str, str]:
    """My learning's "In progress" and "Completed" text, read in a second tab."""
    tab = page.context.new_page()
    try:
        tab.goto(f"{url}/my")
        return {
            name: tab.locator(f"section[aria-labelledby='h-{name}']").inner_text()
            for name in ("progress", "done")
        }
    finally:
        tab.close()


@pytest.mark.usefixtures("split_origin")
def test_browser_cmi5_eight_aus_satisfied_after_the_last(
    signed_in: Any, live_server: Any, built: Any, launch_url: Any, client: Any, xapi: Any
) -> None:
    page = signed_in
    course = built(cmi5_zip(), "Eight AUs")
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.goto(url)
    registration = attempt_state(client, token)["registration"]
    for index, au in enumerate(EIGHT_AUS):
        frame = content_frame(page, f"/{au.name}.html")
        wait_true(frame, "window.auReported === true")
        if index == len(EIGHT_AUS) - 1:
            break
        assert page.is_enabled("#next-btn")
        page.click("#next-btn")  # the AU is unloaded: it sends "terminated" as it goes
        if index == 0:
            content_frame(page, f"/{EIGHT_AUS[1].name}.html")
            shown = sections(page, live_server.url)
            assert "Eight AUs" in shown["progress"]
            assert "Eight AUs" not in shown["done"]
    # The last AU: nowhere to go next; the learner saves and exits.
    assert page.is_disabled("#next-btn")
    satisfied = [
        s["object"]["id"]
        for s in xapi.get(
            "statements", query={"registration": registration, "limit": 500}
        ).get_json()["statements"]
        if s["verb"]["id"].endswith("/satisfied")
    ]
    assert CMI5_COURSE not in satisfied
    page.click("#exit-btn")
    wait_done(page)
    verbs = wait_for(
        lambda: statement_verbs(xapi, registration), lambda v: v.count("terminated") == 8
    )
    assert verbs.count("terminated") == 8, verbs
    assert "abandoned" not in verbs
    shown = sections(page, live_server.url)
    assert "Eight AUs" not in shown["progress"]
    assert "Eight AUs" in shown["done"]
    assert "90%" in shown["done"]


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_browser_one_sco_course_has_no_next_and_saves_on_exit(
    page: Any, built: Any, launch_url: Any, client: Any, version: str
) -> None:
    course = built(slides_zip(version), "Slides")
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.goto(url)
    wait_running(page)
    frame = content_frame(page, "sco1.html")
    assert page.is_hidden("#next-btn")
    assert page.is_hidden("#prev-btn")
    for _ in range(4):
        frame.click("#next-slide")
    assert frame.evaluate("window.slide()") == 5
    page.click("#exit-btn")
    wait_done(page)
    assert page.inner_text("#done-text") == "Your place is saved. You can close this window."
    state = attempt_state(client, token)
    assert (state["suspended"], state["ended"]) == (True, False)
    # Launched again: the slide where the learner left.
    page.goto(launch_url(course))
    wait_running(page)
    frame = content_frame(page, "sco1.html")
    assert frame.inner_text("#slide") == "Slide 5 of 7"


@pytest.mark.parametrize("origins", ["one", "two"])
def test_browser_back_leaves_the_player_for_the_portal(
    request: Any,
    signed_in: Any,
    live_server: Any,
    built: Any,
    launch_url: Any,
    client: Any,
    origins: str,
) -> None:
    if origins == "two":
        request.getfixturevalue("content_port")
    page = signed_in
    course = built(slides_zip("1.2", scos=2), "Two parts")
    page.goto(f"{live_server.url}/my")
    url = launch_url(course)
    token = url.rsplit("/", 1)[-1]
    page.goto(url)
    wait_running(page)
    content_frame(page, "sco1.html").click("#next-slide")
    page.click("#next-btn")  # the player loads the second SCO in the content frame
    frame = content_frame(page, "sco2.html")
    wait_running(page)
    frame.click("#next-slide")
    # One Back: the portal page the learner came from, not the first SCO or a blank frame.
    page.evaluate("history.back()")
    page.wait_for_url(f"{live_server.url}/my")
    assert page.get_by_role("heading", name="My learning").is_visible()
    # Leaving saved the SCO where the learner was (the pagehide beacon).
    state = wait_for(
        lambda: attempt_state(client, token),
        lambda s: s["scos"].get("item2", {}).get("entry") == "resume",
    )
    assert state["scos"]["item2"]["entry"] == "resume"
