"""Classroom logistics in Chromium: a person is promoted from the waiting list when
another gives a seat back; every new or changed classroom page passes axe-core in
Swedish and English.
"""

from __future__ import annotations

from typing import Any

import pytest

from core import jobs
from portal import signals
from tests.browser.conftest_portal import make_axe, make_sign_in, portal_data
from tests.portal.jobs_fixtures import queue, smtp
from tests.portal.mail_helpers import drain

__all__ = ["queue", "smtp"]  # the jobs' queue and an SMTP server, for the mail it sends


@pytest.fixture
def portal(app: Any) -> Any:
    return portal_data(app)


@pytest.fixture
def room(portal: Any) -> dict[str, int]:
    care = portal.unit("CARE", "Hemtjänsten")
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    course = portal.course("Förflyttningsteknik", kind="classroom")
    return {
        "trainer": trainer,
        "course": course,
        "session": portal.session(course, trainer, seats=1, planner=trainer),
        "anna": portal.user("anna@example.org", name="Anna Andersson", unit_id=care),
        "bo": portal.user("bo@example.org", name="Bo Berg", unit_id=care),
        "cia": portal.user("cia@example.org", name="Cia Carlsson", unit_id=care),
    }


def _book(app: Any, session_id: int, user_id: int) -> None:
    from accounts import service
    from core.db import db
    from portal import bookings, classroom

    with app.app_context():
        bookings.enrol(classroom.get_session(session_id), service.get_user(user_id))
        db.session.commit()


