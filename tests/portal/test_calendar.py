"""Calendar files: a booking's invitation (RFC 5545/5546) and the personal feed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from core.db import db
from portal.models import CalendarFeed, Enrolment
from tests.portal.conftest import post
from tests.portal.test_classroom_sessions import change


@pytest.fixture
def room(portal):
    trainer = portal.user("tom@example.org", role="author", name="Tom Trainer")
    course = portal.course("Lifting technique", kind="classroom")
    return {
        "trainer": trainer,
        "course": course,
        "session": portal.session(course, trainer, seats=1),
    }


def booking_id(app, user_id: int) -> int:
    with app.app_context():
        found = db.session.scalar(db.select(Enrolment.id).where(Enrolment.user_id == user_id))
        assert found is not None
        return found


def event_of(response):
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_portal_calendar_invitation_follows_the_session(portal, login, room, app):
    lea_id = portal.user("lea@example.org", name="Lea Lind")
    lea = login(lea_id)
    post(lea, f"/sessions/{room['session']}/enrol")
    url = f"/my/bookings/{booking_id(app, lea_id)}/invitation.ics"
    calendar, event = event_of(lea.get(url))
    assert calendar["METHOD"] == "REQUEST"
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:tom@example.org"
    assert event["ORGANIZER"].params["CN"] == "Tom Trainer"
    assert str(event["ATTENDEE"]) == "mailto:lea@example.org"
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    # RFC 5545 §3.3.5 form #2, UTC: "Z" and no TZID parameter.
    assert re.search(rb"\r\nDTSTART:\d{8}T\d{6}Z\r\n", lea.get(url).get_data())
    uid = str(event["UID"])
    # Moved: the same UID, a higher SEQUENCE, the new time (09:00 in Stockholm is 08:00 UTC).
    post(login(room["trainer"]), f"/trainer/sessions/{room['session']}/edit", change(room))
    _calendar, moved = event_of(lea.get(url))
    assert str(moved["UID"]) == uid
    assert moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART").isoformat() == "2031-03-10T08:00:00+00:00"
    # Cancelled: METHOD:CANCEL, STATUS:CANCELLED, a higher SEQUENCE still.
    post(
        login(room["trainer"]),
        f"/trainer/sessions/{room['session']}/edit",
        {"action": "cancel", "reason": "Ill"},
    )
    calendar, cancelled = event_of(lea.get(url))
    assert calendar["METHOD"] == "CANCEL"
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] == 2
    assert str(cancelled["UID"]) == uid


def test_portal_calendar_invitation_is_the_booker_s_only(portal, login, room, app):
    lea_id = portal.user("lea@example.org")
    post(login(lea_id), f"/sessions/{room['session']}/enrol")
    url = f"/my/bookings/{booking_id(app, lea_id)}/invitation.ics"
    assert login(portal.user("bo@example.org")).get(url).status_code == 404
    assert login(room["trainer"]).get(url).status_code == 404
    assert login(portal.user("ada@example.org", role="admin")).get(url).status_code == 404
    assert app.test_client().get(url).status_code in (302, 401)


def test_portal_calendar_waiting_list_has_no_invitation(portal, login, room, app):
    post(login(portal.user("a@example.org")), f"/sessions/{room['session']}/enrol")
    bo_id = portal.user("bo@example.org")
    bo = login(bo_id)
    post(bo, f"/sessions/{room['session']}/enrol")
    assert bo.get(f"/my/bookings/{booking_id(app, bo_id)}/invitation.ics").status_code == 404


def feed_url(client) -> str:
    page = post(client, "/settings", {"action": "calendar"}).get_data(as_text=True)
    found = re.search(r"http://[^<\s]+/calendar/[^<\s]+\.ics", page)
    assert found is not None, page
    return found.group(0).replace("http://localhost", "")


def test_portal_calendar_feed_lists_bookings_and_teaching(portal, login, room, app):
    lea_id = portal.user("lea@example.org")
    lea = login(lea_id)
    post(lea, f"/sessions/{room['session']}/enrol")
    url = feed_url(lea)
    # Shown once: the settings page no longer shows it, and only its hash is stored.
    assert url not in lea.get("/settings").get_data(as_text=True)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        stored = db.session.get(CalendarFeed, lea_id)
        assert stored is not None
        assert token not in stored.token_hash
    anonymous = app.test_client()
    calendar = Calendar.from_ical(anonymous.get(url).get_data())
    assert calendar["METHOD"] == "PUBLISH"
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Lifting technique"]
    teaching = Calendar.from_ical(anonymous.get(feed_url(login(room["trainer"]))).get_data())
    assert len(teaching.walk("VEVENT")) == 1
    # A new address: the old one stops working.
    new = feed_url(lea)
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(new).status_code == 200


@pytest.mark.parametrize("token", ["wrong", "x" * 43, ""])
def test_portal_calendar_feed_wrong_token_is_404(portal, login, app, token):
    feed_url(login(portal.user("lea@example.org")))
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404


def test_portal_calendar_address_needs_csrf(portal, login):
    client = login(portal.user("lea@example.org"))
    response = client.post("/settings", data={"action": "calendar", "csrf_token": "no"})
    assert response.status_code in (400, 403)
    assert "/calendar/" not in response.get_data(as_text=True)
