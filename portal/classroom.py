"""Classroom training: sessions, enrolment, and attendance recorded as xAPI statements.

Each recorded attendance goes through ``lrs.service.store_statements`` like any other
learning record: "attended" the session, then "completed" and "passed"/"failed" the
course where the trainer says so, with the trainer as instructor and the session's
registration (xAPI 1.0.3 Data §2.4.6 context: registration, instructor).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, func, or_, select

from accounts.auth import agent_for, has_role
from accounts.models import User
from core import vocabulary
from core.db import db
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from lrs import service as lrs
from lrs.auth import Client
from lrs.clock import format_timestamp
from packages.models import Course
from portal.models import ClassroomSession, Enrolment


def now() -> datetime:
    """The current time as the tables keep it (naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def course_iri(course_id: int) -> str:
    """The activity id of a catalogue course (the projection maps it back)."""
    return vocabulary.course_iri(current_app.config["AGENT_HOMEPAGE"], course_id)


def session_iri(session_id: int) -> str:
    """The activity id of one classroom session."""
    return vocabulary.session_iri(current_app.config["AGENT_HOMEPAGE"], session_id)


def portal_client() -> Client:
    """The LRS client the portal stores classroom statements as (its authority)."""
    authority = {
        "objectType": "Agent",
        "name": "Kompetens portal",
        "account": {"homePage": current_app.config["AGENT_HOMEPAGE"], "name": "portal"},
    }
    return Client(id=0, scopes=frozenset({"statements/write"}), authority=authority, trusted=True)


def check_times(starts_at: datetime, ends_at: datetime, confirm_past: bool) -> None:
    """The end after the start; a start in the past only when the person confirmed it."""
    if ends_at <= starts_at:
        raise BadRequest(
            "The session must end after it starts",
            errors=[{"path": "ends_at", "message": "The session must end after it starts"}],
        )
    if starts_at < now() and not confirm_past:
        raise BadRequest(
            "The start is in the past: tick the box to confirm it",
            errors=[
                {
                    "path": "confirm_past",
                    "message": "The start is in the past: tick the box to confirm it",
                }
            ],
        )


def check_trainer_role(trainer: User) -> None:
    """A session's trainer needs the author/trainer role or above."""
    if not has_role("author", trainer):
        raise BadRequest(
            "The trainer needs the author/trainer role",
            errors=[{"path": "trainer_id", "message": "not a trainer"}],
        )


def create_session(
    course: Course,
    starts_at: datetime,
    place: str,
    trainer: User,
    seats: int,
    ends_at: datetime | None = None,
    planned_by: User | None = None,
    confirm_past: bool = False,
) -> ClassroomSession:
    """Plan a session of a course (naive UTC times; without an end, two hours long)."""
    check_trainer_role(trainer)
    ends_at = ends_at or starts_at + timedelta(hours=2)
    check_times(starts_at, ends_at, confirm_past)
    session = ClassroomSession(
        course_id=course.id,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        trainer_id=trainer.id,
        seats=seats,
        registration=str(uuid.uuid4()),
        created_at=now(),
        planned_by_id=planned_by.id if planned_by is not None else None,
        sequence=0,
    )
    db.session.add(session)
    db.session.flush()
    return session


def get_session(session_id: int) -> ClassroomSession:
    """Return a session, or raise NotFound."""
    session = db.session.get(ClassroomSession, session_id)
    if session is None:
        raise NotFound(f"No session {session_id}")
    return session


@dataclass(frozen=True)
class SessionRow:
    """A session as lists show it: booked seats and people waiting."""

    session: ClassroomSession
    booked: int
    waiting: int

    @property
    def free(self) -> int:
        """Seats still free (never below zero)."""
        return max(0, self.session.seats - self.booked)


def sessions_of(course_id: int, upcoming_only: bool = False) -> list[SessionRow]:
    """A course's sessions by date, with booked and waiting counts.

    ``upcoming_only`` leaves out past and cancelled sessions (what can be booked).
    """
    counts = (
        select(
            Enrolment.session_id,
            func.sum(case((Enrolment.status == "booked", 1), else_=0)).label("booked"),
            func.sum(case((Enrolment.status == "waiting", 1), else_=0)).label("waiting"),
        )
        .group_by(Enrolment.session_id)
        .subquery()
    )
    stmt = (
        select(
            ClassroomSession,
            func.coalesce(counts.c.booked, 0),
            func.coalesce(counts.c.waiting, 0),
        )
        .outerjoin(counts, counts.c.session_id == ClassroomSession.id)
        .where(ClassroomSession.course_id == course_id)
        .order_by(ClassroomSession.starts_at)
    )
    if upcoming_only:
        stmt = stmt.where(
            ClassroomSession.starts_at >= now(), ClassroomSession.cancelled_at.is_(None)
        )
    return [SessionRow(s, int(b), int(w)) for s, b, w in db.session.execute(stmt)]


def sessions_for_trainer(trainer: User) -> list[ClassroomSession]:
    """Sessions a trainer teaches or planned (all sessions for an admin), newest first."""
    stmt = select(ClassroomSession).order_by(ClassroomSession.starts_at.desc())
    if trainer.role != "admin":
        stmt = stmt.where(
            or_(
                ClassroomSession.trainer_id == trainer.id,
                ClassroomSession.planned_by_id == trainer.id,
            )
        )
    return list(db.session.scalars(stmt))


def enrolments(session: ClassroomSession, status: str | None = "booked") -> list[Enrolment]:
    """The people on a session by name: booked ones (``status=None``: waiting ones too)."""
    stmt = (
        select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.session_id == session.id)
        .order_by(User.name)
    )
    if status is not None:
        stmt = stmt.where(Enrolment.status == status)
    return list(db.session.scalars(stmt))


