"""Messages about classroom bookings, with the session's invitation attached.

The classroom services send signals (portal/signals.py) inside the request's transaction;
the receivers here store each message in the outbox in that same transaction, so a
booking and its message are committed together or not at all, and after the commit each
stored message gets a sending job (the outbox sweep catches any whose job is lost). Keys
name the person, the session and its SEQUENCE, so a change is told once per change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import format_datetime, gettext
from sqlalchemy import select

from accounts.models import User
from core.db import db
from core.i18n import N_
from packages.models import Course
from portal import invitations, notices, signals
from portal.models import ClassroomSession, Enrolment
from portal.notices import Content, Draft, kind, portal_link


def when(c: dict[str, Any]) -> str:
    """When the session is, in the recipient's locale (``starts`` and ``ends`` as ISO)."""
    return gettext(
        "%(start)s to %(end)s",
        start=format_datetime(datetime.fromisoformat(c["starts"]), format="short"),
        end=format_datetime(datetime.fromisoformat(c["ends"]), format="short"),
    )


# Each kind: its name in settings, the subject, and what happened (catalogue texts,
# translated in the recipient's language when written).
_KINDS = {
    "booking_confirmed": (
        N_("My booking on a session is confirmed"),
        N_("Booked: %(course)s"),
        N_("You have a seat on %(course)s."),
    ),
    "promoted": (
        N_("I get a seat from the waiting list"),
        N_("You have a seat: %(course)s"),
        N_("A seat became free on %(course)s and it is yours now (you were on the waiting list)."),
    ),
    "session_changed": (
        N_("A session I am booked on changes"),
        N_("Changed: %(course)s"),
        N_("The session of %(course)s you are booked on has changed."),
    ),
    "session_cancelled": (
        N_("A session I am booked on is cancelled"),
        N_("Cancelled: %(course)s"),
        N_("The session of %(course)s you were booked on is cancelled."),
    ),
}


def _writer(subject: str, first: str) -> Callable[[User, dict[str, Any]], Content]:
    """The message: what happened, when and where, the reason or the invitation."""

    def write(user: User, c: dict[str, Any]) -> Content:
        lines = [gettext("Hello %(name)s,", name=user.name), gettext(first, course=c["course"])]
        items = [
            gettext("When: %(when)s", when=when(c)),
            gettext("Where: %(place)s", place=c["place"]),
        ]
        if c.get("reason"):
            lines.append(gettext("Reason: %(reason)s", reason=c["reason"]))
        else:
            lines.append(gettext("The invitation is attached: open it to add it to your calendar."))
        return Content(
            gettext(subject, course=c["course"]),
            lines,
            items,
            portal_link("/my"),
            gettext("Open My learning"),
        )

    return write


for _name, (_label, _subject, _first) in _KINDS.items():
    kind(_name, _label, optional=False)(_writer(_subject, _first))


def session_context(session: ClassroomSession) -> dict[str, Any] | None:
    """What a message says about a session: course, start, end, place (None: no course)."""
    course = db.session.get(Course, session.course_id)
    if course is None:
        return None
    return {
        "course": course.title,
        "starts": session.starts_at.isoformat(),
        "ends": session.ends_at.isoformat(),
        "place": session.place,
    }


def send_after_commit(drafts: list[Draft]) -> None:
    """Store the drafts in the outbox now; each gets its sending job after the commit."""
    notices.send_after_commit(notices.store(drafts))


def _tell(kind_name: str, enrolment: Enrolment) -> None:
    session = enrolment.session
    context = session_context(session)
    user = db.session.get(User, enrolment.user_id)
    if context is None or user is None:
        return
    context["reason"] = session.cancel_reason if session.cancelled_at else ""
    key = f"{kind_name}:{user.id}:s{session.id}:q{session.sequence}"
    send_after_commit([Draft(kind_name, key, user, context, invitations.invitation(enrolment))])


def _enrolments(session: ClassroomSession, user_ids: list[int]) -> list[Enrolment]:
    return list(
        db.session.scalars(
            select(Enrolment).where(
                Enrolment.session_id == session.id, Enrolment.user_id.in_(user_ids)
            )
        )
    )


def _on_confirmed(enrolment: Enrolment, approved: bool = False, **_: Any) -> None:
    if not approved:  # an approved booking's message says so (portal/approval_notices.py)
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
    notices.connect_sending()
