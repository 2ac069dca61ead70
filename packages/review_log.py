"""A version's review history: adding its steps, reading them, whose course it is.

Kept apart from packages/review.py (the rules of each step) because the import
(packages/service.py) writes steps too: an upload, a version published at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import g, has_app_context
from sqlalchemy import select

from accounts import audit
from accounts.models import User
from core.db import db
from packages.models import Course, PackageVersion
from packages.review_models import ReviewEvent

# The steps that make someone an author of the course (they may not review it).
AUTHORING = ("uploaded", "submitted")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def actor_name(user: User | None) -> str:
    """The name a step is kept under: the person's, or the machine's (the command line)."""
    if user is not None:
        return user.name[:200]
    named = g.get("audit_actor") if has_app_context() else None
    return str(named or "system")[:200]


def record(
    version: PackageVersion,
    action: str,
    user: User | None,
    comment: str = "",
    checklist: list[dict[str, Any]] | None = None,
) -> ReviewEvent:
    """Add one step of ``version``'s history (the caller's commit keeps it)."""
    event = ReviewEvent(
        course_id=version.course_id,
        version_id=version.id,
        action=action,
        actor_id=user.id if user is not None else None,
        actor_name=actor_name(user),
        at=_now(),
        comment=comment,
        checklist=checklist or [],
    )
    db.session.add(event)
    db.session.flush()
    return event


def published(version: PackageVersion, user: User | None, reviewed: bool) -> ReviewEvent:
    """Offer ``version`` to new attempts, with its step and an audit entry.

    ``reviewed``: it was approved; else it was published without a review (COURSE_REVIEW
    off, an admin, the command line), which the audit entry says.
    """
    version.published = True
    version.review_state = "published"
    course = db.session.get(Course, version.course_id)
    audit.record(
        "version.published",
        "course",
        version.course_id,
        course.title if course is not None else "",
        actor=user,
        details={"version": version.number, "reviewed": reviewed},
    )
    return record(version, "published" if reviewed else "published_directly", user)


def authors_of(course_id: int) -> set[int]:
    """The people who uploaded or submitted a version of the course."""
    return set(
        db.session.scalars(
            select(ReviewEvent.actor_id)
            .where(
                ReviewEvent.course_id == course_id,
                ReviewEvent.action.in_(AUTHORING),
                ReviewEvent.actor_id.is_not(None),
            )
            .distinct()
        )
    )


def history(course_id: int, version_id: int | None = None) -> list[tuple[ReviewEvent, int]]:
    """The course's steps (or one version's), newest first, each with its version number."""
    stmt = (
        select(ReviewEvent, PackageVersion.number)
        .join(PackageVersion, PackageVersion.id == ReviewEvent.version_id)
        .where(ReviewEvent.course_id == course_id)
        .order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc())
    )
    if version_id is not None:
        stmt = stmt.where(ReviewEvent.version_id == version_id)
    return [(event, int(number)) for event, number in db.session.execute(stmt)]


def last(version_id: int, action: str) -> ReviewEvent | None:
    """The version's latest step of this kind (who submitted it, who decided)."""
    return db.session.scalar(
        select(ReviewEvent)
        .where(ReviewEvent.version_id == version_id, ReviewEvent.action == action)
        .order_by(ReviewEvent.id.desc())
        .limit(1)
    )
