"""Learning paths in Chromium: an author builds and publishes a path, a learner opens it
from the catalogue; every path page passes axe-core in Swedish and English."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data


@pytest.fixture
def people(app: Any) -> dict[str, int]:
    portal = portal_data(app)
    return {
        "ann": portal.user("ann@example.org", role="author", name="Ann Author"),
        "lea": portal.user("lea@example.org", name="Lea Lind"),
        "intro": portal.course("Introduktion"),
        "fire": portal.course("Brandskydd"),
    }


def _choose_language(page: Any, url: str, language: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_path_pages_work_and_pass_axe(
    page: Any, live_server: Any, people: dict[str, int], language: str
) -> None:
    axe = make_axe()
    sign_in = make_sign_in(live_server)
    sign_in(page, "ann@example.org")
    page.goto(f"{live_server.url}/author/paths")
    page.get_by_label("Title").fill("Ny medarbetare")
    page.get_by_role("button", name="Create learning path").click()
    page.wait_for_url("**/author/paths/*")
    for title in ("Introduktion", "Brandskydd"):
        page.get_by_label("Add a course").select_option(label=title)
        page.get_by_role("button", name="Add", exact=True).click()
        page.wait_for_selector(f"ol.steps >> text={title}")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published.")
    path_url = page.url
    _choose_language(page, live_server.url, language)
    for address in ("/author/paths", path_url.replace(live_server.url, "")):
        page.goto(live_server.url + address)
        axe(page)

    page.context.clear_cookies()
    sign_in(page, "lea@example.org")
    _choose_language(page, live_server.url, language)
    page.goto(f"{live_server.url}/catalogue")
    page.get_by_role("link", name="Lärvägar" if language == "sv" else "Learning paths").click()
    axe(page)
    page.get_by_role("link", name="Ny medarbetare").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # waits for the page the click opened
    assert "Introduktion" in rows.nth(0).inner_text()
    axe(page)
