"""Messages about classroom bookings, with the session's invitation attached.

The classroom services send signals (portal/signals.py) inside the request's transaction;
the receivers here store each message in the outbox in that same transaction, so a
booking and its message are committed together or not at all, and after the commit each
stored message gets a sending job (the outbox sweep catches any whose job is lost). Keys
name the person, the session and its SEQUENCE, so a change is told once per change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_datetime, gettext
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from accounts.models import User
from core import jobs
from core.db import db
from core.i18n import N_
from packages.models import Course
from portal import invitations, notices, signals
from portal.models import ClassroomSession, Enrolment
from portal.notices import Content, Draft, kind, portal_link

_PENDING = "booking_notice_ids"


def _when(c: dict[str, Any]) -> str:
    return gettext(
        "%(start)s to %(end)s",
        start=format_datetime(datetime.fromisoformat(c["starts"]), format="short"),
        end=format_datetime(datetime.fromisoformat(c["ends"]), format="short"),
    )


def _content(user: User, c: dict[str, Any], subject: str, first: str) -> Content:
    lines = [gettext("Hello %(name)s,", name=user.name), first]
    items = [
        gettext("When: %(when)s", when=_when(c)),
        gettext("Where: %(place)s", place=c["place"]),
    ]
    if c.get("reason"):
        lines.append(gettext("Reason: %(reason)s", reason=c["reason"]))
    else:
        lines.append(gettext("The invitation is attached: open it to add it to your calendar."))
    return Content(subject, lines, items, portal_link("/my"), gettext("Open My learning"))


@kind("booking_confirmed", N_("My booking on a session is confirmed"), optional=False)
def booking_confirmed(user: User, c: dict[str, Any]) -> Content:
    """A booking got its seat."""
    return _content(
        user,
        c,
        gettext("Booked: %(course)s", course=c["course"]),
        gettext("You have a seat on %(course)s.", course=c["course"]),
    )


@kind("promoted", N_("I get a seat from the waiting list"), optional=False)
def promoted(user: User, c: dict[str, Any]) -> Content:
    """A seat freed up and the person on the waiting list got it."""
    return _content(
        user,
        c,
        gettext("You have a seat: %(course)s", course=c["course"]),
        gettext(
            "A seat became free on %(course)s and it is yours now (you were on the waiting list).",
            course=c["course"],
        ),
    )


@kind("session_changed", N_("A session I am booked on changes"), optional=False)
def session_changed(user: User, c: dict[str, Any]) -> Content:
    """The time, place or trainer changed."""
    return _content(
        user,
        c,
        gettext("Changed: %(course)s", course=c["course"]),
        gettext("The session of %(course)s you are booked on has changed.", course=c["course"]),
    )


@kind("session_cancelled", N_("A session I am booked on is cancelled"), optional=False)
def session_cancelled(user: User, c: dict[str, Any]) -> Content:
    """The session will not take place."""
    return _content(
        user,
        c,
        gettext("Cancelled: %(course)s", course=c["course"]),
        gettext("The session of %(course)s you were booked on is cancelled.", course=c["course"]),
    )


def _tell(kind_name: str, enrolment: Enrolment) -> None:
    session = enrolment.session
    course = db.session.get(Course, session.course_id)
    user = db.session.get(User, enrolment.user_id)
    if course is None or user is None:
        return
    context = {
        "course": course.title,
        "starts": session.starts_at.isoformat(),
        "ends": session.ends_at.isoformat(),
        "place": session.place,
        "reason": session.cancel_reason if session.cancelled_at else "",
    }
    key = f"{kind_name}:{user.id}:s{session.id}:q{session.sequence}"
    draft = Draft(kind_name, key, user, context, invitations.invitation(enrolment))
    db.session.info.setdefault(_PENDING, []).extend(notices.store([draft]))


def _enrolments(session: ClassroomSession, user_ids: list[int]) -> list[Enrolment]:
    return list(
        db.session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == session.id, Enrolment.user_id.in_(user_ids)
            )
        )
    )


def _on_confirmed(enrolment: Enrolment, **_: Any) -> None:
    _tell("booking_confirmed", enrolment)


def _on_promoted(enrolment: Enrolment, **_: Any) -> None:
    _tell("promoted", enrolment)


def _on_changed(session: ClassroomSession, user_ids: list[int], **_: Any) -> None:
    for enrolment in _enrolments(session, user_ids):
        _tell("session_changed", enrolment)


def _on_cancelled(session: ClassroomSession, user_ids: list[int], **_: Any) -> None:
    for enrolment in _enrolments(session, user_ids):
        _tell("session_cancelled", enrolment)


def connect() -> None:
    """Tell people about their bookings (connecting again changes nothing)."""
    signals.booking_confirmed.connect(_on_confirmed)
    signals.promoted.connect(_on_promoted)
    signals.session_changed.connect(_on_changed)
    signals.session_cancelled.connect(_on_cancelled)
    if not event.contains(Session, "after_commit", _send_after_commit):
        event.listen(Session, "after_commit", _send_after_commit)
        event.listen(Session, "after_rollback", _forget_after_rollback)


def _send_after_commit(session: Session) -> None:
    """The stored messages are committed now: give each its sending job."""
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    for message_id in ids:
        if not jobs.try_enqueue("send_message", message_id):
            break  # no queue now: the outbox sweep sends them when a worker runs


def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
