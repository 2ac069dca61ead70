"""Messages about manager approval of bookings (portal/approvals.py).

The manager is told when one of their people's bookings waits for them; the person is
told when it is approved (with a seat and the invitation, or a place on the waiting
list) or refused (with the manager's reason). Like the other booking messages
(portal/booking_notices.py) they are stored in the outbox in the decision's own
transaction and sent by jobs after its commit. Keys name the booking and the moment it
was made, so a booking made again after a cancellation is told again.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from accounts.models import User
from core.db import db
from core.i18n import N_
from portal import bookings, invitations, signals
from portal.booking_notices import send_after_commit, session_context, when
from portal.models import Enrolment
from portal.notices import Content, Draft, kind, portal_link


def _hello(user: User) -> str:
    return gettext("Hello %(name)s,", name=user.name)


def _session_items(c: dict[str, Any]) -> list[str]:
    return [
        gettext("When: %(when)s", when=when(c)),
        gettext("Where: %(place)s", place=c["place"]),
    ]


@kind("approval_requested", N_("A booking by one of my staff waits for my approval"), False)
def approval_requested(user: User, c: dict[str, Any]) -> Content:
    """To the manager: a booking of one of their people waits for their decision."""
    return Content(
        gettext(
            "Approve a booking: %(person)s, %(course)s", person=c["person"], course=c["course"]
        ),
        [
            _hello(user),
            gettext(
                "%(person)s has booked %(course)s, and the booking needs your approval.",
                person=c["person"],
                course=c["course"],
            ),
            gettext("Approve or refuse it under Bookings to approve."),
        ],
        _session_items(c),
        portal_link("/manage/bookings"),
        gettext("Open Bookings to approve"),
    )


@kind("booking_approved", N_("My manager approves my booking"), False)
def booking_approved(user: User, c: dict[str, Any]) -> Content:
    """To the person: approved, with a seat (and the invitation) or on the waiting list."""
    lines = [_hello(user)]
    if c.get("place_in_line"):
        lines += [
            gettext("Your manager has approved your booking on %(course)s.", course=c["course"]),
            gettext(
                "The session is full, so you are number %(place)s on the waiting list. "
                "You will get an e-mail if a seat becomes free.",
                place=c["place_in_line"],
            ),
        ]
    else:
        lines += [
            gettext(
                "Your manager has approved your booking on %(course)s, and you have a seat.",
                course=c["course"],
            ),
            gettext("The invitation is attached: open it to add it to your calendar."),
        ]
    return Content(
        gettext("Approved: %(course)s", course=c["course"]),
        lines,
        _session_items(c),
        portal_link("/my"),
        gettext("Open My learning"),
    )


@kind("booking_refused", N_("My manager refuses my booking"), False)
def booking_refused(user: User, c: dict[str, Any]) -> Content:
    """To the person: the manager refused the booking, and why."""
    lines = [
        _hello(user),
        gettext("Your manager has not approved your booking on %(course)s.", course=c["course"]),
    ]
    if c.get("reason"):
        lines.append(gettext("Reason: %(reason)s", reason=c["reason"]))
    return Content(
        gettext("Not approved: %(course)s", course=c["course"]),
        lines,
        _session_items(c),
        portal_link("/my"),
        gettext("Open My learning"),
    )


def _key(kind_name: str, recipient: User, enrolment: Enrolment) -> str:
    made = enrolment.enrolled_at.strftime("%Y%m%dT%H%M%S%f")
    return f"{kind_name}:{recipient.id}:e{enrolment.id}:{made}"


def _on_requested(enrolment: Enrolment, **_: Any) -> None:
    person = db.session.get(User, enrolment.user_id)
    manager = db.session.get(User, person.manager_id) if person and person.manager_id else None
    context = session_context(enrolment.session)
    if person is None or manager is None or not manager.active or context is None:
        return  # an inactive manager reads no mail: an admin decides (Bookings to approve)
    context["person"] = person.name
    key = _key("approval_requested", manager, enrolment)
    send_after_commit([Draft("approval_requested", key, manager, context)])


def _on_approved(enrolment: Enrolment, **_: Any) -> None:
    person = db.session.get(User, enrolment.user_id)
    context = session_context(enrolment.session)
    if person is None or context is None:
        return
    seat = enrolment.status == "booked"
    context["place_in_line"] = 0 if seat else bookings.waiting_place(enrolment)
    ics = invitations.invitation(enrolment) if seat else None
    key = _key("booking_approved", person, enrolment)
    send_after_commit([Draft("booking_approved", key, person, context, ics)])


def _on_refused(enrolment: Enrolment, **_: Any) -> None:
    person = db.session.get(User, enrolment.user_id)
    context = session_context(enrolment.session)
    if person is None or context is None:
        return
    context["reason"] = enrolment.note or ""
    key = _key("booking_refused", person, enrolment)
    send_after_commit([Draft("booking_refused", key, person, context)])


def connect() -> None:
    """Tell managers and their people about approvals (connecting again changes nothing)."""
    signals.approval_requested.connect(_on_requested)
    signals.booking_approved.connect(_on_approved)
    signals.booking_refused.connect(_on_refused)
