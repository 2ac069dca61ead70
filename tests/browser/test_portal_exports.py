"""A large report file made in the background, and unread notifications, in Chromium.

A manager asks for a compliance file that counts as large (EXPORT_BACKGROUND_ROWS is
lowered), follows its page while the job waits and after it ran, downloads it and
removes it; a person reads their unread notifications and marks them read. Every state
of the new pages passes axe-core in Swedish and in English.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.conftest import post
from tests.portal.mail_helpers import drain


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def large(app: Flask) -> Iterator[None]:
    saved = app.config["EXPORT_BACKGROUND_ROWS"]
    app.config["EXPORT_BACKGROUND_ROWS"] = 1
    yield
    app.config["EXPORT_BACKGROUND_ROWS"] = saved


def _org(app: Flask, portal: Any) -> dict[str, int]:
    from tests.conftest import signed_in

    soc = portal.unit("SOC", "Socialförvaltningen")
    people = {
        "admin": portal.user("ada@example.org", role="admin", name="Ada Admin"),
        "boss": portal.user("bea@example.org", role="manager", unit_id=soc, name="Bea Boss"),
        "lea": portal.user("lea@example.org", unit_id=soc, name="Lea Lind"),
        "per": portal.user("per@example.org", unit_id=soc, name="Per Persson"),
    }
    course = portal.course("Brandskydd")
    admin = signed_in(app.test_client(), people["admin"])
    form = {
        "name": "Brandskydd",
        "course_ids": [str(course)],
        "audience_unit": [str(soc)],
        "due_kind": "days",
        "due_days": "30",
        "renewal_days": "0",
    }
    assert post(admin, "/manage/requirements", form).status_code == 302
    with app.app_context():
        from core.db import db
        from portal.models import Requirement

        rid = db.session.query(Requirement.id).scalar()
    return {"soc": soc, "requirement": rid, **people}


def _in_language(page: Any, locale: str) -> None:
    page.get_by_label("Language").select_option(locale)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{locale}']")


TEXTS = {
    "sv": {
        "excel": "CSV för Excel",
        "waiting": "Väntar på sin tur.",
        "follow": "Se hur det går",
        "ready": "Filen är klar: 3 rader.",
        "download": "Ladda ner filen",
        "remove": "Ta bort filen nu",
        "removed": "Filen finns inte kvar.",
        "mark_one": "Markera som läst",
        "mark_all": "Markera alla som lästa",
        "unread": "Du har 2 olästa notiser.",
    },
    "en": {
        "excel": "CSV for Excel",
        "waiting": "Waiting for its turn.",
        "follow": "See how it is going",
        "ready": "The file is ready: 3 rows.",
        "download": "Download the file",
        "remove": "Remove the file now",
        "removed": "The file is no longer kept.",
        "mark_one": "Mark as read",
        "mark_all": "Mark all as read",
        "unread": "You have 2 unread notifications.",
    },
}


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_a_large_file_is_followed_downloaded_and_removed(
    app: Flask, page: Any, live_server: Any, portal: Any, large: None, locale: str
) -> None:
    from core import jobs

    axe, text = make_axe(), TEXTS[locale]
    org = _org(app, portal)
    make_sign_in(live_server)(page, "bea@example.org")
    _in_language(page, locale)
    # Everyone covered (nobody is overdue yet): three people, a "large" file here.
    page.goto(f"{live_server.url}/compliance/requirements/{org['requirement']}?status=all")
    # The people's file (the trend has a file of its own, linked the same way above).
    people = page.locator("a[href*='status=all']").filter(has_text=text["excel"])
    people.click()
    page.wait_for_selector(f"text={text['waiting']}")
    assert "/exports/" in page.url
    axe(page)

    drain(jobs.huey)
    page.get_by_role("link", name=text["follow"]).click()
    page.wait_for_selector(f"text={text['ready']}")
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=text["download"]).click()
    body = download.value.path().read_bytes()
    assert body.startswith("\ufeff".encode())  # Excel's CSV
    assert "Lea Lind" in body.decode("utf-8-sig")
    page.get_by_role("button", name=text["remove"]).click()
    page.wait_for_selector(f"text={text['removed']}")
    axe(page)


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_unread_notifications_are_marked_read(
    app: Flask, page: Any, live_server: Any, portal: Any, locale: str
) -> None:
    from accounts.models import User
    from core.db import db
    from portal import notices

    axe, text = make_axe(), TEXTS[locale]
    lea_id = portal.user("lea@example.org", name="Lea Lind")
    with app.app_context():
        lea = db.session.get(User, lea_id)
        assert lea is not None
        notices.store(
            [
                notices.Draft("reminder", "t:1", lea, {"what": "GDPR", "due": "2030-01-01"}),
                notices.Draft("reminder", "t:2", lea, {"what": "Brandskydd", "due": "2030-02-01"}),
            ]
        )
        db.session.commit()
    make_sign_in(live_server)(page, "lea@example.org")
    _in_language(page, locale)
    page.goto(f"{live_server.url}/notifications")
    page.wait_for_selector(f"text={text['unread']}")
    assert page.locator("header .badge").inner_text() == "2"
    axe(page)
    page.get_by_role("button", name=text["mark_one"]).first.click()
    page.wait_for_selector("header .badge:has-text('1')")
    assert page.locator("article.unread").count() == 1
    axe(page)
    page.get_by_role("button", name=text["mark_all"]).click()
    page.wait_for_selector("[role='status']")
    assert page.locator("article.unread").count() == 0
    assert page.locator("header .badge").count() == 0
    axe(page)
