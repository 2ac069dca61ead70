"""The portal on a phone (375 by 800 CSS px) in Chromium, as each role.

No page scrolls sideways: ``document.documentElement.scrollWidth`` stays at 375, the
header spans the width, every form field and button fits, and a table too wide for the
screen scrolls in its own region (portal/table_regions.py), which is focusable, a
region and named by the table's caption (WCAG 2.1 1.4.10, 2.1.1, 4.1.2). The main
navigation folds behind a Menu button. axe-core checks every page, in English and
Swedish.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.test_reports import VERB

PHONE = {"width": 375, "height": 800}
LONG = "administratorn.for.kompetensutveckling.i.aldreomsorgen@socialforvaltningen.example.org"

# What must hold on every page at 375 px (evaluated in the page).
LAYOUT = """() => {
  const width = window.innerWidth;
  const outside = el => !el.closest('.scroll-region');
  const visible = el => el.offsetParent !== null && el.type !== 'hidden';
  const fields = 'main input, main select, main textarea, main button';
  const controls = [...document.querySelectorAll(fields)]
    .filter(el => visible(el) && outside(el))
    .filter(el => el.getBoundingClientRect().right > width + 0.5)
    .map(el => el.id || el.name || el.textContent.trim());
  const regions = [...document.querySelectorAll('.scroll-region')]
    .filter(r => r.scrollWidth > r.clientWidth)
    .map(r => ({
      tabindex: r.getAttribute('tabindex'),
      role: r.getAttribute('role'),
      name: (document.getElementById(r.getAttribute('aria-labelledby')) || {}).textContent || '',
    }));
  return {
    width,
    scrollWidth: document.documentElement.scrollWidth,
    header: document.querySelector('header').getBoundingClientRect().width,
    controls,
    regions,
  };
}"""


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def org(app: Any, portal: Any, make_xapi: Any) -> dict[str, int]:
    """A small organisation with something in every table, some of it long."""
    from accounts.models import User
    from core.db import db
    from portal import bookings, learning, requirements
    from portal.models import ClassroomSession

    soc = portal.unit("SOC", "Socialförvaltningen")
    care = portal.unit("SOC-AO", "Äldreomsorg och funktionsstöd i hemmet", parent=soc)
    ids = {
        "soc": soc,
        "care": care,
        "admin": portal.user(LONG, role="admin", unit_id=soc, name="Ada Administratörsson"),
        "boss": portal.user("bea@example.org", role="manager", unit_id=soc, name="Bea Boss"),
        "tor": portal.user("tor@example.org", role="author", unit_id=soc, name="Tor Tränare"),
        "lea": portal.user(
            "lea.larsson-lindqvist@socialforvaltningen.example.org",
            unit_id=care,
            name="Lea Larsson-Lindqvist",
        ),
    }
    portal.manage(ids["lea"], ids["boss"])
    ids["fire"] = portal.course("Brandskydd grund för medarbetare i vård och omsorg")
    ids["room"] = portal.course("Förflyttningsteknik", kind="classroom")
    ids["session"] = portal.session(ids["room"], ids["tor"])
    home = app.config["AGENT_HOMEPAGE"]
    done = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(ids["lea"])}},
        "verb": {"id": VERB + "passed"},
        "object": {"objectType": "Activity", "id": f"{home}/courses/{ids['fire']}"},
        "result": {"score": {"scaled": 0.92}},
    }
    assert make_xapi(["all"], trusted=True).post("statements", [done]).status_code == 200
    with app.app_context():
        admin, lea = db.session.get(User, ids["admin"]), db.session.get(User, ids["lea"])
        assert admin is not None
        assert lea is not None
        session = db.session.get(ClassroomSession, ids["session"])
        assert session is not None
        bookings.enrol(session, lea)
        learning.create_assignment(
            admin, ids["fire"], None, soc, date.today() + timedelta(days=30), ""
        )
        draft = requirements.Draft(
            "Brandskydd vart tredje år", [ids["fire"]], [("unit", str(soc))], due_days=30
        )
        ids["requirement"] = requirements.create(admin, draft).id
        db.session.commit()
    return ids


def _pages(role: str, ids: dict[str, int]) -> list[str]:
    """The main pages of a role (each role sees the learner's pages too)."""
    return {
        "lea": [
            "/",
            "/catalogue",
            f"/catalogue/{ids['room']}",
            "/my",
            "/notifications",
            "/settings",
            "/accessibility",
        ],
        "tor": [
            "/author",
            f"/author/courses/{ids['fire']}",
            f"/author/courses/{ids['room']}",
            f"/author/courses/{ids['fire']}/questions",
            "/trainer",
            f"/trainer/sessions/{ids['session']}",
            f"/trainer/sessions/{ids['session']}/edit",
        ],
        "bea": [
            "/reports",
            "/reports?by=line",
            f"/reports/courses/{ids['fire']}",
            f"/reports/learners/{ids['lea']}",
            "/manage/assignments",
            "/manage/bookings",
            "/manage/requirements",
            "/compliance",
            f"/compliance/requirements/{ids['requirement']}?status=all",
        ],
        "admin": [
            "/admin/users",
            f"/admin/users/{ids['lea']}",
            "/admin/units",
            "/admin/credentials",
            "/admin/audit",
            "/admin/outbox",
            "/admin/jobs",
            "/admin/people/import",
            "/admin/accessibility?show=all",
            f"/manage/requirements/{ids['requirement']}",
        ],
    }[role]


EMAILS = {
    "lea": "lea.larsson-lindqvist@socialforvaltningen.example.org",
    "tor": "tor@example.org",
    "bea": "bea@example.org",
    "admin": LONG,
}


def _phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    return context


@pytest.mark.parametrize(
    ("role", "language"),
    [(role, language) for role in ("lea", "tor", "bea", "admin") for language in ("sv", "en")],
)
def test_portal_mobile_pages_fit_a_phone(
    browser: Any, live_server: Any, org: dict[str, int], role: str, language: str
) -> None:
    axe = make_axe()
    context = _phone(browser)
    page = context.new_page()
    try:
        make_sign_in(live_server)(page, EMAILS[role])
        page.get_by_label("Language").select_option(language)
        page.locator("footer button").click()
        page.wait_for_selector(f"html[lang='{language}']")
        scrolling = 0
        for path in _pages(role, org):
            response = page.goto(live_server.url + path)
            assert response is not None
            assert response.status == 200, path
            found = page.evaluate(LAYOUT)
            assert found["width"] == 375
            assert found["scrollWidth"] <= 375, (path, found)
            assert found["header"] == 375, (path, found)
            assert found["controls"] == [], (path, found)
            for region in found["regions"]:
                assert region["tabindex"] == "0", (path, region)
                assert region["role"] == "region", (path, region)
                assert region["name"].strip(), (path, region)
            scrolling += len(found["regions"])
            axe(page)
        assert scrolling, "no table was wider than the phone: the test data is too small"
    finally:
        context.close()
        live_server.wait_idle()


def test_portal_mobile_menu_folds_the_navigation(
    browser: Any, live_server: Any, org: dict[str, int]
) -> None:
    context = _phone(browser)
    page = context.new_page()
    try:
        make_sign_in(live_server)(page, LONG)
        page.goto(f"{live_server.url}/admin/users")
        menu = page.get_by_role("button", name="Menu")
        nav = page.locator("nav[aria-label='Main']")
        assert menu.is_visible()
        assert menu.get_attribute("aria-expanded") == "false"
        assert not nav.is_visible()
        assert not page.get_by_role("button", name="Sign out").is_visible()
        # With the keyboard: open it, every link fits the width, Escape folds it again.
        menu.focus()
        page.keyboard.press("Enter")
        assert menu.get_attribute("aria-expanded") == "true"
        assert nav.is_visible()
        rights = nav.locator("a").evaluate_all(
            "links => links.map(a => a.getBoundingClientRect().right)"
        )
        assert len(rights) > 10
        assert max(rights) <= 375
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.get_by_role("button", name="Sign out").is_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Home"
        page.keyboard.press("Escape")
        assert menu.get_attribute("aria-expanded") == "false"
        assert not nav.is_visible()
        assert page.evaluate("document.activeElement.id") == "menu-button"
        # A link in it leads on.
        menu.click()
        nav.get_by_role("link", name="Units").click()
        page.wait_for_url("**/admin/units")
        # On a wide screen there is nothing to fold.
        page.set_viewport_size({"width": 1100, "height": 800})
        assert not menu.is_visible()
        assert nav.is_visible()
    finally:
        context.close()
        live_server.wait_idle()


def test_portal_mobile_works_without_javascript(
    browser: Any, live_server: Any, org: dict[str, int]
) -> None:
    """Without the script the navigation is simply open and tables still scroll."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login")
        page.fill("#email", LONG)
        page.fill("#password", "correct horse")
        page.locator("main button[type=submit]").click()
        page.goto(f"{live_server.url}/admin/users")
        assert page.locator("nav[aria-label='Main']").is_visible()
        assert not page.locator("#menu-button").is_visible()
        region = page.locator(".scroll-region").first
        assert region.get_attribute("tabindex") == "0"
        size = page.locator("html").evaluate("html => html.scrollWidth")
        assert size <= 375
    finally:
        context.close()
        live_server.wait_idle()
