"""Booking classroom sessions: seats, the waiting list and promotion from it.

Every change to who holds a seat runs under a lock of the session's row (``SELECT ...
FOR UPDATE`` on PostgreSQL; SQLite's write lock, taken at once), so two people
taking the last seat, or a cancellation and a booking at once, cannot overbook: seats are
counted after the lock is taken. The waiting list is served in the order people joined
it (``enrolled_at``, then ``id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from accounts.models import User
from core.db import db
from core.errors import BadRequest, Conflict, NotFound
from packages.models import Course
from portal import requirements, signals
from portal.classroom import enrolment_of, now
from portal.models import ClassroomSession, Completion, CourseKind, Enrolment


@dataclass(frozen=True)
class Booked:
    """What booking gave: the booking, and when the person last completed the course."""

    enrolment: Enrolment
    completed_at: datetime | None


def lock(session: ClassroomSession) -> None:
    """Lock the session's row until the transaction ends (serialises its seat changes)."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks, and pysqlite begins a transaction only at the first
        # write: a write that changes nothing takes the database's write lock now (waiting
        # for another writer to finish), so the seats counted after it are the latest
        # and stay so until this transaction commits.
        db.session.execute(
            update(ClassroomSession)
            .where(ClassroomSession.id == session.id)
            .values(sequence=ClassroomSession.sequence)
            .execution_options(synchronize_session=False)
        )
        return
    db.session.execute(
        select(ClassroomSession.id).where(ClassroomSession.id == session.id).with_for_update()
    )


def booked_count(session: ClassroomSession) -> int:
    """Seats taken on the session."""
    return (
        db.session.scalar(
            select(func.count()).where(
                Enrolment.session_id == session.id, Enrolment.status == "booked"
            )
        )
        or 0
    )


def active_booking(user: User, course_id: int, other_than: int | None = None) -> Enrolment | None:
    """The person's booking (seat or waiting) on an upcoming, not cancelled session of a course."""
    stmt = (
        select(Enrolment)
        .join(ClassroomSession, ClassroomSession.id == Enrolment.session_id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.recorded_at.is_(None),
            Enrolment.status != "refused",
            ClassroomSession.course_id == course_id,
            ClassroomSession.cancelled_at.is_(None),
            ClassroomSession.ends_at >= now(),
        )
        .order_by(ClassroomSession.starts_at)
    )
    if other_than is not None:
        stmt = stmt.where(ClassroomSession.id != other_than)
    return db.session.scalars(stmt).first()


def completed_at(user: User, course_id: int) -> datetime | None:
    """When the person last completed or passed the course (from the projection)."""
    return db.session.scalar(
        select(func.max(Completion.stored)).where(
            Completion.user_id == user.id,
            Completion.course_id == course_id,
            Completion.verb.in_(("completed", "passed")),
        )
    )


def enrol(session: ClassroomSession, user: User) -> Booked:
    """Book a seat, or a place on the waiting list when the session is full.

    Refused: a cancelled or past session, a second booking of this session, or a booking
    while the person has one on another upcoming session of the same course. Someone
    who completed the course before may book (renewals), and is told when. Where the
    course asks for it, a person with a manager waits for their approval ("pending").
    """
    if session.cancelled_at is not None:
        raise Conflict("This session is cancelled")
    if session.starts_at < now():
        raise BadRequest("This session has taken place already")
    lock(session)
    if enrolment_of(session, user) is not None:
        raise Conflict("You are enrolled on this session already")
    if active_booking(user, session.course_id, other_than=session.id) is not None:
        raise Conflict("You have booked another session of this course already")
    if needs_approval(session.course_id) and user.manager_id is not None:
        status = "pending"  # no seat held until the manager says yes
    else:
        status = "booked" if booked_count(session) < session.seats else "waiting"
    enrolment = Enrolment(session_id=session.id, user_id=user.id, enrolled_at=now(), status=status)
    db.session.add(enrolment)
    db.session.flush()
    requirements.sync(user_ids=[user.id])  # a booked session: mandatory training begun
    if status == "booked":
        signals.booking_confirmed.send(enrolment)
    elif status == "pending":
        signals.approval_requested.send(enrolment)
    return Booked(enrolment, completed_at(user, session.course_id))


def needs_approval(course_id: int) -> bool:
    """Whether the course's bookings wait for the person's manager to approve them."""
    return bool(
        db.session.scalar(
            select(CourseKind.booking_approval).where(CourseKind.course_id == course_id)
        )
    )


def set_needs_approval(course_id: int, required: bool) -> None:
    """Turn manager approval of a classroom course's bookings on or off."""
    kind = db.session.get(CourseKind, course_id)
    if kind is None or kind.kind != "classroom":
        raise BadRequest("Only classroom courses have bookings")
    kind.booking_approval = required
    db.session.flush()


def waiting_place(enrolment: Enrolment) -> int:
    """The booking's place on the waiting list (1 is next in line)."""
    ahead = db.session.scalar(
        select(func.count()).where(
            Enrolment.session_id == enrolment.session_id,
            Enrolment.status == "waiting",
            (Enrolment.enrolled_at < enrolment.enrolled_at)
            | ((Enrolment.enrolled_at == enrolment.enrolled_at) & (Enrolment.id < enrolment.id)),
        )
    )
    return int(ahead or 0) + 1


def cancel(session: ClassroomSession, user: User) -> None:
    """Give a booking back before the session is recorded; the next in line gets the seat."""
    lock(session)
    enrolment = enrolment_of(session, user)
    if enrolment is None:
        raise NotFound("You are not enrolled on this session")
    if enrolment.recorded_at is not None:
        raise Conflict("Attendance has been recorded already")
    db.session.delete(enrolment)
    db.session.flush()
    promote(session)
    requirements.sync(user_ids=[user.id])


def promote(session: ClassroomSession) -> list[Enrolment]:
    """Give free seats to the waiting list in order; the caller holds the session's lock.

    Nobody is promoted onto a cancelled session or one that has begun.
    """
    if session.cancelled_at is not None or session.starts_at < now():
        return []
    free = session.seats - booked_count(session)
    if free <= 0:
        return []
    moved = list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.session_id == session.id, Enrolment.status == "waiting")
            .order_by(Enrolment.enrolled_at, Enrolment.id)
            .limit(free)
        )
    )
    for enrolment in moved:
        enrolment.status = "booked"
    db.session.flush()
    for enrolment in moved:
        signals.promoted.send(enrolment)
    return moved


def booking_of(enrolment_id: int, user: User) -> Enrolment:
    """The person's own booking by id; anyone else's is "not found" (never "forbidden")."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != user.id:
        raise NotFound("No such booking")
    return enrolment


@dataclass(frozen=True)
class MyBooking:
    """One of the person's bookings as My learning shows it."""

    enrolment: Enrolment
    session: ClassroomSession
    title: str
    place_in_line: int | None  # on the waiting list: 1 is next


def my_bookings(user: User) -> list[MyBooking]:
    """The person's bookings of sessions that have not ended, cancelled ones included."""
    rows = db.session.execute(
        select(Enrolment, ClassroomSession, Course.title)
        .join(ClassroomSession, ClassroomSession.id == Enrolment.session_id)
        .join(Course, Course.id == ClassroomSession.course_id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.recorded_at.is_(None),
            ClassroomSession.ends_at >= now(),
        )
        .order_by(ClassroomSession.starts_at)
    )
    return [
        MyBooking(e, s, title, waiting_place(e) if e.status == "waiting" else None)
        for e, s, title in rows
    ]
