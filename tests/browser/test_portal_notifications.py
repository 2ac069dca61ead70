"""Notifications, the outbox and the jobs page in Chromium, checked with axe-core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


def _messages_and_a_failed_job(portal: Any, admin: int, learner: int) -> None:
    from accounts.models import User
    from core.db import db
    from core.jobs.runs import JobRun
    from portal import notices

    with portal.app.app_context():
        people = {u.id: u for u in db.session.query(User).all()}
        notices.store(
            [
                notices.Draft(
                    "overdue",
                    "t:1",
                    people[learner],
                    {"what": "Brandskydd", "due": "2026-11-30", "told": True},
                ),
                notices.Draft(
                    "reminder", "t:2", people[learner], {"what": "GDPR", "due": "2026-12-20"}
                ),
                notices.Draft(
                    "digest", "t:3", people[admin], {"rows": [["Lea", "Brandskydd", "2026-11-30"]]}
                ),
            ]
        )
        db.session.add(
            JobRun(
                task_id="t-1",
                name="send_message",
                args=[1],
                status="failed",
                attempts=6,
                last_error="ConnectionRefusedError: [Errno 111] Connection refused",
                queued_at=datetime(2026, 12, 7, 6, 0),
            )
        )
        for task_id, status, result in (
            ("imp-running", "running", None),
            (
                "imp-done",
                "done",
                {
                    "applied": True,
                    "rows": 1,
                    "created_count": 1,
                    "updated_count": 0,
                    "unchanged": 0,
                    "created": [
                        {"employee_number": "1", "name": "Ali", "email": "a@x.se", "unit_id": None}
                    ],
                    "updated": [],
                    "rejected": [],
                },
            ),
        ):
            db.session.add(
                JobRun(
                    task_id=task_id,
                    name="import_people",
                    args=["x", admin, "hr.csv"],
                    status=status,
                    attempts=1,
                    last_error="",
                    done=0,
                    total=2,
                    result=result,
                    queued_at=datetime(2026, 12, 7, 6, 0),
                )
            )
        db.session.commit()


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_notification_pages_pass_axe(page: Any, live_server: Any, portal: Any, locale: str) -> None:
    axe = make_axe()
    unit = portal.unit("social", "Socialförvaltningen")
    admin = portal.user("maja@example.org", role="admin", unit_id=unit, name="Maja Chef")
    learner = portal.user("lea@example.org", unit_id=unit, name="Lea Larsson")
    _messages_and_a_failed_job(portal, admin, learner)
    make_sign_in(live_server)(page, "maja@example.org")
    page.get_by_label("Language").select_option(locale)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{locale}']")
    for path in (
        "/notifications",
        "/admin/outbox",
        "/admin/jobs",
        "/settings",
        "/admin/people/import/jobs/imp-running",
        "/admin/people/import/jobs/imp-done",
    ):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == locale
        axe(page)
    page.goto(live_server.url + "/admin/outbox")
    page.locator("summary").first.click()  # a message opened
    axe(page)
    page.goto(live_server.url + "/admin/jobs")
    page.get_by_role(
        "button",
        name="Försök igen: send_message" if locale == "sv" else "Try again: send_message",
    ).click()
    page.wait_for_selector(".flash, [role='status'], [role='alert']")
    assert (
        "Jobbet ligger i kön igen" if locale == "sv" else "The job is queued again"
    ) in page.content()
