"""The accessibility statement in Chromium: found from the footer without signing in, a
problem reported (a refused form first), and the report on Admin → Accessibility reports;
axe-core on every state of both pages, in Swedish and English.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, portal_data

WORDS = {
    "sv": {
        "statement": "Tillgänglighetsredogörelse",
        "describe": "Beskriv problemet",
        "send": "Skicka rapporten",
        "thanks": "Tack för att du hör av dig",
        "fill": "Fyll i fältet.",
        "reports": "Rapporter om tillgänglighet",
        "handled": "Markera som hanterad",
    },
    "en": {
        "statement": "Accessibility statement",
        "describe": "Describe the problem",
        "send": "Send the report",
        "thanks": "Thank you for telling us",
        "fill": "Fill in this field.",
        "reports": "Accessibility reports",
        "handled": "Mark as handled",
    },
}


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


def _language(page: Any, language: str) -> None:
    page.locator("#footer-locale").select_option(language)
    page.locator("footer button").click()
    page.wait_for_selector(f"html[lang='{language}']")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_accessibility_statement_report_reaches_the_admins(
    page: Any, live_server: Any, portal: Any, language: str
) -> None:
    axe = make_axe()
    words = WORDS[language]
    portal.user("ada@example.org", role="admin", name="Ada Admin")
    # Anyone, from any page's footer, without signing in.
    page.goto(f"{live_server.url}/login")
    _language(page, language)
    page.locator("footer").get_by_role("link", name=words["statement"]).click()
    page.wait_for_url("**/accessibility")
    heading = page.get_by_role("heading", level=1).inner_text().replace("\u00ad", "")
    assert heading.startswith(words["statement"])
    assert page.get_by_label(words["describe"]).input_value() == ""
    assert page.locator("#page").input_value() == "/login"  # the page the visitor came from
    axe(page)
    # Nothing but spaces: refused, the other fields kept, the problem at the field.
    page.get_by_label(words["describe"]).fill("   ")
    page.locator("#name").fill("Sam Svensson")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_selector("#message-error")
    assert words["fill"] in page.locator("#message-error").inner_text()
    assert page.locator("#message").get_attribute("aria-invalid") == "true"
    assert page.locator("#name").input_value() == "Sam Svensson"
    axe(page)
    page.get_by_label(words["describe"]).fill("The Next button cannot be reached with Tab.")
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_selector(".flash.success")
    assert words["thanks"] in page.locator(".flash.success").inner_text()
    axe(page)
    # The admin finds it in the navigation and marks it handled.
    page.goto(f"{live_server.url}/login")
    page.fill("#email", "ada@example.org")
    page.fill("#password", "correct horse")
    page.locator("main button[type=submit]").click()
    page.wait_for_selector("nav[aria-label]")
    _language(page, language)  # a new session after signing in: the admin's own choice
    page.get_by_role("link", name=words["reports"]).click()
    row = page.locator("tbody tr", has_text="cannot be reached with Tab")
    assert "Sam Svensson" in row.inner_text()
    assert "/login" in row.inner_text()
    axe(page)
    row.get_by_role("button", name=words["handled"]).click()
    page.wait_for_selector(".flash.success")
    assert page.locator("tbody tr", has_text="cannot be reached with Tab").count() == 0
    axe(page)
    page.goto(f"{live_server.url}/admin/accessibility?show=all")
    assert "Ada Admin" in page.locator("tbody tr", has_text="cannot be reached").inner_text()
    axe(page)
