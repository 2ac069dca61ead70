"""Keyboard use and the Swedish UI in Chromium, checked with axe-core."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


def test_portal_keyboard_skip_link_and_sign_in(page: Any, live_server: Any, portal: Any) -> None:
    portal.user("lea@example.org", name="Lea Learner")
    page.goto(f"{live_server.url}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # Sign in with the keyboard only: the fields and the button in tab order.
    page.locator("#email").focus()
    page.keyboard.type("lea@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("nav[aria-label='Main']")
    # Every link and button of the page is reachable with Tab (none has tabindex=-1).
    unreachable = page.evaluate(
        "[...document.querySelectorAll('a[href], button, input, select, textarea')]"
        ".filter(e => e.tabIndex < 0).length"
    )
    assert unreachable == 0


def test_portal_swedish_pages_pass_axe(page: Any, live_server: Any, portal: Any) -> None:
    axe = make_axe()
    unit = portal.unit("social", "Socialförvaltningen")
    portal.course("Brandskydd", category="Säkerhet")
    portal.user("maja@example.org", role="admin", unit_id=unit, name="Maja Chef")
    linked = portal.user("lea@example.org", unit_id=unit, name="Lea Larsson")
    _link_to_the_organisations_sign_in(portal, linked)
    make_sign_in(live_server)(page, "maja@example.org")
    page.get_by_label("Language").select_option("sv")
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector("html[lang='sv']")
    for path in (
        "/",
        "/catalogue",
        "/my",
        "/author",
        "/manage/assignments",
        "/reports",
        "/reports?by=line",
        "/admin/users",
        "/admin/units",
        "/admin/credentials",
        "/admin/audit",
        "/admin/people/import",
        f"/admin/users/{linked}",
        "/settings",
    ):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "sv"
        axe(page)
    assert "Kurskatalog" in page.locator("nav").inner_text()


def test_portal_english_organisation_pages_pass_axe(
    page: Any, live_server: Any, portal: Any
) -> None:
    """The pages of the organisation tree, the audit log and unlocking, in English."""
    axe = make_axe()
    top = portal.unit("SOC", "Social services")
    portal.unit("SOC-AO", "Elderly care", parent=top)
    locked = portal.user("lea@example.org", unit_id=top, name="Lea Learner")
    admin = portal.user("ada@example.org", role="admin", unit_id=top, name="Ada Admin")
    boss = portal.user("bea@example.org", role="manager", unit_id=top, name="Bea Boss")
    portal.manage(locked, boss)  # Lea reports to Bea, who reports to Ada
    portal.manage(boss, admin)
    _link_to_the_organisations_sign_in(portal, locked)
    make_sign_in(live_server)(page, "ada@example.org")
    page.get_by_label("Language").select_option("en")
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector("html[lang='en']")
    for path in (
        "/admin/units",
        f"/reports?unit_id={top}",
        "/reports?by=line",
        f"/reports?by=line&manager_id={boss}",
        "/admin/audit",
        "/admin/people/import",
        f"/admin/users/{locked}",
    ):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "en"
        axe(page)


def _link_to_the_organisations_sign_in(portal: Any, user_id: int) -> None:
    """Links by OIDC and by SAML, as sign-ins make them (the admin page lists them)."""
    from datetime import datetime

    from accounts.models import SsoLink
    from accounts.saml_models import SamlLink
    from core.db import db

    now = datetime(2026, 12, 1, 8, 30)
    with portal.app.app_context():
        db.session.add(
            SsoLink(
                issuer="https://login.kommun.se", subject="s-1", user_id=user_id, created_at=now
            )
        )
        db.session.add(
            SamlLink(
                idp_entity_id="https://idp.kommun.se/metadata",
                name_id="a1b2c3",
                user_id=user_id,
                created_at=now,
                last_used_at=now,
            )
        )
        db.session.commit()
