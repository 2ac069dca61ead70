"""Course review's tables: what happened to each version, the checklist, the reviewers.

A version's state is ``PackageVersion.review_state``; ``ReviewEvent`` keeps every step
that led there (who, when, why), which the course's page shows and which tells whose
course it is (an author may not review their own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Model

# draft: being written (new, or returned by a reviewer); in_review: waiting for a
# reviewer; approved: a reviewer approved it, not yet offered to learners; published:
# offered to new attempts (the newest published version is the one learners get).
REVIEW_STATES = ("draft", "in_review", "approved", "published")

# What can happen to a version. "published" follows an approval; "published_directly"
# is a version published without one (COURSE_REVIEW off, an admin, the command line).
EVENT_ACTIONS = (
    "uploaded",
    "submitted",
    "withdrawn",
    "approved",
    "returned",
    "published",
    "published_directly",
)


class ReviewEvent(Model):
    """One step of a version's way to learners; rows are only ever added."""

    __tablename__ = "package_review_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("package_course.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("package_version.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    # Who did it (kept by name too, should the account go); None: the command line.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)
    # Why: the author's note to the reviewer, or the reviewer's comments.
    comment: Mapped[str] = mapped_column(Text, default="")
    # A decision's checklist as the reviewer saw it: [{"ref", "label", "ticked", "comment"}].
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ChecklistItem(Model):
    """One item of the organisation's review checklist.

    Until an admin first changes the checklist the table is empty and the built-in items
    are used (packages/review_setup.py); a built-in item keeps its ``key`` and is shown
    in the reader's language until its text is changed (``label``).
    """

    __tablename__ = "package_review_item"
    __table_args__ = (UniqueConstraint("key", name="uq_package_review_item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(30), nullable=True)
    label: Mapped[str | None] = mapped_column(String(300), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ReviewerGrant(Model):
    """A person reviews the courses of a unit and the units below it (None: every course)."""

    __tablename__ = "package_reviewer"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", name="uq_package_reviewer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("portal_user.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("portal_unit.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
