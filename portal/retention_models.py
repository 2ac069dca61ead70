"""Retention (gallring): the organisation's rules, legal holds, runs and their tombstones.

portal/retention_rules.py keeps rules and holds, portal/retention.py plans and runs
the culling; a run leaves one tombstone row per rule and kind of record with the
number removed, citing the decision it carried out.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

#: What a rule culls: LRS statements, the player's attempts, course evaluations, audit entries.
KINDS = ("statements", "attempts", "evaluations", "audit")
#: How a rule's period is counted.
UNITS = ("days", "months", "years")
#: What a legal hold covers: one person's data, a course's, statements about one activity,
#: or everyone's data in a unit's subtree.
HOLD_KINDS = ("person", "course", "activity", "unit")


class RetentionRule(Model):
    """One rule of a decision (gallringsbeslut): what goes, and how long after it was stored.

    ``verb_id`` and ``activity_type`` narrow a statements rule (either or both; neither:
    every statement). The age is counted from when the record was stored: a statement's
    ``stored``, an attempt's last change, an evaluation's or audit entry's creation.
    """

    __tablename__ = "portal_retention_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    decision_ref: Mapped[str] = mapped_column(String(100))
    decision_date: Mapped[date] = mapped_column(Date)
    decision_text: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    verb_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    activity_type: Mapped[str | None] = mapped_column(Text, nullable=True)
    keep_count: Mapped[int] = mapped_column(Integer)
    keep_unit: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RetentionHold(Model):
    """A legal hold: nothing it covers is culled while it lasts (until ``until``, or release).

    Exactly one of ``user_id``, ``course_id``, ``activity_id``, ``unit_id`` is set, as
    ``kind`` says.
    """

    __tablename__ = "portal_retention_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), nullable=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), nullable=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="CASCADE"), nullable=True
    )
    # An activity's IRI: the statements about it (object or context) are held.
    activity_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True
    )
    created_by_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    released_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RetentionRun(Model):
    """A run that removed records (a dry run stores nothing), and who or what started it."""

    __tablename__ = "portal_retention_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    trigger: Mapped[str] = mapped_column(String(20))  # schedule | admin | cli
    actor_name: Mapped[str] = mapped_column(String(255))


class RetentionTombstone(Model):
    """How many records of one kind one rule removed in one run, citing its decision.

    Copied from the rule as it was, so the tombstone still says what was carried out
    after the rule is changed or deactivated.
    """

    __tablename__ = "portal_retention_tombstone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("portal_retention_run.id", ondelete="CASCADE"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_retention_rule.id", ondelete="SET NULL"), nullable=True
    )
    rule_name: Mapped[str] = mapped_column(String(200))
    decision_ref: Mapped[str] = mapped_column(String(100))
    decision_date: Mapped[date] = mapped_column(Date)
    # statements, voiding, attachments, attempts, state, evaluations, audit
    what: Mapped[str] = mapped_column(String(20))
    removed: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer, default=0)
    in_use: Mapped[int] = mapped_column(Integer, default=0)
