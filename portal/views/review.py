"""Course review's pages: the reviewer's list, reviewing a version, Admin → Course review.

The rules are packages/review.py's; these pages check on every path that the person
reviews the course's unit (an admin reviews every unit) before showing or deciding
anything, and the service checks again with the version's row locked.
"""

from __future__ import annotations

from flask import g, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from accounts import units
from accounts.auth import current_user, role_required
from core.db import db
from core.errors import Forbidden, NotFound
from core.i18n import N_
from packages import review, review_log, review_setup
from packages import service as packages
from packages.models import Course, PackageVersion
from player import attempts
from portal import bp, schemas
from portal.views.common import Page, attempt, form_data, render, submit, this_user

REVIEW_STATE_NAMES = {
    "draft": N_("Draft"),
    "in_review": N_("In review"),
    "approved": N_("Approved"),
    "published": N_("Published"),
}
REVIEW_EVENT_NAMES = {
    "uploaded": N_("Uploaded"),
    "submitted": N_("Submitted for review"),
    "withdrawn": N_("Withdrawn from review"),
    "approved": N_("Approved"),
    "returned": N_("Returned with comments"),
    "published": N_("Published"),
    "published_directly": N_("Published without review"),
}


def is_reviewer() -> bool:
    """Whether the signed-in person reviews courses (the menu shows Reviews), once a request."""
    if "is_reviewer" not in g:
        user = current_user()
        g.is_reviewer = user is not None and review.is_reviewer(user)
    return bool(g.is_reviewer)


@bp.record_once
def _template_helpers(state: BlueprintSetupState) -> None:
    state.app.jinja_env.globals["REVIEW_STATE_NAMES"] = REVIEW_STATE_NAMES
    state.app.jinja_env.globals["REVIEW_EVENT_NAMES"] = REVIEW_EVENT_NAMES
    state.app.jinja_env.globals["is_reviewer"] = is_reviewer
    state.app.jinja_env.globals["checklist_label"] = review_setup.label


@bp.get("/reviews")
@role_required("author")
def reviews() -> Page:
    """The versions waiting for this reviewer."""
    user = this_user()
    if not review.is_reviewer(user):
        raise Forbidden("Only reviewers of courses may open this page")
    return render("reviews.html", waiting=review.waiting_for(user))


def _to_review(version_id: int) -> tuple[PackageVersion, Course]:
    """The version and its course, if the signed-in person reviews the course's unit."""
    version = packages.get_version(version_id)
    course = packages.get_course(version.course_id)
    if not review.may_review(this_user(), course):
        raise Forbidden("You do not review courses of this unit")
    return version, course


def _answers() -> dict[str, review.Answer]:
    """Each checklist item's tick (``tick-<ref>``) and comment (``note-<ref>``)."""
    return {
        item.ref: review.Answer(
            request.form.get(f"tick-{item.ref}") == "true",
            request.form.get(f"note-{item.ref}", "")[:1000],
        )
        for item in review_setup.items()
    }


@bp.route("/reviews/<int:version_id>", methods=["GET", "POST"])
@role_required("author")
def review_version(version_id: int) -> Page:
    """A version to review: its course, package report, preview, checklist and decision."""
    user = this_user()
    version, course = _to_review(version_id)
    if request.method == "POST" and (data := form_data(schemas.DecisionSchema())) is not None:
        approve = data["decision"] == "approve"
        decided = attempt(
            lambda: review.decide(version, user, approve, data["comment"], _answers()),
            _("Approved. The author has been told.")
            if approve
            else _("Returned to the author with your comments."),
            schemas.DecisionSchema(),
        )
        if decided is not None:
            return redirect(url_for("portal.reviews"))
    return render(
        "review.html",
        version=version,
        course=course,
        unit_path=" / ".join(u.name for u in units.path(course.owner)) if course.owner else "",
        items=review_setup.items(),
        own=review.is_author_of(user, course),
        submitted=review_log.last(version.id, "submitted"),
        uploaded=review_log.last(version.id, "uploaded"),
        live=packages.latest_published_version(course),
        history=review_log.history(course.id),
    )


@bp.get("/reviews/<int:version_id>/preview")
@role_required("author")
def review_preview(version_id: int) -> BaseResponse:
    """Play the version under review as a learner would, in a preview that counts for nobody."""
    version, course = _to_review(version_id)
    _attempt, token = attempts.launch_preview(this_user(), course, version)
    db.session.commit()
    return redirect(url_for("player.shell", token=token), 303)


# -- Admin → Course review ----------------------------------------------------------------


def _grant_id() -> int:
    raw = request.form.get("grant_id", "")
    if not raw.isdigit():
        raise NotFound("No such reviewer")
    return int(raw)


def _admin_post(action: str | None) -> object:
    """Run one of the page's forms; what it returns (None: refused, shown again)."""
    if action == "reviewer":
        return submit(
            schemas.ReviewerSchema(),
            lambda data: review_setup.add_reviewer(data["email"], data["unit"]),
            _("Reviewer added."),
        )
    if action == "remove":
        return attempt(lambda: review_setup.remove_reviewer(_grant_id()), _("Reviewer removed."))
    if action == "item":
        return submit(
            schemas.ChecklistItemSchema(),
            lambda data: review_setup.add_item(data["text"]),
            _("Item added to the checklist."),
        )
    ref = request.form.get("ref", "")
    if action == "change":
        return submit(
            schemas.ChecklistItemSchema(),
            lambda data: review_setup.change_item(ref, text=data["text"]),
            _("Saved."),
        )
    if action in ("deactivate", "activate"):
        return attempt(
            lambda: review_setup.change_item(ref, active=action == "activate"),
            _("Taken off the checklist.")
            if action == "deactivate"
            else _("Back on the checklist."),
        )
    raise NotFound("No such form")


@bp.route("/admin/review", methods=["GET", "POST"])
@role_required("admin")
def admin_review() -> Page:
    """Who reviews which unit's courses, and the organisation's review checklist."""
    if request.method == "POST" and _admin_post(request.form.get("action")) is not None:
        return redirect(url_for("portal.admin_review"))
    return render(
        "admin_review.html",
        reviewers=review_setup.reviewers(),
        items=review_setup.items(active_only=False),
        units=units.choices(),
        required=review.required(),
    )
