"""Calendar files (iCalendar, RFC 5545): a booking's invitation and a person's feed.

An invitation is an iTIP message (RFC 5546): METHOD:REQUEST while the session stands
(§3.2.2), METHOD:CANCEL with STATUS:CANCELLED once it is cancelled (§3.2.5). Its UID
stays the same for the session's whole life and SEQUENCE grows with every change people
were told about, so a calendar replaces the event it has rather than adding another
(RFC 5545 §3.8.4.7, §3.8.7.4). A feed is published (§3.2.1, METHOD:PUBLISH): the
person's bookings and the sessions they teach. Times are UTC ("Z", RFC 5545 §3.3.5
form #2), so no VTIMEZONE is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import or_, select

from accounts.models import User
from core.db import db
from packages.models import Course
from portal.models import ClassroomSession, Enrolment

PRODID = "-//Kompetens//Classroom sessions//SV"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def uid(session: ClassroomSession) -> str:
    """The session's UID: its registration (random, so it reveals nothing) at our host."""
    host = current_app.config["AGENT_HOMEPAGE"].split("//", 1)[-1].split("/", 1)[0]
    return f"session-{session.registration}@{host}"


def _address(user: User, role: str | None = None) -> vCalAddress:
    # RFC 5545 §3.8.4.3 ORGANIZER and §3.8.4.1 ATTENDEE: a mailto: URI with CN.
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.name)
    if role is not None:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("ACCEPTED")
    return address


def _event(session: ClassroomSession, course: Course, attendee: User | None) -> Event:
    event = Event()
    event.add("uid", uid(session))
    event.add("dtstamp", datetime.now(UTC))  # §3.8.7.2: when this object was made
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("sequence", session.sequence)
    event.add("summary", course.title)
    event.add("location", session.place)
    event.add("organizer", _address(session.trainer))
    if attendee is not None:
        event.add("attendee", _address(attendee, "REQ-PARTICIPANT"))
    if session.cancelled_at is not None:
        event.add("status", "CANCELLED")  # §3.8.1.11
        event.add("description", session.cancel_reason or "")
    else:
        event.add("status", "CONFIRMED")
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)  # RFC 5545 §3.7.2, RFC 5546 §1.4
    return calendar


def invitation(enrolment: Enrolment) -> bytes:
    """The booking's invitation as ``.ics`` bytes (REQUEST, or CANCEL once cancelled)."""
    session = enrolment.session
    course = db.session.get(Course, session.course_id)
    assert course is not None  # noqa: S101  (FK)
    cancelled = session.cancelled_at is not None
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_event(session, course, enrolment.user))
    return bytes(calendar.to_ical())


def feed(user: User) -> bytes:
    """The person's calendar: sessions they booked a seat on and sessions they teach."""
    booked = select(Enrolment.session_id).where(
        Enrolment.user_id == user.id, Enrolment.status == "booked"
    )
    rows = db.session.execute(
        select(ClassroomSession, Course)
        .join(Course, Course.id == ClassroomSession.course_id)
        .where(or_(ClassroomSession.id.in_(booked), ClassroomSession.trainer_id == user.id))
        .order_by(ClassroomSession.starts_at)
    )
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", "Kompetens")
    for session, course in rows:
        calendar.add_component(_event(session, course, None))
    return bytes(calendar.to_ical())
