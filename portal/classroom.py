"""Classroom training: sessions, enrolment, and attendance recorded as xAPI statements.

Each recorded attendance goes through ``lrs.service.store_statements`` like any other
learning record: "attended" the session, then "completed" and "passed"/"failed" the
course where the trainer says so, with the trainer as instructor and the session's
registration (xAPI 1.0.3 Data §2.4.6 context: registration, instructor).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from accounts.auth import agent_for, has_role
from accounts.models import User
from core import vocabulary
from core.db import db
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from lrs import service as lrs
from lrs.auth import Client
from lrs.clock import format_timestamp
from packages.models import Course
from portal import requirements
from portal.models import ClassroomSession, Enrolment


def _now() -> datetime:
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


def create_session(
    course: Course, starts_at: datetime, place: str, trainer: User, seats: int
) -> ClassroomSession:
    """Plan a session of a course; the trainer must be an author/trainer or above."""
    if not has_role("author", trainer):
        raise BadRequest(
            "The trainer needs the author/trainer role",
            errors=[{"path": "trainer_id", "message": "not a trainer"}],
        )
    session = ClassroomSession(
        course_id=course.id,
        starts_at=starts_at,
        place=place.strip(),
        trainer_id=trainer.id,
        seats=seats,
        registration=str(uuid.uuid4()),
        created_at=_now(),
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


def sessions_of(course_id: int, upcoming_only: bool = False) -> list[tuple[ClassroomSession, int]]:
    """A course's sessions by date, each with its number of enrolled learners."""
    taken = (
        select(Enrolment.session_id, func.count().label("n"))
        .group_by(Enrolment.session_id)
        .subquery()
    )
    stmt = (
        select(ClassroomSession, func.coalesce(taken.c.n, 0))
        .outerjoin(taken, taken.c.session_id == ClassroomSession.id)
        .where(ClassroomSession.course_id == course_id)
        .order_by(ClassroomSession.starts_at)
    )
    if upcoming_only:
        stmt = stmt.where(ClassroomSession.starts_at >= _now())
    return [(s, int(n)) for s, n in db.session.execute(stmt)]


def sessions_for_trainer(trainer: User) -> list[ClassroomSession]:
    """Sessions a trainer teaches (all sessions for an admin), newest first."""
    stmt = select(ClassroomSession).order_by(ClassroomSession.starts_at.desc())
    if trainer.role != "admin":
        stmt = stmt.where(ClassroomSession.trainer_id == trainer.id)
    return list(db.session.scalars(stmt))


def enrolments(session: ClassroomSession) -> list[Enrolment]:
    """The learners on a session, by name."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .where(Enrolment.session_id == session.id)
            .order_by(User.name)
        )
    )


def enrolment_of(session: ClassroomSession, user: User) -> Enrolment | None:
    """The user's enrolment on the session, if any."""
    return db.session.scalar(
        select(Enrolment).where(Enrolment.session_id == session.id, Enrolment.user_id == user.id)
    )


def enrol(session: ClassroomSession, user: User) -> Enrolment:
    """Give ``user`` a seat; refused when the session is full or already held."""
    if enrolment_of(session, user) is not None:
        raise Conflict("You are enrolled on this session already")
    if session.starts_at < _now():
        raise BadRequest("This session has taken place already")
    # Lock the session row on PostgreSQL so two last-seat enrolments cannot both pass.
    db.session.execute(
        select(ClassroomSession.id).where(ClassroomSession.id == session.id).with_for_update()
    )
    taken = db.session.scalar(select(func.count()).where(Enrolment.session_id == session.id)) or 0
    if taken >= session.seats:
        raise Conflict("The session is full")
    enrolment = Enrolment(session_id=session.id, user_id=user.id, enrolled_at=_now())
    db.session.add(enrolment)
    db.session.flush()
    requirements.sync(user_ids=[user.id])  # a booked session: mandatory training begun
    return enrolment


def cancel(session: ClassroomSession, user: User) -> None:
    """Give a seat back before the session has been recorded."""
    enrolment = enrolment_of(session, user)
    if enrolment is None:
        raise NotFound("You are not enrolled on this session")
    if enrolment.recorded_at is not None:
        raise Conflict("Attendance has been recorded already")
    db.session.delete(enrolment)
    db.session.flush()
    requirements.sync(user_ids=[user.id])


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
    name = f"{course.title} ({session.starts_at:%Y-%m-%d})" if on_session else course.title
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
            "definition": {
                "name": {"en-US": name},
                "type": vocabulary.TYPE_MEETING if on_session else vocabulary.TYPE_COURSE,
            },
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
        enrolment.recorded_at = _now()
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
