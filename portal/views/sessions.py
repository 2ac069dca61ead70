"""Classroom sessions beyond booking: change, cancel, attendance list, calendar files.

Changing and cancelling a session, its printable attendance list, a booking's
invitation and the personal calendar feed.
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone, to_utc

from accounts import service
from accounts.auth import login_required, role_required
from core.errors import NotFound
from packages import service as packages
from portal import bookings, bp, calendar_feeds, classroom, invitations, schemas, session_changes
from portal.views.common import Page, render, submit, this_user

ICS = "text/calendar; charset=utf-8"


def naive_utc(local: Any) -> Any:
    """A form's local date and time (the user's time zone) as the tables keep it."""
    return to_utc(local).replace(tzinfo=None)


def local_value(moment: Any) -> str:
    """A stored time as a ``datetime-local`` field's value in the user's time zone."""
    return str(to_user_timezone(moment).strftime("%Y-%m-%dT%H:%M"))


@bp.route("/trainer/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required("author")
def edit_session(session_id: int) -> Page:
    """Change a session's time, place, trainer or seats, or cancel it with a reason."""
    user = this_user()
    session_ = classroom.get_session(session_id)
    classroom.check_manager(session_, user)
    if request.method == "POST":
        done: object = None
        if request.form.get("action") == "cancel":
            done = submit(
                schemas.CancelSessionSchema(),
                lambda data: session_changes.cancel_session(session_, user, data["reason"]),
                _("The session is cancelled; the people on it see it with your reason."),
            )
        else:
            done = submit(
                schemas.SessionSchema(),
                lambda data: session_changes.change_session(
                    session_,
                    user,
                    starts_at=naive_utc(data["starts_at"]),
                    ends_at=naive_utc(data["ends_at"]),
                    place=data["place"],
                    trainer=service.get_user(data["trainer_id"]),
                    seats=data["seats"],
                    confirm_past=data["confirm_past"],
                ),
                _("Saved; the people on the session see the change."),
            )
        if done is not None:
            return redirect(url_for("portal.edit_session", session_id=session_id))
    return render(
        "session_edit.html",
        session=session_,
        course=packages.get_course(session_.course_id),
        trainers=service.list_trainers(),
        booked=classroom.enrolments(session_),
        waiting=classroom.enrolments(session_, "waiting"),
        starts_local=local_value(session_.starts_at),
        ends_local=local_value(session_.ends_at),
    )


@bp.get("/trainer/sessions/<int:session_id>/attendance-list")
@role_required("author")
def attendance_list(session_id: int) -> Page:
    """A printable list of the people booked, with a column to sign."""
    session_ = classroom.get_session(session_id)
    classroom.check_manager(session_, this_user())
    return render(
        "attendance_list.html",
        session=session_,
        course=packages.get_course(session_.course_id),
        booked=classroom.enrolments(session_),
    )


@bp.get("/my/bookings/<int:enrolment_id>/invitation.ics")
@login_required
def booking_invitation(enrolment_id: int) -> Response:
    """The person's own booking as a calendar invitation (someone else's: 404)."""
    enrolment = bookings.booking_of(enrolment_id, this_user())
    if enrolment.status != "booked":
        raise NotFound("A place on the waiting list has no invitation yet")
    return Response(
        invitations.invitation(enrolment),
        mimetype=ICS,
        headers={
            "Content-Disposition": f'attachment; filename="session-{enrolment.session_id}.ics"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str) -> Response:
    """A person's calendar feed, opened by its secret address alone (a wrong one: 404)."""
    user = calendar_feeds.owner(token)
    return Response(
        invitations.feed(user),
        mimetype=ICS,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
