"""Mandatory training in Chromium: an admin creates a renewing requirement and people get
it; a manager sees exactly who is overdue in their subtree and drills down; every new
page passes axe-core in Swedish and English.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.test_reports import VERB


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def org(portal: Any) -> dict[str, int]:
    soc = portal.unit("SOC", "Socialförvaltningen")
    ifo = portal.unit("IFO", "Individ- och familjeomsorg", parent=soc)
    utb = portal.unit("UTB", "Utbildningsförvaltningen")
    people = {
        "admin": portal.user("ada@example.org", role="admin", name="Ada Admin"),
        "boss": portal.user("bea@example.org", role="manager", unit_id=soc, name="Bea Boss"),
        "lea": portal.user("lea@example.org", unit_id=ifo, name="Lea Lind"),
        "per": portal.user("per@example.org", unit_id=ifo, name="Per Persson"),
        "sam": portal.user("sam@example.org", unit_id=utb, name="Sam Svensson"),
    }
    portal.manage(people["per"], people["boss"])
    course = portal.course("Brandskydd")
    return {"soc": soc, "ifo": ifo, "utb": utb, "course": course, **people}


def _create_in_page(page: Any, url: str, name: str, unit_label: str, **fields: str) -> None:
    page.goto(f"{url}/manage/requirements")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Courses").select_option(label="Brandskydd")
    page.get_by_label("Units (with the units below)").select_option(label=unit_label)
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Create requirement").click()
    page.wait_for_selector("text=Saved.")


def test_admin_creates_a_renewing_requirement_and_people_get_it(
    page: Any, live_server: Any, org: dict[str, int]
) -> None:
    sign_in = make_sign_in(live_server)
    sign_in(page, "ada@example.org")
    _create_in_page(
        page,
        live_server.url,
        "Brandskydd vart tredje år",
        "Socialförvaltningen",
        **{"Valid for (months)": "36", "Renewal window (days before expiry)": "60"},
    )
    assert page.get_by_role("link", name="Brandskydd vart tredje år").is_visible()
    page.context.clear_cookies()
    sign_in(page, "lea@example.org")
    page.goto(f"{live_server.url}/my")
    row = page.locator("section[aria-labelledby='h-required'] tbody tr")
    assert row.count() == 1
    assert "Brandskydd vart tredje år" in row.inner_text()
    assert "Not started" in row.inner_text()
    page.context.clear_cookies()
    sign_in(page, "sam@example.org")
    page.goto(f"{live_server.url}/my")
    assert page.locator("section[aria-labelledby='h-required']").count() == 0


def test_manager_sees_exactly_who_is_overdue_and_drills_down(
    page: Any, live_server: Any, org: dict[str, int], make_xapi: Any, app: Any
) -> None:
    from core.db import db
    from portal import requirements

    with app.app_context():
        admin = db.session.get(requirements.User, org["admin"])
        draft = requirements.Draft(
            "Brandskydd",
            [org["course"]],
            [("unit", str(org["soc"])), ("unit", str(org["utb"]))],
            due_date=date.today() - timedelta(days=3),
        )
        assert admin is not None
        requirements.create(admin, draft)
        db.session.commit()
    home = app.config["AGENT_HOMEPAGE"]
    done = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(org["lea"])}},
        "verb": {"id": VERB + "completed"},
        "object": {"objectType": "Activity", "id": f"{home}/courses/{org['course']}"},
    }
    assert make_xapi(["all"], trusted=True).post("statements", [done]).status_code == 200
    make_sign_in(live_server)(page, "bea@example.org")
    page.get_by_role("link", name="Compliance").click()
    figures = page.locator("table", has=page.get_by_text("Mandatory training in this part"))
    row = figures.locator("tbody tr", has_text="Brandskydd")
    # Bea, Lea and Per (not Sam in another department): 1 of 3 compliant, 2 of 3 overdue.
    assert "1 of 3" in row.inner_text()
    assert "2 of 3" in row.inner_text()
    row.get_by_role("link", name="Brandskydd").click()
    people = page.locator("table", has=page.locator("caption", has_text="People")).locator(
        "tbody tr"
    )
    names = sorted(people.locator("td:first-child").all_inner_texts())
    assert names == ["Bea Boss", "Per Persson"]
    per = people.filter(has_text="Per Persson")
    assert "Bea Boss" in per.inner_text()  # his manager
    since = date.today() - timedelta(days=2)
    assert f"{since:%b} {since.day}, {since.year}" in per.inner_text()
    # Down one level: only IFO's people.
    page.get_by_role("link", name="Individ- och familjeomsorg").click()
    page.wait_for_url("**unit_id=*")
    names = sorted(people.locator("td:first-child").all_inner_texts())
    assert names == ["Per Persson"]
    # A hostile manager editing the URL to another department is refused.
    response = page.goto(f"{live_server.url}/compliance?unit_id={org['utb']}")
    assert response.status == 403


@pytest.mark.parametrize("language", ["sv", "en"])
def test_requirement_pages_pass_axe(
    page: Any, live_server: Any, org: dict[str, int], language: str
) -> None:
    axe = make_axe()
    sign_in = make_sign_in(live_server)
    sign_in(page, "ada@example.org")
    _create_in_page(page, live_server.url, "Brandskydd", "Socialförvaltningen")
    edit = page.get_by_role("link", name="Brandskydd").get_attribute("href")
    rid = edit.rsplit("/", 1)[1]
    page.goto(f"{live_server.url}/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")
    for path in (
        "/manage/requirements",
        f"/manage/requirements/{rid}",
        "/compliance",
        f"/compliance?unit_id={org['soc']}",
        f"/compliance/requirements/{rid}?status=all",
        f"/compliance/requirements/{rid}?unit_id={org['ifo']}",
    ):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == language
        axe(page)
    page.context.clear_cookies()
    sign_in(page, "lea@example.org")
    page.goto(f"{live_server.url}/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")
    page.goto(f"{live_server.url}/my")
    assert page.locator("section[aria-labelledby='h-required']").count() == 1
    axe(page)
