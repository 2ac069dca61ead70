"""Manager approval of classroom bookings (where a course asks for it).

A booking of such a course by a person with a manager (``User.manager_id``) is
"pending" and holds no seat; the manager (or an admin) approves it, and it then takes a
seat or a place on the waiting list as a booking made at that moment would, under the
session's lock, or refuses it with a reason the person sees. Anyone else is told there
is no such booking (404), so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from accounts.models import User
from core.db import db
from core.errors import BadRequest, Conflict, NotFound
from packages.models import Course
from portal import bookings, requirements, signals
from portal.classroom import now
from portal.models import ClassroomSession, Enrolment


@dataclass(frozen=True)
class Pending:
    """A booking waiting for the manager: who, which course, which session."""

    enrolment: Enrolment
    person: User
    session: ClassroomSession
    title: str


def pending_for(manager: User) -> list[Pending]:
    """Bookings waiting for this manager (their direct reports; an admin: everyone's)."""
    stmt = (
        select(Enrolment, User, ClassroomSession, Course.title)
        .join(User, User.id == Enrolment.user_id)
        .join(ClassroomSession, ClassroomSession.id == Enrolment.session_id)
        .join(Course, Course.id == ClassroomSession.course_id)
        .where(Enrolment.status == "pending")
        .order_by(ClassroomSession.starts_at, Enrolment.enrolled_at)
    )
    if manager.role != "admin":
        stmt = stmt.where(User.manager_id == manager.id)
    return [Pending(e, u, s, t) for e, u, s, t in db.session.execute(stmt)]


def _pending(enrolment_id: int, manager: User) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    person = enrolment.user if enrolment is not None else None
    if (
        enrolment is None
        or person is None
        or (manager.role != "admin" and person.manager_id != manager.id)
    ):
        raise NotFound("No such booking")
    if enrolment.status != "pending":
        raise Conflict("This booking has been decided already")
    return enrolment


def approve(enrolment_id: int, manager: User) -> Enrolment:
    """Approve a pending booking: a seat if one is free, else the waiting list."""
    enrolment = _pending(enrolment_id, manager)
    session = enrolment.session
    if session.cancelled_at is not None:
        raise Conflict("This session is cancelled")
    if session.starts_at < now():
        raise BadRequest("This session has taken place already")
    bookings.lock(session)
    enrolment.status = "booked" if bookings.booked_count(session) < session.seats else "waiting"
    db.session.flush()
    if enrolment.status == "booked":
        signals.booking_confirmed.send(enrolment, approved=True)
    signals.booking_approved.send(enrolment)
    return enrolment


def refuse(enrolment_id: int, manager: User, note: str) -> Enrolment:
    """Refuse a pending booking with a reason the person sees."""
    enrolment = _pending(enrolment_id, manager)
    if not note.strip():
        raise BadRequest("Give a reason", errors=[{"path": "note", "message": "Give a reason"}])
    enrolment.status = "refused"
    enrolment.note = note.strip()
    db.session.flush()
    requirements.sync(user_ids=[enrolment.user_id])
    signals.booking_refused.send(enrolment)
    return enrolment
