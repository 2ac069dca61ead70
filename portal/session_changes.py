"""Changing and cancelling classroom sessions; the people on them are told by signals.

Only the session's trainer, the author who planned it and admins may (``classroom.
check_manager``). A change people should hear about (time, place, trainer) raises the
session's ``sequence``, so their calendars replace the old invitation (RFC 5545
§3.8.7.4); a cancellation keeps the bookings so each person sees it with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from accounts.models import User
from core.db import db
from core.errors import BadRequest, Conflict
from portal import bookings, requirements, signals
from portal.classroom import check_manager, check_times, check_trainer_role, now
from portal.models import ClassroomSession, Enrolment

# What people booked on a session see of it: changing one of these tells them.
_TOLD = ("starts_at", "ends_at", "place", "trainer_id")


def _people(session: ClassroomSession) -> list[int]:
    return list(
        db.session.scalars(select(Enrolment.user_id).where(Enrolment.session_id == session.id))
    )


def change_session(
    session: ClassroomSession,
    user: User,
    *,
    starts_at: datetime,
    ends_at: datetime,
    place: str,
    trainer: User,
    seats: int,
    confirm_past: bool = False,
) -> dict[str, tuple[Any, Any]]:
    """Change time, place, trainer or seats; returns what changed as ``(old, new)``.

    Fewer seats than are booked is refused; more seats promote from the waiting list.
    """
    check_manager(session, user)
    if session.cancelled_at is not None:
        raise Conflict("This session is cancelled")
    check_trainer_role(trainer)
    # A start already in the past that is not moved needs no confirmation again.
    check_times(starts_at, ends_at, confirm_past or starts_at == session.starts_at)
    bookings.lock(session)
    taken = bookings.booked_count(session)
    if seats < taken:
        raise BadRequest(
            "Fewer seats than people booked",
            errors=[{"path": "seats", "message": "Fewer seats than people booked"}],
        )
    wanted = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place.strip(),
        "trainer_id": trainer.id,
        "seats": seats,
    }
    changes = {
        name: (getattr(session, name), value)
        for name, value in wanted.items()
        if getattr(session, name) != value
    }
    for name, (_old, value) in changes.items():
        setattr(session, name, value)
    told = {name: change for name, change in changes.items() if name in _TOLD}
    if changes:
        session.updated_at = now()
    if told:
        session.sequence += 1
    db.session.flush()
    if "seats" in changes:
        bookings.promote(session)
    if told:
        signals.session_changed.send(session, changes=told, user_ids=_people(session))
    return changes


def cancel_session(session: ClassroomSession, user: User, reason: str) -> list[int]:
    """Cancel the session with a reason; returns the ids of the people who were on it."""
    check_manager(session, user)
    if session.cancelled_at is not None:
        raise Conflict("This session is cancelled")
    if not reason.strip():
        raise BadRequest("Give a reason", errors=[{"path": "reason", "message": "Give a reason"}])
    bookings.lock(session)
    recorded = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.session_id == session.id, Enrolment.recorded_at.is_not(None)
        )
    )
    if recorded is not None:
        raise Conflict("Attendance has been recorded already")
    session.cancelled_at = now()
    session.cancel_reason = reason.strip()
    session.sequence += 1
    db.session.flush()
    people = _people(session)
    requirements.sync(user_ids=people)  # a cancelled booking no longer counts as begun
    signals.session_cancelled.send(session, user_ids=people)
    return people
