"""A classroom test's whole journey in Chromium (issue 15): an author writes the test, a
participant takes it while the trainer has it open, the trainer sees the results and
enters a paper form, the author reads the question analysis; every new page passes
axe-core in Swedish and English.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, portal_data


@pytest.fixture
def room(app: Any) -> dict[str, int]:
    portal = portal_data(app)
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    course = portal.course("Brandskydd", kind="classroom")
    return {
        "author": portal.user("ann@example.org", role="author", name="Ann Author"),
        "trainer": trainer,
        "course": course,
        "session": portal.session(course, trainer, seats=5),
        "anna": portal.user("anna@example.org", name="Anna Andersson"),
        "bo": portal.user("bo@example.org", name="Bo Berg"),
    }


def _book(app: Any, session_id: int, user_id: int) -> None:
    from accounts import service
    from core.db import db
    from portal import bookings, classroom

    with app.app_context():
        bookings.enrol(classroom.get_session(session_id), service.get_user(user_id))
        db.session.commit()


def _add_question(page: Any, text: str, options: list[str], right: list[int]) -> None:
    form = page.locator("form:has(input[name='action'][value='add'])")
    form.locator("#text_sv").fill(text)
    for n, words in enumerate(options, start=1):
        form.locator(f"#opt{n}_sv").fill(words)
    for n in right:
        form.locator(f"#opt{n}_right").check()
    if len(right) > 1:
        form.locator("#multiple").check()
    form.locator("button[type='submit']").click()
    page.wait_for_selector(".flash.success")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_classroom_test_journey_passes_axe(
    page: Any, live_server: Any, room: dict[str, int], app: Any, language: str
) -> None:
    axe = make_axe()
    url = live_server.url
    session, course = room["session"], room["course"]
    _book(app, session, room["anna"])
    _book(app, session, room["bo"])

    def as_person(email: str) -> None:
        # Signed in a second time, the person's pages are in the language they chose.
        page.context.clear_cookies()
        page.goto(f"{url}/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill("correct horse")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("nav#main-nav", state="attached")
        page.locator("#footer-locale").select_option(language)
        page.locator("footer form button[type='submit']").click()
        page.wait_for_selector(f"html[lang='{language}']")

    # The author writes the test; a refused question shows its errors accessibly.
    as_person("ann@example.org")
    page.goto(f"{url}/author/courses/{course}")
    page.locator(f"a[href='/author/courses/{course}/test']").click()
    axe(page)
    page.locator("form:has(input[name='action'][value='add']) button[type='submit']").click()
    page.wait_for_selector("#text_sv-error")
    axe(page)
    _add_question(page, "Vad släcker en fettbrand?", ["Vatten", "Lock"], [2])
    _add_question(page, "Vilka är utrymningsvägar?", ["Trapphus", "Hiss", "Nödutgång"], [1, 3])
    assert page.locator("ol.test-questions > li").count() == 2
    page.locator("ol.test-questions > li").first.locator("a").click()
    page.wait_for_selector("#text_sv")
    axe(page)
    # The trainer opens it.
    as_person("tom@example.org")
    page.goto(f"{url}/trainer/sessions/{session}")
    page.locator("form[action$='/test'] button[type='submit']").click()
    page.wait_for_selector(".flash.success")
    axe(page)
    # Anna finds it under My learning and answers: one right, one wrong.
    as_person("anna@example.org")
    page.goto(f"{url}/my")
    page.locator("#h-tests + ul a").click()
    page.wait_for_selector("fieldset")
    axe(page)
    page.locator("fieldset").nth(0).locator("label").nth(1).click()
    page.locator("fieldset").nth(1).locator("label").nth(0).click()
    page.locator("main form button[type='submit']").click()
    page.wait_for_selector("#test-result")
    assert "1" in page.locator("#test-result").inner_text()
    axe(page)
    # The trainer sees her result, offered as her score, and enters Bo's paper form.
    as_person("tom@example.org")
    page.goto(f"{url}/trainer/sessions/{session}")
    results = page.locator("#h-test ~ .scroll-region table, #h-test ~ table").first
    assert "Anna Andersson" in results.inner_text()
    assert "50" in results.inner_text()
    assert page.locator("input[name$='-score']").first.input_value() == "50.0"
    results.locator("a").first.click()
    page.wait_for_selector("fieldset")
    axe(page)
    page.locator("fieldset").nth(0).locator("label").nth(1).click()
    page.locator("fieldset").nth(1).locator("label").nth(0).click()
    page.locator("fieldset").nth(1).locator("label").nth(2).click()
    page.locator("main form button[type='submit']").click()
    page.wait_for_selector(".flash.success")
    assert "Bo Berg" in page.locator(".flash.success").inner_text()
    axe(page)
    # The author reads the analysis: two participants, a question's responses.
    as_person("ann@example.org")
    page.goto(f"{url}/author/courses/{course}/questions")
    body = page.locator("main table tbody").inner_text()
    assert "Vad släcker en fettbrand?" in body
    assert "100" in body  # both right on the first question
    axe(page)
    page.locator("main table tbody a").nth(1).click()
    page.wait_for_selector("main table")
    assert "A. Trapphus" in page.locator("main table").inner_text()
    axe(page)
