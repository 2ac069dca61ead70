"""Course review: a version goes draft → in review → approved → published.

A reviewer may instead return it to draft with comments; its author fixes it (a new
upload, or the course's details) and submits it again. Each step is a
``ReviewEvent`` (packages/review_log.py) and an audit entry, and the people whose turn
it is are told (``packages.signals``; the portal's outbox listens).

Who may do what:

- submit, withdraw, publish: authors (the author/trainer role or a higher one); the
  courses are the authors' together, as on the authoring pages.
- approve or return: a reviewer of the course's unit (a grant on that unit or one
  above it, or on every course; packages/review_setup.py) or an admin, who is not
  among the course's authors (packages.review_log.authors_of).
- publishing a version that no reviewer approved: only when COURSE_REVIEW is off, or
  by an admin (audited as published without review).

Learners get the newest published version (packages.service.latest_published_version),
so a version being reviewed or approved changes nothing for them until it is
published; the version published before stays theirs until then.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from accounts import audit, units
from accounts.auth import has_role
from accounts.models import User
from core.db import db
from core.errors import BadRequest, Conflict, Forbidden
from packages import review_log, review_setup, service, signals
from packages.models import Course, PackageVersion
from packages.review_models import ReviewerGrant, ReviewEvent


def required() -> bool:
    """Whether versions need an approved review before they are published (COURSE_REVIEW)."""
    return bool(current_app.config["COURSE_REVIEW"])


def may_publish_directly(user: User | None) -> bool:
    """Whether ``user`` may publish without a review (None: the command line, the system)."""
    return not required() or user is None or user.role == "admin"


def _author(user: User) -> None:
    if not has_role("author", user):
        raise Forbidden("Only authors may submit, withdraw or publish a version")


def _locked(version: PackageVersion) -> PackageVersion:
    """The version again under its row lock, so two decisions cannot both pass the checks."""
    found = db.session.scalar(
        select(PackageVersion)
        .where(PackageVersion.id == version.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert found is not None  # noqa: S101  (the caller holds the version)
    return found


def _course(version: PackageVersion) -> Course:
    return service.get_course(version.course_id)


def _audit(action: str, version: PackageVersion, user: User, comment: str = "") -> None:
    course = _course(version)
    details: dict[str, object] = {"version": version.number}
    if comment:
        details["comment"] = comment[:500]
    audit.record(action, "course", course.id, course.title, actor=user, details=details)


# -- who reviews what ---------------------------------------------------------------------


def _covering(course: Course) -> set[int]:
    """The course's unit and the units above it: a grant on any of them covers it."""
    owner = course.owner
    return {unit.id for unit in units.path(owner)} if owner is not None else set()


def may_review(user: User, course: Course) -> bool:
    """Whether ``user`` reviews this course's unit (whether or not they wrote it)."""
    if not user.active or not has_role("author", user):
        return False
    if user.role == "admin":
        return True
    grants = review_setup.grants_of(user)
    return None in grants or bool(_covering(course) & {g for g in grants if g is not None})


def is_reviewer(user: User) -> bool:
    """Whether ``user`` reviews anything at all (the Reviews page is theirs)."""
    return (
        user.active
        and has_role("author", user)
        and (user.role == "admin" or bool(review_setup.grants_of(user)))
    )


def is_author_of(user: User, course: Course) -> bool:
    """Whether ``user`` uploaded or submitted a version of the course."""
    return user.id in review_log.authors_of(course.id)


def reviewers_for(course: Course) -> list[User]:
    """Who is told that a version of the course waits: its unit's reviewers, else the admins.

    The course's own authors are left out (they may not review it); when that leaves no
    reviewer, the admins are told.
    """
    covering = _covering(course)
    granted = db.session.execute(
        select(ReviewerGrant.unit_id, User)
        .join(User, User.id == ReviewerGrant.user_id)
        .where(User.active)
        .order_by(User.name, User.id)
    )
    authors = review_log.authors_of(course.id)
    people: dict[int, User] = {}
    for unit_id, person in granted:
        if (
            has_role("author", person)
            and (unit_id is None or unit_id in covering)
            and person.id not in authors
        ):
            people.setdefault(person.id, person)
    if people:
        return list(people.values())
    admins = select(User).where(User.active, User.role == "admin").order_by(User.name, User.id)
    return [p for p in db.session.scalars(admins) if p.id not in authors]


@dataclass(frozen=True)
class Waiting:
    """A version waiting for review, as the reviewer's list shows it."""

    version: PackageVersion
    course: Course
    submitted: ReviewEvent | None
    own: bool


def waiting_for(user: User) -> list[Waiting]:
    """The versions in review that ``user`` reviews, oldest submission first."""
    stmt = (
        select(PackageVersion, Course)
        .join(Course, Course.id == PackageVersion.course_id)
        .where(PackageVersion.review_state == "in_review")
        .order_by(PackageVersion.id)
    )
    found = []
    for version, course in db.session.execute(stmt):
        if may_review(user, course):
            submitted = review_log.last(version.id, "submitted")
            found.append(Waiting(version, course, submitted, is_author_of(user, course)))
    return sorted(found, key=lambda w: w.submitted.at if w.submitted else w.version.created_at)


# -- the steps ----------------------------------------------------------------------------


