"""Portal tables: accounts, units, course kinds, sessions, assignments, completions.

The completions table is the projection of the LRS the reports read (portal/reports.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Model, db

ROLES = ("learner", "author", "manager", "admin")
UNIT_KINDS = ("department", "company")
COURSE_KINDS = ("elearning", "classroom")


class OrganisationUnit(db.Model):
    """A department or municipal company; courses and users belong to one (or none)."""

    __tablename__ = "portal_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Short stable key, also stored in package_course.owner_unit for the unit's courses.
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="department")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(db.Model):
    """A person who signs in to the portal."""

    __tablename__ = "portal_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="learner")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # "sv" or "en"; None follows the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)

    unit: Mapped[OrganisationUnit | None] = relationship()


class LoginSession(Model):
    """One signed-in browser: the session cookie holds a random id, this row says it counts.

    Deleting the row ends the session at once, whatever copies of the cookie exist
    (sign-out, a password change or reset, deactivation; portal/login_sessions.py).
    """

    __tablename__ = "portal_login_session"

    # SHA-256 (hex) of the id in the cookie: the table alone lets nobody in.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)


class SignInThrottle(Model):
    """Failed sign-ins of one client address in its current window (portal/ratelimit.py).

    In the database, not in a worker's memory, so the limit holds across gunicorn
    workers and nodes.
    """

    __tablename__ = "portal_signin_throttle"

    # An IP address, or an IPv6 /64 network ("2001:db8:1:2::/64").
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    # When the window began: the first failure after the previous window ended.
    window_start: Mapped[datetime] = mapped_column(DateTime, index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class CourseKind(db.Model):
    """Whether a catalogue course is e-learning (a package) or classroom training.

    Courses without a row are e-learning (every package import creates one).
    """

    __tablename__ = "portal_course_kind"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="elearning", index=True)


class ClassroomSession(db.Model):
    """One occasion of a classroom course: when, where, who teaches, how many seats."""

    __tablename__ = "portal_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(300))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    # The xAPI registration of every statement about this session.
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    trainer: Mapped[User] = relationship()


class Enrolment(db.Model):
    """A learner's seat on a session, and what the trainer recorded for them."""

    __tablename__ = "portal_enrolment"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_enrolment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("portal_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(DateTime)
    attended: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    # "passed", "failed" or None (no test)
    outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # Score in per cent (0-100), where given.
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The statements the recording stored, so a correction can void exactly those.
    statement_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    user: Mapped[User] = relationship()
    session: Mapped[ClassroomSession] = relationship()


class Assignment(db.Model):
    """A course a manager assigned to one user or to a whole unit, with a due date."""

    __tablename__ = "portal_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), nullable=True, index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="CASCADE"), nullable=True, index=True
    )
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Completion(db.Model):
    """Projection of the LRS for reports: one row per completed/passed/failed statement.

    Kept in step by an ``lrs.service.on_stored`` listener in the same transaction;
    a voiding statement deletes the voided statement's row (portal/reports.py).
    """

    __tablename__ = "portal_completion"
    __table_args__ = (
        # Covering indexes: the per course/unit/month reports are index-only scans,
        # for every unit (by period) and for one unit (a manager's).
        Index("ix_completion_period_cover", "period", "unit_id", "course_id", "verb", "score"),
        Index("ix_completion_unit_cover", "unit_id", "period", "course_id", "verb", "score"),
        Index("ix_completion_course_verb_period", "course_id", "verb", "period"),
        Index("ix_completion_user_stored", "user_id", "stored"),
        Index("ix_completion_activity", "activity_id"),
        # The projection looks rows up by registration on every stored batch.
        Index("ix_completion_registration", "registration"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    # The learner: a portal user when the actor is one of our accounts.
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(300), default="")
    activity_id: Mapped[str] = mapped_column(String(2048))
    # The catalogue course, when the statement could be tied to one.
    course_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The learner's unit when the statement was stored (reports group by it).
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    verb: Mapped[str] = mapped_column(String(10))  # completed | passed | failed
    success: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # scaled, -1..1
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    stored: Mapped[datetime] = mapped_column(DateTime)
    # "YYYY-MM" of ``stored`` (UTC): per-month reports group on an indexed column.
    period: Mapped[str] = mapped_column(String(7))


class CompletionRollup(db.Model):
    """Monthly totals of the completions projection per unit and per course.

    ``dim`` "u" rows count by the learner's unit, "c" rows by course; ``ref`` is the
    unit or course id, 0 for none.  Kept in step with ``portal_completion`` by the same
    listener (counts added on insert, taken away when a statement is voided), so
    reports over every unit and all years add up a few thousand rows instead of
    scanning every completion.
    """

    __tablename__ = "portal_completion_rollup"

    dim: Mapped[str] = mapped_column(String(1), primary_key=True)
    ref: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    score_count: Mapped[int] = mapped_column(Integer, default=0)