def enrolment_of(session: ClassroomSession, user: User) -> Enrolment | None:
    """The user's booking of the session (a seat or the waiting list), if any."""
    return db.session.scalar(
        select(Enrolment).where(Enrolment.session_id == session.id, Enrolment.user_id == user.id)
    )


def may_manage(session: ClassroomSession, user: User) -> bool:
    """The trainer, the author who planned it and admins may change, cancel and print it."""
    return user.role == "admin" or user.id in (session.trainer_id, session.planned_by_id)


def check_manager(session: ClassroomSession, user: User) -> None:
    """Refuse anyone who may not change the session or see its attendance list."""
    if not may_manage(session, user):
        raise Forbidden("Only the session's trainer, its planner or an admin may do this")


def check_trainer(session: ClassroomSession, user: User) -> None:
    """Only the session's trainer (or an admin) records attendance."""
    if user.role != "admin" and session.trainer_id != user.id:
        raise Forbidden("Only the session's trainer records attendance")


def _statement(
    verb: str,
    learner: User,
    trainer: User,
    session: ClassroomSession,
    course: Course,
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    on_session = verb == "attended"
    target = session_iri(session.id) if on_session else course_iri(course.id)
    if on_session:
        name = f"{course.title} ({session.starts_at:%Y-%m-%d})"
        definition = {"name": {"en-US": name}, "type": vocabulary.TYPE_MEETING}
    else:
        definition = vocabulary.course_definition(course.title)  # as the player names it
    context: dict[str, Any] = {
        "registration": session.registration,
        "instructor": agent_for(trainer),
        "contextActivities": {
            "category": [
                {"id": vocabulary.classroom_category(current_app.config["AGENT_HOMEPAGE"])}
            ]
        },
    }
    if on_session:
        context["contextActivities"]["parent"] = [{"id": course_iri(course.id)}]
    else:
        context["contextActivities"]["grouping"] = [{"id": session_iri(session.id)}]
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": agent_for(learner),
        "verb": vocabulary.verb(verb),
        "object": {
            "objectType": "Activity",
            "id": target,
            "definition": definition,
        },
        "context": context,
        "timestamp": format_timestamp(datetime.now(UTC)),
    }
    if result:
        statement["result"] = result
    return statement


def record_attendance(
    session: ClassroomSession, trainer: User, rows: dict[int, dict[str, Any]]
) -> list[str]:
    """Record attendance and results for enrolments (by id); returns the stored statement ids.

    An enrolment is recorded once: later changes are refused, since its statements are in
    the LRS already (a correction would void them; not offered in the UI yet).
    """
    check_trainer(session, trainer)
    if session.cancelled_at is not None:
        raise Conflict("This session is cancelled")
    course = db.session.get(Course, session.course_id)
    assert course is not None  # noqa: S101  (FK)
    statements: list[dict[str, Any]] = []
    recorded: list[tuple[Enrolment, list[str]]] = []
    for enrolment in enrolments(session):
        row = rows.get(enrolment.id)
        if row is None or enrolment.recorded_at is not None:
            continue
        enrolment.attended = bool(row["attended"])
        enrolment.completed = bool(row["attended"] and row["completed"])
        enrolment.outcome = row["outcome"] if row["attended"] else None
        enrolment.score = row["score"] if row["attended"] else None
        enrolment.recorded_at = now()
        if not enrolment.attended:
            continue
        learner = enrolment.user
        first = len(statements)
        statements.append(_statement("attended", learner, trainer, session, course))
        if enrolment.completed:
            statements.append(
                _statement("completed", learner, trainer, session, course, {"completion": True})
            )
        if enrolment.outcome:
            result: dict[str, Any] = {"success": enrolment.outcome == "passed", "completion": True}
            if enrolment.score is not None:
                result["score"] = {
                    "scaled": round(enrolment.score / 100, 4),
                    "raw": enrolment.score,
                    "min": 0,
                    "max": 100,
                }
            statements.append(
                _statement(enrolment.outcome, learner, trainer, session, course, result)
            )
        recorded.append((enrolment, [s["id"] for s in statements[first:]]))
    for enrolment, ids in recorded:
        enrolment.statement_ids = ids
    db.session.flush()
    if not statements:
        return []
    return lrs.store_statements(statements, portal_client(), "1.0.3").ids


def correct_attendance(session: ClassroomSession, trainer: User, enrolment_id: int) -> int:
    """Undo a recorded enrolment so it can be recorded again; returns statements voided.

    Its statements are voided in the LRS (xAPI 1.0.3 Data §2.3.2), by the trainer, so
    every report and projection drops them; the statements themselves stay, as xAPI wants.
    """
    check_trainer(session, trainer)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.session_id != session.id:
        raise NotFound("No such enrolment on this session")
    if enrolment.recorded_at is None:
        raise Conflict("Nothing has been recorded for this learner yet")
    voiding = [
        {
            "id": str(uuid.uuid4()),
            "actor": agent_for(trainer),
            "verb": vocabulary.verb("voided"),
            "object": {"objectType": "StatementRef", "id": statement_id},
        }
        for statement_id in enrolment.statement_ids or []
    ]
    enrolment.attended = None
    enrolment.completed = False
    enrolment.outcome = None
    enrolment.score = None
    enrolment.recorded_at = None
    enrolment.statement_ids = None
    db.session.flush()
    if voiding:
        lrs.store_statements(voiding, portal_client(), "1.0.3")
    return len(voiding)