def test_a_person_is_promoted_from_the_waiting_list_when_another_cancels(
    page: Any, live_server: Any, room: dict[str, int], app: Any, queue: Any, smtp: Any
) -> None:
    sign_in = make_sign_in(live_server)
    _book(app, room["session"], room["anna"])
    # Bo finds the session full and joins the waiting list.
    sign_in(page, "bo@example.org")
    page.goto(f"{live_server.url}/catalogue/{room['course']}")
    page.get_by_role("button", name="Join the waiting list").click()
    page.wait_for_selector("text=you are number 1 on the waiting list")
    page.goto(f"{live_server.url}/my")
    bookings = page.locator("#h-bookings + .scroll-region table")
    assert "Waiting list, number 1" in bookings.inner_text()
    page.context.clear_cookies()
    # Anna gives her seat back; the server promotes Bo and says so to the mail side.
    promoted: list[int] = []

    def receiver(sender: Any, **_kwargs: Any) -> None:
        promoted.append(sender.user_id)

    sign_in(page, "anna@example.org")
    page.goto(f"{live_server.url}/catalogue/{room['course']}")
    with signals.promoted.connected_to(receiver):
        page.get_by_role("button", name="Cancel my booking").click()
        page.wait_for_selector("text=Your booking was cancelled.")
    assert promoted == [room["bo"]]
    # The mail with the invitation, as the SMTP server received it.
    drain(jobs.huey)
    (mail,) = smtp.sink.to("bo@example.org")
    assert mail["Subject"] == "Du har fått en plats: Förflyttningsteknik"
    (attached,) = list(mail.iter_attachments())
    assert attached.get_content_type() == "text/calendar"
    assert "METHOD:REQUEST" in attached.get_content()
    page.context.clear_cookies()
    # Bo sees the seat and can take the invitation to his calendar.
    sign_in(page, "bo@example.org")
    page.goto(f"{live_server.url}/my")
    row = page.locator("#h-bookings + .scroll-region table tbody tr")
    assert "Booked" in row.inner_text()
    href = row.get_by_role("link", name="Calendar file").get_attribute("href")
    invitation = page.request.get(live_server.url + href)
    assert invitation.status == 200
    assert b"METHOD:REQUEST" in invitation.body()
    assert b'ORGANIZER;CN="Tom Trainer":mailto:tom@example.org' in invitation.body()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_classroom_pages_pass_axe(
    page: Any, live_server: Any, room: dict[str, int], portal: Any, app: Any, language: str
) -> None:
    axe = make_axe()
    sign_in = make_sign_in(live_server)
    _book(app, room["session"], room["anna"])
    _book(app, room["session"], room["bo"])  # waiting
    other = portal.session(room["course"], room["trainer"], seats=5, days=21)
    _book(app, other, room["cia"])

    def choose_language() -> None:
        page.goto(f"{live_server.url}/")
        page.get_by_label("Language").select_option(language)
        page.get_by_role("button", name="Change").click()
        page.wait_for_selector(f"html[lang='{language}']")

    sign_in(page, "tom@example.org")
    choose_language()
    edit = f"{live_server.url}/trainer/sessions/{other}/edit"
    for path in (
        f"/author/courses/{room['course']}",
        "/trainer",
        f"/trainer/sessions/{room['session']}/edit",
        f"/trainer/sessions/{room['session']}/attendance-list",
    ):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == language
        axe(page)
    # A refused change (a start in the past, unconfirmed) shows its errors accessibly.
    page.goto(edit)
    page.locator("#starts_at").fill("2020-01-07T09:00")
    page.locator("#ends_at").fill("2020-01-07T11:00")
    page.locator("form:has(input[value='change']) button[type='submit']").click()
    page.wait_for_selector("#confirm_past-error")
    axe(page)
    # Cancelled: what Cia sees on her pages.
    page.goto(edit)
    page.locator("#reason").fill("Utbildaren är sjuk")
    page.locator("form:has(input[value='cancel']) button[type='submit']").click()
    page.wait_for_selector(".flash.success")
    axe(page)
    page.context.clear_cookies()
    cancelled = "Inställt" if language == "sv" else "Cancelled"
    for email in ("bo@example.org", "cia@example.org"):
        sign_in(page, email)
        choose_language()
        page.goto(f"{live_server.url}/catalogue/{room['course']}")
        axe(page)
        page.goto(f"{live_server.url}/my")
        assert page.locator("#h-bookings").count() == 1
        axe(page)
        if email == "cia@example.org":
            bookings = page.locator("#h-bookings + .scroll-region table").inner_text()
            assert cancelled in bookings
            assert "Utbildaren är sjuk" in bookings
            page.goto(f"{live_server.url}/settings")
            page.locator("form:has(input[value='calendar']) button").click()
            page.wait_for_selector("code.secret")
            axe(page)
        page.context.clear_cookies()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_booking_approval_pages_pass_axe(
    page: Any, live_server: Any, room: dict[str, int], portal: Any, app: Any, language: str
) -> None:
    from core.db import db
    from portal import bookings

    axe = make_axe()
    sign_in = make_sign_in(live_server)
    portal.user("bea@example.org", role="manager", name="Bea Boss")
    with app.app_context():
        from accounts.models import User

        boss = db.session.scalar(db.select(User).where(User.email == "bea@example.org"))
        assert boss is not None
        for person in (room["anna"], room["bo"]):
            found = db.session.get(User, person)
            assert found is not None
            found.manager_id = boss.id
        bookings.set_needs_approval(room["course"], True)
        db.session.commit()
    _book(app, room["session"], room["anna"])
    sign_in(page, "bo@example.org")
    page.goto(f"{live_server.url}/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")
    page.goto(f"{live_server.url}/catalogue/{room['course']}")
    axe(page)
    page.context.clear_cookies()
    sign_in(page, "bea@example.org")
    page.goto(f"{live_server.url}/")
    page.get_by_label("Language").select_option(language)
    page.get_by_role("button", name="Change").click()
    page.wait_for_selector(f"html[lang='{language}']")
    page.goto(f"{live_server.url}/manage/bookings")
    assert "Anna Andersson" in page.locator("table").inner_text()
    axe(page)
    # A refusal without a reason comes back with the error at its field.
    page.locator("form:has(input[value='refuse']) button[type='submit']").first.click()
    page.wait_for_selector("[aria-invalid='true']")
    axe(page)
