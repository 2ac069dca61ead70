"""Admin → LRS archive in Chromium, in Swedish and English, checked with axe-core: the
page (empty LRS, so the import form shows), an export started from it, and the job pages
of exports and imports in each state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data

COUNTS = {
    "statements": 1200,
    "statement_filters": 9000,
    "attachments": 3,
    "activities": 4,
    "documents": 7,
}
JOBS = (
    ("exp-running", "export_lrs_archive", "running", 600, 1200, None),
    (
        "exp-done",
        "export_lrs_archive",
        "done",
        1200,
        1200,
        {"token": "abc", "counts": COUNTS, "size": 3145728},
    ),
    ("exp-failed", "export_lrs_archive", "failed", None, None, None),
    ("imp-checking", "import_lrs_archive", "running", 10, 40, None),
    (
        "imp-refused",
        "import_lrs_archive",
        "done",
        40,
        40,
        {
            "refused": "The archive has been changed since it was made",
            "errors": [{"path": "statements.ndjson", "message": "sha256 differs"}],
        },
    ),
    ("imp-done", "import_lrs_archive", "done", 40, 40, {"counts": COUNTS}),
)


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


def _jobs(portal: Any, admin: int) -> None:
    from core.db import db
    from core.jobs.runs import JobRun

    with portal.app.app_context():
        for task_id, name, status, done, total, result in JOBS:
            db.session.add(
                JobRun(
                    task_id=task_id,
                    name=name,
                    args=["t", admin],
                    status=status,
                    attempts=1,
                    last_error="",
                    done=done,
                    total=total,
                    result=result,
                    queued_at=datetime(2026, 12, 7, 6, 0),
                )
            )
        db.session.commit()


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_lrs_archive_pages_pass_axe(page: Any, live_server: Any, portal: Any, locale: str) -> None:
    axe = make_axe()
    admin = portal.user("maja@example.org", role="admin", name="Maja Chef")
    _jobs(portal, admin)
    make_sign_in(live_server)(page, "maja@example.org")
    page.get_by_label("Language").select_option(locale)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{locale}']")
    page.goto(live_server.url + "/admin/lrs/archive")
    assert page.locator("input[type=file]").count() == 1  # empty: the import form is there
    axe(page)
    for task_id, *_ in JOBS:
        page.goto(live_server.url + f"/admin/lrs/archive/jobs/{task_id}")
        assert page.locator("html").get_attribute("lang") == locale
        axe(page)
    page.goto(live_server.url + "/admin/lrs/archive")
    page.get_by_role(
        "button", name="Exportera LRS:en" if locale == "sv" else "Export the LRS"
    ).click()
    page.wait_for_selector("[role='status']")
    assert "/admin/lrs/archive/jobs/" in page.url
    assert ("Väntar på sin tur." if locale == "sv" else "Waiting for its turn.") in page.content()
    axe(page)
