"""The compliance trend and the course reports' people in Chromium: a manager reads the
chart and its table for their subtree only, and every changed page passes axe-core in
Swedish and English.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.test_reports import VERB


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def org(portal: Any, app: Any, make_xapi: Any) -> dict[str, int]:
    """SOC (Bea, a manager) with IFO below (Lea, Per); UTB (Sam). A year of snapshots."""
    from accounts.models import User
    from core.db import db
    from portal import requirements
    from portal.models import ComplianceSnapshot, ComplianceSnapshotDay

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
    portal.manage(people["lea"], people["boss"])
    portal.manage(people["per"], people["boss"])
    course = portal.course("Brandskydd")
    with app.app_context():
        admin = db.session.get(User, people["admin"])
        assert admin is not None
        made = requirements.create(
            admin,
            requirements.Draft(
                "Brandskydd",
                [course],
                [("unit", str(soc)), ("unit", str(utb))],
                due_date=date.today() - timedelta(days=3),
            ),
        )
        # Each month: one more of IFO's two compliant, up to both; UTB never.
        today = date.today()
        for n in range(1, 13):
            index = today.year * 12 + today.month - 1 - n
            day = date(index // 12, index % 12 + 1, 28)
            done = 1 if n > 6 else 2
            for unit_id, counts in (
                (soc, {"overdue": 1}),
                (ifo, {"completed": done, "overdue": 2 - done}),
                (utb, {"overdue": 1}),
            ):
                db.session.add(
                    ComplianceSnapshot(
                        day=day,
                        requirement_id=made.id,
                        unit_id=unit_id,
                        **{"not_started": 0, "in_progress": 0, "completed": 0}
                        | {"expiring": 0, "overdue": 0, "exempt": 0}
                        | counts,
                    )
                )
            db.session.add(ComplianceSnapshotDay(day=day, taken_at=datetime.now()))
        db.session.commit()
        rid = made.id
    home = app.config["AGENT_HOMEPAGE"]
    done_statement = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": str(people["lea"])}},
        "verb": {"id": VERB + "completed"},
        "object": {"objectType": "Activity", "id": f"{home}/courses/{course}"},
    }
    assert make_xapi(["all"], trusted=True).post("statements", [done_statement]).status_code == 200
    return {"soc": soc, "ifo": ifo, "utb": utb, "course": course, "rid": rid, **people}


def _language(page: Any, url: str, language: str) -> None:
    page.goto(f"{url}/")
    page.get_by_label("Language").select_option(language)
    page.locator("footer button[type=submit]").click()
    page.wait_for_selector(f"html[lang='{language}']")


def test_manager_reads_the_trend_of_their_subtree(
    page: Any, live_server: Any, org: dict[str, int]
) -> None:
    make_sign_in(live_server)(page, "bea@example.org")
    page.get_by_role("link", name="Compliance").click()
    chart = page.get_by_role("img", name="All requirements together: shares compliant and overdue")
    expect(chart).to_be_visible()  # waits for the page the click opened
    table = page.locator("table", has=page.locator("caption", has_text="month by month"))
    rows = table.first.locator("tbody tr")
    assert rows.count() == 13  # twelve months and today
    # A year ago: 1 of 3 compliant in Bea's subtree (UTB's Sam is not hers); today Lea.
    assert "1 of 3" in rows.nth(0).inner_text()
    assert "2 of 3" in rows.nth(11).inner_text()
    assert "Today" in rows.nth(12).inner_text()
    assert "1 of 3" in rows.nth(12).inner_text()
    # Down to the requirement's page: its own chart and table.
    page.get_by_role("link", name="Brandskydd").first.click()
    expect(page.get_by_role("img", name="Shares compliant and overdue: Brandskydd")).to_be_visible()
    # The course report counts people: Lea, of Bea's three.
    page.goto(f"{live_server.url}/reports")
    course_row = page.locator("tbody tr", has_text="Brandskydd")
    assert "1 of 3" in course_row.inner_text()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_trend_and_people_pages_pass_axe(
    page: Any, live_server: Any, org: dict[str, int], language: str
) -> None:
    axe = make_axe()
    sign_in = make_sign_in(live_server)
    for who, paths in (
        (
            "ada@example.org",
            [
                "/compliance",
                f"/compliance/requirements/{org['rid']}",
                f"/compliance/requirements/{org['rid']}?unit_id={org['ifo']}&status=all",
                "/reports",
                f"/reports/courses/{org['course']}",
            ],
        ),
        (
            "bea@example.org",
            [
                "/compliance",
                f"/compliance?unit_id={org['ifo']}",
                f"/reports/courses/{org['course']}",
                "/reports?by=line",
                f"/reports/courses/{org['course']}?by=line",
            ],
        ),
    ):
        page.context.clear_cookies()
        sign_in(page, who)
        _language(page, live_server.url, language)
        for path in paths:
            page.goto(live_server.url + path)
            assert page.locator("html").get_attribute("lang") == language
            axe(page)
