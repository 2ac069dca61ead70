"""Question analysis in Chromium (issue 15): a corpus package with interactions (Adobe
Captivate, corpus #22) records a learner's answers through the SCORM API in its own
content frame; the author reads the version's questions and one question's responses,
and both pages pass axe-core in Swedish and English."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.browser.helpers import (
    attempt_state,
    content_frame,
    statement_verbs,
    wait_for,
    wait_running,
)

pytestmark = pytest.mark.usefixtures("split_origin")

CAPTIVATE = "captivate_scorm12_chapter1.zip"
API = "window.parent.API"


def _answer(frame: Any, index: int, ident: str, response: str, result: str) -> list[str]:
    calls = [
        f"LMSSetValue('cmi.interactions.{index}.id', '{ident}')",
        f"LMSSetValue('cmi.interactions.{index}.type', 'choice')",
        f"LMSSetValue('cmi.interactions.{index}.student_response', '{response}')",
        f"LMSSetValue('cmi.interactions.{index}.result', '{result}')",
    ]
    return frame.evaluate("[" + ", ".join(f"{API}.{call}" for call in calls) + "]")


@pytest.fixture
def answered(page: Any, course_from_corpus: Any, launch_url: Any, client: Any, xapi: Any) -> int:
    """The learner answers two questions in the Captivate course (one right, one wrong)."""
    course = course_from_corpus(CAPTIVATE)
    url = launch_url(course)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url)
    wait_running(page)
    frame = content_frame(page, "index_scorm.html")
    assert _answer(frame, 0, "Q1_fire_exit", "b", "correct") == ["true"] * 4
    assert _answer(frame, 1, "Q2_extinguisher", "c", "wrong") == ["true"] * 4
    assert frame.evaluate(f"{API}.LMSCommit('')") == "true"
    registration = attempt_state(client, url.rsplit("/", 1)[-1])["registration"]
    verbs = wait_for(
        lambda: statement_verbs(xapi, registration), lambda v: v.count("answered") == 2
    )
    assert verbs.count("answered") == 2
    page.context.clear_cookies()
    return int(course)


def test_author_reads_the_questions_of_a_corpus_course(
    page: Any, live_server: Any, app: Any, answered: int
) -> None:
    portal_data(app).user("ann@example.org", role="author", name="Ann Author")
    make_sign_in(live_server)(page, "ann@example.org")
    page.goto(f"{live_server.url}/author/courses/{answered}")
    page.get_by_role("link", name="Question analysis").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # waits for the page the click opened
    assert "Q1_fire_exit" in rows.nth(0).inner_text()
    assert "100%" in rows.nth(0).inner_text()
    assert "0%" in rows.nth(1).inner_text()
    rows.nth(1).get_by_role("link").click()
    page.wait_for_selector("h1:has-text('Q2_extinguisher')")
    assert page.locator("tbody tr").inner_text().split("\t")[:2] == ["c", "1"]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_question_pages_pass_axe(
    page: Any, live_server: Any, app: Any, answered: int, language: str
) -> None:
    portal_data(app).user("ann@example.org", role="author", name="Ann Author")
    make_sign_in(live_server)(page, "ann@example.org")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")
    axe = make_axe()
    page.goto(f"{live_server.url}/author/courses/{answered}/questions")
    axe(page)
    page.locator("table tbody tr").nth(0).get_by_role("link").click()
    page.wait_for_selector("h1:has-text('Q1_fire_exit')")
    axe(page)