def submit(version: PackageVersion, user: User, note: str = "") -> ReviewEvent:
    """Send a draft to the reviewers, with a note for them."""
    _author(user)
    # The course's row lock first: two versions of one course submitted at once would
    # each find no other in review under their own version's lock.
    db.session.execute(
        select(Course.id).where(Course.id == version.course_id).with_for_update()
    ).all()
    version = _locked(version)
    if version.review_state != "draft":
        raise Conflict("Only a draft can be submitted for review")
    other = db.session.scalar(
        select(PackageVersion.id).where(
            PackageVersion.course_id == version.course_id,
            PackageVersion.review_state == "in_review",
        )
    )
    if other is not None:
        raise Conflict("Another version of this course is waiting for review")
    version.review_state = "in_review"
    event = review_log.record(version, "submitted", user, note.strip())
    _audit("review.submitted", version, user, note.strip())
    signals.review_submitted.send(event)
    return event


def withdraw(version: PackageVersion, user: User) -> ReviewEvent:
    """Take a version back from review (to change it before anyone decides)."""
    _author(user)
    version = _locked(version)
    if version.review_state != "in_review":
        raise Conflict("This version is not waiting for review")
    version.review_state = "draft"
    event = review_log.record(version, "withdrawn", user)
    _audit("review.withdrawn", version, user)
    return event


@dataclass(frozen=True)
class Answer:
    """The reviewer's tick and comment for one checklist item."""

    ticked: bool
    comment: str = ""


def decide(
    version: PackageVersion,
    reviewer: User,
    approve: bool,
    comment: str,
    answers: dict[str, Answer],
) -> ReviewEvent:
    """Approve the version, or return it to its author with comments.

    ``answers`` holds each checklist item's tick and comment by its ``ref``; approving
    needs every item of the checklist ticked, returning needs a comment.
    """
    version = _locked(version)
    course = _course(version)
    if version.review_state != "in_review":
        raise Conflict("This version is not waiting for review")
    if not may_review(reviewer, course):
        raise Forbidden("You do not review courses of this unit")
    if is_author_of(reviewer, course):
        raise Forbidden("You cannot review a course you have written")
    comment = comment.strip()
    checklist = []
    for item in review_setup.items():
        answer = answers.get(item.ref, Answer(False))
        checklist.append(
            {
                "ref": item.ref,
                "label": item.text,
                "builtin": item.builtin,
                "ticked": answer.ticked,
                "comment": answer.comment.strip()[:1000],
            }
        )
    if approve and not all(row["ticked"] for row in checklist):
        message = "Tick every item of the checklist to approve"
        raise BadRequest(message, errors=[{"path": "checklist", "message": message}])
    if not approve and not comment:
        message = "Say what needs to change"
        raise BadRequest(message, errors=[{"path": "comment", "message": message}])
    version.review_state = "approved" if approve else "draft"
    action = "approved" if approve else "returned"
    event = review_log.record(version, action, reviewer, comment, checklist)
    _audit(f"review.{action}", version, reviewer, comment)
    signals.review_decided.send(event)
    return event


def publish(version: PackageVersion, user: User) -> ReviewEvent:
    """Offer an approved version to new attempts, and put the course in the catalogue.

    Without an approval only where ``may_publish_directly`` (audited as such). The
    version published before stays the learners' until this call; attempts begun on it
    keep it.
    """
    _author(user)
    version = _locked(version)
    if version.review_state == "published":
        raise Conflict("This version is published already")
    reviewed = version.review_state == "approved"
    if not reviewed and not may_publish_directly(user):
        raise Forbidden("This version needs an approved review before it is published")
    live = service.latest_published_version(version.course_id)
    if live is not None and live.number > version.number:
        raise Conflict("A newer version of this course is published already")
    event = review_log.published(version, user, reviewed)
    course = _course(version)
    if not course.published:
        service.set_published(course, True)
    return event


@dataclass(frozen=True)
class Back:
    """A version the person submitted that came back: approved (to publish) or returned."""

    version: PackageVersion
    course: Course
    decision: ReviewEvent


def back_to(user: User) -> list[Back]:
    """The versions ``user`` submitted whose review came back and wait for them, newest first.

    Only a course's newest version: one a newer upload has overtaken waits for nobody.
    """
    latest = (
        select(func.max(ReviewEvent.id))
        .join(PackageVersion, PackageVersion.id == ReviewEvent.version_id)
        .where(PackageVersion.review_state.in_(("draft", "approved")))
        .group_by(ReviewEvent.version_id)
    )
    stmt = (
        select(ReviewEvent, PackageVersion, Course)
        .join(PackageVersion, PackageVersion.id == ReviewEvent.version_id)
        .join(Course, Course.id == ReviewEvent.course_id)
        .where(ReviewEvent.id.in_(latest), ReviewEvent.action.in_(("approved", "returned")))
        .order_by(ReviewEvent.id.desc())
    )
    found = []
    for decision, version, course in db.session.execute(stmt):
        submitted = review_log.last(version.id, "submitted")
        newest = service.latest_version(course)
        mine = submitted is not None and submitted.actor_id == user.id
        if mine and newest is not None and newest.id == version.id:
            found.append(Back(version, course, decision))
    return found
