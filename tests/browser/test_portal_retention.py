"""Admin → Retention and Admin → Access request in Chromium, Swedish and English, with axe-core."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from core.db import db
from portal import retention, retention_rules
from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


def _rules_and_a_run(app: Any, portal: Any) -> int:
    unit = portal.unit("social", "Socialförvaltningen")
    portal.user("maja@example.org", role="admin", unit_id=unit, name="Maja Admin")
    portal.user("lea@example.org", unit_id=unit, name="Lea Larsson")
    with app.app_context():
        rule = retention_rules.save_rule(
            {
                "name": "Lärloggar",
                "decision_ref": "KS 2026/123",
                "decision_date": date(2026, 3, 1),
                "decision_text": "Gallras efter två år.",
                "kind": "statements",
                "verb_id": "http://adlnet.gov/expapi/verbs/experienced",
                "activity_type": None,
                "keep_count": 2,
                "keep_unit": "years",
                "active": True,
            },
            None,
        )
        retention_rules.place_hold(
            {"kind": "person", "target": "lea@example.org", "reason": "Tvist", "until": None},
            None,
            "test",
        )
        retention.run("cli", actor_name="command line")
        db.session.commit()
        return rule.id


@pytest.mark.parametrize(
    ("language", "dry_run", "heading"),
    [("sv", "Provkör", "Gallring"), ("en", "Dry run", "Retention")],
)
def test_portal_retention_pages_pass_axe(
    page: Any, live_server: Any, app: Any, portal: Any, language: str, dry_run: str, heading: str
) -> None:
    axe = make_axe()
    rule_id = _rules_and_a_run(app, portal)
    make_sign_in(live_server)(page, "maja@example.org")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")
    page.goto(f"{live_server.url}/admin/retention")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    axe(page)
    # The dry run's figures, shown on the page.
    page.get_by_role("button", name=dry_run, exact=True).click()
    page.wait_for_selector("#h-dry")
    assert "KS 2026/123" in page.locator("section[aria-labelledby=h-dry]").inner_text()
    axe(page)
    # A refused hold: the form again, its problem at the field.
    page.locator("#target").fill("nobody@example.org")
    page.locator("#reason").fill("Tvist")
    page.locator("#target").press("Enter")
    page.wait_for_selector("#target[aria-invalid='true']")
    axe(page)
    for path in (f"/admin/retention/rules/{rule_id}", "/admin/access-request"):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == language
        axe(page)
