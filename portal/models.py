"""Portal tables: course kinds, classroom sessions, enrolments, assignments, completions.

The completions table is the projection of the LRS the reports read (portal/projection.py).
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
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import OrganisationUnit, User  # noqa: F401  (relationships below)
from core.db import Model

COURSE_KINDS = ("elearning", "classroom")


class CourseKind(Model):
    """Whether a catalogue course is e-learning (a package) or classroom training.

    Courses without a row are e-learning (every package import creates one).
    """

    __tablename__ = "portal_course_kind"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="elearning", index=True)
    # Classroom: a booking waits for the person's manager to approve it (portal/approvals.py).
    booking_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CourseImage(Model):
    """A course's picture in the catalogue: re-encoded on upload (portal/course_images.py).

    Kept in the database, not on a node's disk, so every app node serves it.
    """

    __tablename__ = "portal_course_image"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)
    mimetype: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # A digest of ``data``: the ETag, and a new address whenever the picture changes.
    etag: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ClassroomSession(Model):
    """One occasion of a classroom course: when, where, who teaches, how many seats.

    Times are naive UTC. ``sequence`` counts the changes people were told about (the
    iCalendar SEQUENCE of its invitations, RFC 5545 §3.8.7.4); a cancelled session keeps
    its bookings, so the people on it see "Cancelled" and the reason.
    """

    __tablename__ = "portal_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(300))
    trainer_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id"), index=True)
    seats: Mapped[int] = mapped_column(Integer)
    # The xAPI registration of every statement about this session.
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Who planned it (an author): they may change or cancel it, besides the trainer.
    # People are deactivated, never deleted, so no ON DELETE action (as trainer_id).
    planned_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id"), nullable=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id])


BOOKING_STATUSES = ("booked", "waiting", "pending", "refused")


class Enrolment(Model):
    """A learner's booking of a session, and what the trainer recorded for them.

    ``status`` is "booked" (a seat), "waiting" (on the waiting list, in the order of
    ``enrolled_at`` then ``id``), "pending" (the person's manager has not yet approved
    it; no seat is held) or "refused" (by the manager, ``note`` says why); a booking
    given back is deleted.
    """

    __tablename__ = "portal_enrolment"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_enrolment"),
        Index("ix_enrolment_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("portal_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="booked", server_default="booked")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
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


class CalendarFeed(Model):
    """A person's secret calendar feed address: only the token's SHA-256 is kept."""

    __tablename__ = "portal_calendar_feed"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Assignment(Model):
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


class Completion(Model):
    """Projection of the LRS for reports: one row per completed/passed/failed statement.

    Kept in step by a ``lrs.signals.statements_stored`` receiver in the same transaction;
    a voiding statement deletes the voided statement's row (portal/projection.py).
    """

    __tablename__ = "portal_completion"
    __table_args__ = (
        # Covering indexes: the per course/unit/month reports are index-only scans,
        # for every unit (by period) and for one unit (a manager's).
        Index("ix_completion_period_cover", "period", "unit_id", "course_id", "verb", "score"),
        Index("ix_completion_unit_cover", "unit_id", "period", "course_id", "verb", "score"),
        Index("ix_completion_course_verb_period", "course_id", "verb", "period"),
        Index("ix_completion_user_stored", "user_id", "stored"),
        # Compliance: a person's latest completion of a requirement's courses.
        Index("ix_completion_user_course", "user_id", "course_id", "verb", "stored"),
        # The course reports' people: who completed or passed each course in the months
        # (portal/course_people.py), an index-only scan of the completing rows.
        Index(
            "ix_completion_done_people",
            "period",
            "course_id",
            "user_id",
            postgresql_where=text("verb IN ('completed', 'passed')"),
            sqlite_where=text("verb IN ('completed', 'passed')"),
        ),
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


class CompletionRollup(Model):
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


class LineRollup(Model):
    """Monthly totals of the completions of each manager's line (accounts_manager_line).

    ``dim`` "c" rows count per course (``ref`` the course id, 0 for none), "m" rows the
    month's total over every course (``ref`` 0). A completion counts in the totals of
    every manager above its learner, as the line stands now: portal/line_rollup.py adds
    it when it is projected, takes it away when voided, and moves a person's
    completions from one manager's totals to another's when the line changes. So a
    report on the line of someone with 20,000 people below adds up a few thousand rows
    instead of joining every completion of theirs.
    """

    __tablename__ = "portal_line_rollup"
    __table_args__ = (
        # A manager's rows lie together in the key (the heap scatters them over every
        # month's pages), and on PostgreSQL the key holds the figures too: the reports
        # are index-only scans of one manager's, or a few direct reports', months.
        PrimaryKeyConstraint(
            "manager_id",
            "dim",
            "period",
            "ref",
            postgresql_include=["completed", "passed", "failed", "score_sum", "score_count"],
        ),
        # Vacuumed after 2 % of it changed (not 20 %): a manager moved with their line
        # rewrites totals on most pages, and only a vacuum makes them all-visible again.
        {"postgresql_with": {"autovacuum_vacuum_scale_factor": 0.02}},
    )

    manager_id: Mapped[int] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"))
    dim: Mapped[str] = mapped_column(String(1))
    ref: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    completed: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
    score_count: Mapped[int] = mapped_column(Integer, default=0)


class Requirement(Model):
    """Mandatory training: an audience must complete one of some courses, by a due date.

    portal/requirements.py keeps them (and who is in each audience), portal/compliance.py
    reads each person's status. A completion is valid ``validity_months`` (None: for
    good); the renewal window opens ``renewal_days`` before it runs out.
    """

    __tablename__ = "portal_requirement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A manager's requirement reaches only people in this unit's subtree; None: anyone
    # the audience names (an admin's).
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # The due rule: a fixed date, or so many days after the person joined the audience.
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    validity_months: Mapped[int | None] = mapped_column(Integer, nullable=True)
    renewal_days: Mapped[int] = mapped_column(Integer, default=0)
    # Courses, audience and due rule in one canonical string: the same twice is refused.
    signature: Mapped[str] = mapped_column(String(1000), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RequirementCourse(Model):
    """One of a requirement's equivalent courses (completing any one of them counts)."""

    __tablename__ = "portal_requirement_course"

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("portal_requirement.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RequirementAudience(Model):
    """One rule of a requirement's audience; a person matching any rule is in it.

    ``kind`` "unit" (value: a unit id, its whole subtree), "role", "title" (matched
    without regard to case) or "person" (a user id).
    """

    __tablename__ = "portal_requirement_audience"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("portal_requirement.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(255))


class RequirementMember(Model):
    """A person in a requirement's audience, and since when (their own due date).

    Materialised so that people who join later get a due date of their own, and so that
    compliance is one join for a whole audience (portal/requirements.py refreshes it).
    """

    __tablename__ = "portal_requirement_member"
    __table_args__ = (
        Index("ix_requirement_member_user", "user_id", "requirement_id"),
        Index("ix_requirement_member_unit", "requirement_id", "unit_id"),
    )

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("portal_requirement.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime)
    # Kept by portal/requirements.py (``sync``) from the completions projection and the
    # player's and classroom's records, so compliance reads one row per person: the
    # latest completed or passed result of one of the courses, and whether the person
    # has begun one (an attempt, a booked session, a failed result).
    last_done: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The person's home unit (their account's unit_id), kept by portal/requirements.py
    # (``refresh``) when people change, so that a unit's compliance filters the member
    # rows themselves: joining each of 40 requirements' members to the accounts cost a
    # department's overview most of its time (bench/README.md, "Compliance").
    unit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RequirementExemption(Model):
    """A person let off a requirement: why, by whom, when (also in the audit log)."""

    __tablename__ = "portal_requirement_exemption"

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("portal_requirement.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
    by_name: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(DateTime)


class ComplianceSnapshot(Model):
    """A day's status counts of one requirement's members whose home unit is ``unit_id``.

    Written by the nightly job (portal/compliance_trend.py), for every active requirement
    at once; a unit subtree's figures on a day are the sum of its units' rows. ``unit_id``
    0 counts the members in no unit. Kept for every day of the last quarter, and the last
    day recorded in each month before that (the trend's monthly points).
    """

    __tablename__ = "portal_compliance_snapshot"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("portal_requirement.id", ondelete="CASCADE"), primary_key=True
    )
    # Not a foreign key: units are deactivated, never deleted, and 0 stands for none.
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    not_started: Mapped[int] = mapped_column(Integer, default=0)
    in_progress: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    expiring: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    exempt: Mapped[int] = mapped_column(Integer, default=0)


class ComplianceSnapshotDay(Model):
    """A day whose snapshot is complete, and when it was taken (one row per day)."""

    __tablename__ = "portal_compliance_snapshot_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime)
