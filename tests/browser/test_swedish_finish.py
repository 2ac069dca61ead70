"""Swedish in Chromium: the player page of a Swedish learner (its texts, the course's
title), and the validation report of a refused package on a Swedish author's page; both
checked with axe-core in Swedish and English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.browser.helpers import wait_done, wait_running
from tests.browser.test_player_review import GOLF_12, set_locale
from tests.portal.conftest import MANIFEST_12, package_zip

PLAYER = {
    "sv": {
        "exit": "Spara och avsluta",
        "back": "Tillbaka till portalen",
        "resume": "Fortsätt där du var",
        "done": "Din plats är sparad. Du kan stänga fönstret.",
    },
    "en": {
        "exit": "Save and exit",
        "back": "Back to the portal",
        "resume": "Continue",
        "done": "Your place is saved. You can close this window.",
    },
}
REPORT = {
    "sv": ("Valideringsrapport", "Startfilen 'start.html' för resursen 'r1' finns inte i paketet"),
    "en": ("Validation report", "Resource 'r1' launch file 'start.html' is not in the package"),
}


def rename(app: Flask, course_id: int, title: str) -> str:
    """Rename the course as an author does; return the package's own title."""
    from core.db import db
    from packages.models import Course

    with app.app_context():
        course = db.session.get(Course, course_id)
        assert course is not None
        before = course.title
        course.title = title
        db.session.commit()
    return before


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_swedish_player_page_texts_and_the_courses_title(
    app: Flask,
    page: Any,
    live_server: Any,
    split_origin: str,
    learner_id: int,
    course_from_corpus: Any,
    launch_url: Any,
    locale: str,
) -> None:
    make_sign_in(live_server)(page, "grace@example.org", "correct horse battery")
    set_locale(app, learner_id, locale)
    page.on("dialog", lambda dialog: dialog.accept())
    course = course_from_corpus(GOLF_12)
    package_title = rename(app, course, "Golf för nybörjare")
    page.goto(launch_url(course))
    wait_running(page)
    texts = PLAYER[locale]
    assert page.title() == "Golf för nybörjare"
    assert page.locator("#course-title").inner_text() == "Golf för nybörjare"
    assert package_title not in page.inner_text("body")
    assert page.locator("html").get_attribute("lang") == locale
    assert page.locator("#exit-btn").inner_text() == texts["exit"]
    make_axe()(page)
    page.click("#exit-btn")
    wait_done(page)
    # The end panel: the server's message, translated by the page (player.js, "say").
    assert page.locator("#done-text").inner_text() == texts["done"]
    assert page.locator("#resume-btn").inner_text() == texts["resume"]
    assert page.locator("#return-link").inner_text() == texts["back"]
    if locale == "sv":
        body = page.inner_text("body")
        assert not re.search(r"\b(the|your|you|Save|Back|Continue|course)\b", body), body
    make_axe()(page)


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_swedish_refused_package_report_in_the_authors_language(
    app: Flask, page: Any, live_server: Any, locale: str
) -> None:
    from accounts.models import User
    from core.db import db

    portal = portal_data(app)
    author = portal.user("maja@example.org", role="author", name="Maja Författare")
    make_sign_in(live_server)(page, "maja@example.org")
    with app.app_context():
        user = db.session.get(User, author)
        assert user is not None
        user.locale = locale
        db.session.commit()
    page.goto(f"{live_server.url}/author")
    manifest = MANIFEST_12.format(title="Brandskydd").replace(
        'href="index.html">', 'href="start.html">'
    )
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "brandskydd.zip",
                "mimeType": "application/zip",
                "buffer": package_zip(manifest=manifest),
            }
        ],
    )
    page.locator("#h-upload + form button[type=submit]").click()
    heading, message = REPORT[locale]
    report = page.locator("section[aria-labelledby='h-validation']")
    report.wait_for()
    assert report.locator("h2").inner_text() == heading
    rows = report.locator("tbody tr")
    assert rows.count() == 1
    assert rows.locator("td").nth(3).inner_text() == message
    make_axe()(page)
