"""Course evaluations in Chromium: learners evaluate a course from My learning, and its
author sees the figures only once the fifth person has answered; every evaluation page
passes axe-core in Swedish and English."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest import LiveServer
from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.conftest import signed_in
from tests.portal.evaluation_helpers import Evals, evaluate

CSRF = "test-csrf-token"


@pytest.fixture
def course(app: Flask, make_xapi: Any) -> dict[str, Any]:
    """Five learners who completed "Brandskydd grund", an author, an admin, the questions."""
    portal = portal_data(app)
    evals = Evals(app, make_xapi(["all"], trusted=True))
    course = portal.course("Brandskydd grund")
    people = [portal.user(f"l{i}@example.org", name=f"Learner {i}") for i in range(5)]
    for person in people:
        evals.completed(person, course)
    return {
        "course": course,
        "people": people,
        "questions": evals.questions(),
        "evals": evals,
        "portal": portal,
        "author": portal.user("ann@example.org", role="author", name="Ann Author"),
        "admin": portal.user("ada@example.org", role="admin", name="Ada Admin"),
    }


def _evaluate_in_page(page: Any, live_server: LiveServer, email: str, comment: str) -> None:
    """A learner signs in, finds the course under "To evaluate" and answers."""
    make_sign_in(live_server)(page, email)
    page.goto(f"{live_server.url}/my")
    page.get_by_role("link", name="Evaluate Brandskydd grund").click()
    page.get_by_role("group", name="The course was relevant to my work").get_by_label(
        "4 Mostly true"
    ).check()
    page.get_by_role("group", name="The content was easy to understand").get_by_label(
        "5 Completely true"
    ).check()
    page.get_by_label("Comment (optional)").fill(comment)
    page.get_by_role("button", name="Send the evaluation").click()
    page.wait_for_selector("text=Thank you! Your evaluation has been saved.")
    assert page.get_by_role("link", name="Evaluate Brandskydd grund").count() == 0
    page.get_by_role("button", name="Sign out").click()


def test_an_evaluation_is_shown_only_after_the_fifth_answer(
    app: Flask, browser: Any, page: Any, live_server: LiveServer, course: dict[str, Any]
) -> None:
    # Three answer without a browser (the same form, through the test client).
    for person in course["people"][:3]:
        client = signed_in(app.test_client(), person, CSRF)
        url = f"/my/evaluations/courses/{course['course']}"
        assert evaluate(client, url, course["questions"], 4, 4, comment="").status_code == 302
    _evaluate_in_page(page, live_server, "l3@example.org", "Bra exempel från vården")

    author = browser.new_context(locale="en-GB")
    try:
        view = author.new_page()
        make_sign_in(live_server)(view, "ann@example.org")
        view.goto(f"{live_server.url}/author/courses/{course['course']}")
        view.get_by_role("link", name="Evaluations", exact=True).last.click()
        assert view.get_by_role("status").inner_text() == "Not enough answers yet (4 of 5)"
        assert view.get_by_text("Bra exempel från vården").count() == 0
        assert view.locator("svg.chart").count() == 0

        _evaluate_in_page(page, live_server, "l4@example.org", "Alltför kort")
        view.reload()
        assert view.get_by_text("Based on 5 answers.").is_visible()
        table = view.get_by_role("table", name="Answers per question")
        relevant = table.get_by_role("row", name="The course was relevant to my work")
        assert "4.0" in relevant.inner_text()
        assert view.locator("svg.chart").count() == 2
        comments = view.locator("ul.comments li").all_inner_texts()
        assert comments == ["Alltför kort", "Bra exempel från vården"]
        assert view.get_by_text("Learner 3").count() == 0
    finally:
        author.close()


def _language(page: Any, live_server: LiveServer, language: str) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_evaluation_pages_pass_axe(
    app: Flask, page: Any, live_server: LiveServer, course: dict[str, Any], language: str
) -> None:
    axe = make_axe()
    portal, evals = course["portal"], course["evals"]
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    classroom = portal.course("Lyftteknik", kind="classroom")
    session = portal.session(classroom, trainer)
    learners = [portal.user(f"k{i}@example.org") for i in range(5)]
    evals.attended(session, trainer, dict.fromkeys(learners, True))
    for person in learners:
        client = signed_in(app.test_client(), person, CSRF)
        url = f"/my/evaluations/sessions/{session}"
        assert evaluate(client, url, course["questions"], 3, 5, comment="Bra").status_code == 302

    # A learner: the home page and My learning ask; the form, refused and as sent.
    make_sign_in(live_server)(page, "l0@example.org")
    _language(page, live_server, language)
    for path in ("/", "/my", f"/my/evaluations/courses/{course['course']}"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == language
        axe(page)
    # Sent with nothing chosen (past the browser's own check): the problems, at their fields.
    page.locator("main form").evaluate("form => { form.noValidate = true; }")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#form-problems")
    axe(page)
    assert page.locator("[aria-invalid=true], fieldset[aria-describedby]").count() == 2
    page.get_by_role("button", name="Logga ut" if language == "sv" else "Sign out").click()

    # The admin: every summary (hidden and shown) and the questions.
    make_sign_in(live_server)(page, "ada@example.org")
    _language(page, live_server, language)
    for path in (
        "/evaluations",
        f"/evaluations/courses/{course['course']}",  # not enough answers yet
        f"/evaluations/courses/{classroom}",  # shown, per session
        f"/evaluations/sessions/{session}",
        f"/evaluations/trainers/{trainer}",
        "/admin/evaluation-questions",
        f"/admin/evaluation-questions/{course['questions'][0]}",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == language
        axe(page)
