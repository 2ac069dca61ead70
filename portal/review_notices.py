"""Telling people it is their turn in a course's review: by e-mail and under Notifications.

packages/review.py sends its signals inside the request's transaction; the receivers
here store one outbox message per person in that transaction (so the step and its
messages commit together), and after the commit each gets its sending job
(``notices.send_after_commit``). Keys name the person and the step, so a step is told
once, and a version submitted again is a new step.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from accounts.models import User
from core.db import db
from core.i18n import N_
from packages import review, review_log, review_setup, signals
from packages.models import Course, PackageVersion
from packages.review_models import ReviewEvent
from portal import notices
from portal.notices import Content, Draft, kind, portal_link


def _hello(user: User) -> str:
    return gettext("Hello %(name)s,", name=user.name)


@kind("review_requested", N_("A course is waiting for my review"), optional=False)
def review_requested(user: User, c: dict[str, Any]) -> Content:
    """A version was submitted for review, to a reviewer of its unit."""
    lines = [
        _hello(user),
        gettext(
            "%(author)s has submitted version %(version)s of %(course)s for review.",
            author=c["author"],
            version=c["version"],
            course=c["course"],
        ),
    ]
    if c.get("note"):
        lines.append(gettext("Their note: %(note)s", note=c["note"]))
    return Content(
        gettext(
            "To review: %(course)s, version %(version)s", course=c["course"], version=c["version"]
        ),
        lines,
        link=portal_link(f"/reviews/{c['version_id']}"),
        link_text=gettext("Open the review"),
    )


@kind("review_approved", N_("My course has been approved"), optional=False)
def review_approved(user: User, c: dict[str, Any]) -> Content:
    """A reviewer approved the version the person submitted."""
    lines = [
        _hello(user),
        gettext(
            "%(reviewer)s has approved version %(version)s of %(course)s.",
            reviewer=c["reviewer"],
            version=c["version"],
            course=c["course"],
        ),
        gettext(
            "Publish it when you are ready: until then learners get the version that is "
            "published now."
        ),
    ]
    if c.get("comment"):
        lines.append(gettext("Comment: %(comment)s", comment=c["comment"]))
    return Content(
        gettext(
            "Approved: %(course)s, version %(version)s", course=c["course"], version=c["version"]
        ),
        lines,
        link=portal_link(f"/author/courses/{c['course_id']}"),
        link_text=gettext("Open the course"),
    )


@kind("review_returned", N_("My course has been returned with comments"), optional=False)
def review_returned(user: User, c: dict[str, Any]) -> Content:
    """A reviewer returned the version the person submitted, with what to change."""
    return Content(
        gettext(
            "Returned with comments: %(course)s, version %(version)s",
            course=c["course"],
            version=c["version"],
        ),
        [
            _hello(user),
            gettext(
                "%(reviewer)s has returned version %(version)s of %(course)s to you.",
                reviewer=c["reviewer"],
                version=c["version"],
                course=c["course"],
            ),
            gettext("Comment: %(comment)s", comment=c["comment"]),
            gettext("Change the course or upload a new version, then submit it again."),
        ],
        items=[
            gettext("%(item)s: %(comment)s", item=review_setup.label(row), comment=row["comment"])
            if row["comment"]
            else review_setup.label(row)
            for row in c["unticked"]
        ],
        link=portal_link(f"/author/courses/{c['course_id']}"),
        link_text=gettext("Open the course"),
    )


def _about(event: ReviewEvent) -> tuple[Course, PackageVersion] | None:
    course = db.session.get(Course, event.course_id)
    version = db.session.get(PackageVersion, event.version_id)
    return (course, version) if course is not None and version is not None else None


def _store(drafts: list[Draft]) -> None:
    notices.send_after_commit(notices.store(drafts))


def _on_submitted(event: ReviewEvent, **_: Any) -> None:
    found = _about(event)
    if found is None:
        return
    course, version = found
    context = {
        "course": course.title,
        "version": version.number,
        "version_id": version.id,
        "author": event.actor_name,
        "note": event.comment,
    }
    _store(
        [
            Draft("review_requested", f"review_requested:{person.id}:e{event.id}", person, context)
            for person in review.reviewers_for(course)
        ]
    )


def _on_decided(event: ReviewEvent, **_: Any) -> None:
    found = _about(event)
    submitted = review_log.last(event.version_id, "submitted")
    author = db.session.get(User, submitted.actor_id) if submitted and submitted.actor_id else None
    if found is None or author is None or not author.active:
        return
    course, version = found
    name = "review_approved" if event.action == "approved" else "review_returned"
    context = {
        "course": course.title,
        "course_id": course.id,
        "version": version.number,
        "reviewer": event.actor_name,
        "comment": event.comment,
        "unticked": [row for row in event.checklist if not row.get("ticked")],
    }
    _store([Draft(name, f"{name}:{author.id}:e{event.id}", author, context)])


def connect() -> None:
    """Tell reviewers and authors about review steps (connecting again changes nothing)."""
    signals.review_submitted.connect(_on_submitted)
    signals.review_decided.connect(_on_decided)
    notices.connect_sending()
