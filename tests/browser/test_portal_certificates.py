"""Certificates in Chromium: a learner downloads one from My learning, and a stranger
checks it by the address in its QR code; the checking page passes axe-core in Swedish
and English."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.test_certificates import VERB, read_pdf


@pytest.fixture
def passed(app: Any, make_xapi: Any) -> dict[str, int]:
    portal = portal_data(app)
    lea = portal.user("lea@example.org", name="Lea Lindström")
    course = portal.course("Brandskydd grund")
    home = app.config["AGENT_HOMEPAGE"]
    statement = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(lea)}},
        "verb": {"id": VERB + "passed"},
        "object": {"objectType": "Activity", "id": f"{home}/courses/{course}"},
    }
    assert make_xapi(["all"], trusted=True).post("statements", [statement]).status_code == 200
    return {"lea": lea, "course": course}


def _download(page: Any, live_server: Any, tmp_path: Path) -> str:
    """Lea downloads her certificate from My learning; the address in its QR code."""
    make_sign_in(live_server)(page, "lea@example.org")
    page.goto(f"{live_server.url}/my")
    with page.expect_download() as download:
        page.get_by_role("link", name="Certificate (PDF) Brandskydd grund").click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    _text, url = read_pdf(saved.read_bytes())
    return str(url)


def test_certificate_downloaded_and_checked_through_its_qr_code(
    browser: Any, page: Any, live_server: Any, passed: dict[str, int], tmp_path: Path
) -> None:
    url = _download(page, live_server, tmp_path)
    assert url.startswith(live_server.url + "/certificates/")
    stranger = browser.new_context(locale="en-GB")  # no cookies: nobody signed in
    try:
        check = stranger.new_page()
        check.goto(url)
        assert check.get_by_role("status").inner_text() == "This certificate is genuine and valid."
        facts = check.locator("table").inner_text()
        assert "Lea Lindström" in facts
        assert "Brandskydd grund" in facts
    finally:
        stranger.close()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_certificate_check_page_passes_axe(
    browser: Any, page: Any, live_server: Any, passed: dict[str, int], tmp_path: Path, language: str
) -> None:
    url = _download(page, live_server, tmp_path)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")
    axe = make_axe()
    page.goto(f"{live_server.url}/my")
    axe(page)
    stranger = browser.new_context(locale="sv-SE" if language == "sv" else "en-GB")
    try:
        check = stranger.new_page()
        check.goto(url)
        assert check.locator("html").get_attribute("lang") == language
        axe(check)
    finally:
        stranger.close()
